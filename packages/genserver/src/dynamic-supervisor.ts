import {
  type Exit,
  formatReason,
  isCleanExit,
  isExit,
  type Name,
  type Pid,
  type Runtime,
  type Via,
} from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { childIdOfName } from './child-name.js';
import { shutdownChild, startChild, startFailure } from './child-process.js';
import {
  type AnyChildSpecLike,
  type ChildSpec,
  type ChildSpecLike,
  type NormalizedSpec,
  normalizeChildSpec,
} from './child-spec.js';
import type { CallOptions, ServerRef } from './client.js';
import { stopServer } from './client.js';
import type { From } from './envelopes.js';
import { ChildError, ChildSpecError } from './errors.js';
import { GenServer } from './gen-server.js';
import { checkSupervisorOptions, requestType } from './options.js';
import { nextRestartDelay } from './restart-backoff.js';
import { RestartIntensity } from './restart-intensity.js';
import { noreply, ok, reply, stop } from './results.js';
import { Standin } from './standin.js';
import { startServer } from './start.js';
import type { ChildStart, Started } from './started-child.js';
import { ask } from './supervisor.js';
import {
  emitSupervisorReport,
  exitIsReported,
  type SupervisorReport,
  stoppedAsAsked,
} from './supervisor-report.js';
import {
  type ChildCounts,
  type ChildInfo,
  notACall,
  type Outcome,
  type RestartCount,
  restartCount,
  validateIntensity,
} from './supervisor-server.js';

/**
 * Options for `DynamicSupervisor.start` (and `TaskSupervisor.start`). Any other key, or a
 * value of the wrong type, is rejected with `ChildSpecError` naming it.
 */
export interface DynamicSupervisorOptions {
  name?: Name | Via;
  /** @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** The parent to link to; omit at the top of an application. */
  link?: Pid<any>;
  /** Restarts allowed within `maxSeconds` before the supervisor gives up. @default 3 */
  maxRestarts?: number;
  /** @default 5 */
  maxSeconds?: number;
  /** Most children at once; `startChild` beyond it rejects with `ChildError` (`max_children`). @default Infinity */
  maxChildren?: number;
  /**
   * Values handed to every child's `start` as `extraArguments` (Elixir's
   * `:extra_arguments`), at its first start and at each restart: state the supervisor
   * holds for all its children, where Elixir prepends them to the start arguments. A
   * `start` reads them from its context; the `[Module, arg]` shorthand ignores them.
   * Not a `TaskSupervisor` option. @default none
   *
   * @example
   * const sup = await DynamicSupervisor.start({ runtime, extraArguments: [pool] });
   * await DynamicSupervisor.startChild(sup, {
   *   id: 'worker',
   *   start: ({ runtime, self, extraArguments: [db] = [] }) => GenServer.startLink(Worker, db, { runtime, link: self }),
   * });
   */
  extraArguments?: readonly unknown[];
}

/**
 * What `DynamicSupervisor.getFlags` returns: its options with their defaults filled in,
 * as Elixir's `DynamicSupervisor.init/1` flags. The strategy is always `'one_for_one'`.
 */
export interface DynamicSupervisorFlags {
  strategy: 'one_for_one';
  maxRestarts: number;
  maxSeconds: number;
  maxChildren: number;
  /** What every child's `start` gets as `extraArguments` (Elixir's `:extra_arguments`); `[]` without. */
  extraArguments: readonly unknown[];
}

/** A reference to a running dynamic supervisor. */
export type DynamicSupervisorRef = ServerRef<DynamicSupervisorServer> | Name | Via;

type DynamicCall =
  | { type: 'startChild'; spec: AnyChildSpecLike }
  | { type: 'terminateChild'; pid: Pid<any> }
  | { type: 'whichChildren' }
  | { type: 'countChildren' }
  | { type: 'getFlags' }
  | { type: 'restartCount' };

const OPTION_KEYS = [
  'name',
  'runtime',
  'link',
  'maxRestarts',
  'maxSeconds',
  'maxChildren',
  'extraArguments',
];
const CHILD_SPEC_KEYS = ['name', 'maxRestarts', 'maxSeconds', 'maxChildren', 'extraArguments'];

const DYNAMIC_CALLS: readonly DynamicCall['type'][] = [
  'startChild',
  'terminateChild',
  'whichChildren',
  'countChildren',
  'getFlags',
  'restartCount',
];

class RestartNow {
  constructor(readonly child: DynamicChild) {}
}

/** A child as the dynamic supervisor tracks it, across its restarts. */
interface DynamicChild {
  spec: NormalizedSpec;
  /** Consecutive restarts, for `backoff`. */
  attempt: number;
  /** Clock time of its last start, for `backoff`. */
  startedAt: number;
  /** Its registered name, held by a stand-in while it waits out a backoff. */
  name: Name | undefined;
  standin: Standin | undefined;
  /** Restarts of this child by the supervisor (`ChildInfo.restarts`). */
  restarts: number;
}

interface DynamicState {
  /** The running children, in start order. */
  children: Map<Pid<any>, DynamicChild>;
  /** Children waiting to restart: out a backoff, or retried after a failed restart. */
  pending: Set<DynamicChild>;
}

/**
 * A supervisor for children started at run time, as Elixir's `DynamicSupervisor`: one
 * process per user, connection or job. It starts with no children; `startChild` adds
 * them. Children are restarted one for one by their `restart` type and `backoff`, under
 * the same intensity rules as `Supervisor`, and emit the same `report` events
 * (`SupervisorReport`); on shutdown all children are stopped concurrently. A child
 * waiting out its backoff is listed by `whichChildren` with the PID `'restarting'`.
 *
 * @example
 * const users = new Registry<string>(runtime, { keys: 'unique' });
 * const syncs = await DynamicSupervisor.start({ runtime, name: 'SyncSupervisor' });
 * await DynamicSupervisor.startChild(syncs, AccountSync.childSpec({ userId, name: { via: users, key: userId } }));
 *
 * ## When not to use it
 * For a fixed set of children known at start, use `Supervisor`; for short jobs, `TaskSupervisor`.
 */
export class DynamicSupervisor {
  /**
   * Starts an empty dynamic supervisor. Rejects with `ChildSpecError` for an unknown
   * option or a value of the wrong type.
   */
  static start(
    options: DynamicSupervisorOptions = {},
  ): Promise<ServerRef<DynamicSupervisorServer>> {
    try {
      validateOptions(options, OPTION_KEYS, 'DynamicSupervisor.start(options)');
    } catch (error) {
      return Promise.reject(error);
    }
    return startServer(
      DynamicSupervisorServer,
      options,
      {
        runtime: options.runtime,
        name: options.name,
        timeout: Number.POSITIVE_INFINITY,
        label: 'DynamicSupervisor',
        behaviour: 'dynamic_supervisor',
      },
      options.link,
    );
  }

  /** `start`, linked to `options.link`. */
  static startLink(
    options: DynamicSupervisorOptions = {},
  ): Promise<ServerRef<DynamicSupervisorServer>> {
    return DynamicSupervisor.start(options);
  }

  /**
   * Starts a child from `spec` and resolves with what its `start` resolved with: its PID,
   * or `{ pid, info }` when the start hands back info (`StartedChild`, Elixir's
   * `{:ok, pid, info}`); the type follows the spec's. Resolves undefined when the child
   * ignored (nothing is kept). Ids need not be unique: children are told apart by PID.
   * Rejects with `ChildError` (`max_children`) when full, `ChildSpecError` for a malformed
   * spec or a `start` that resolved with neither a PID nor `{ pid, info }`, or what
   * `start` failed with (a non-Error wrapped in a `StartError`); the supervisor stays up.
   *
   * @example
   * const pid = await DynamicSupervisor.startChild(sup, [AccountSync, { userId }]);
   */
  static startChild<R extends ChildStart = Pid<any>>(
    supervisor: DynamicSupervisorRef,
    spec: ChildSpecLike<R>,
    options?: CallOptions,
  ): Promise<R | undefined> {
    return ask(supervisor, { type: 'startChild', spec }, options) as Promise<R | undefined>;
  }

  /** Stops the child `pid`; rejects with `ChildError` (`not_found`) if it is not a child. */
  static terminateChild(
    supervisor: DynamicSupervisorRef,
    pid: Pid<any>,
    options?: CallOptions,
  ): Promise<void> {
    return ask(supervisor, { type: 'terminateChild', pid }, options) as Promise<void>;
  }

  /** Every child, running ones in start order, then those waiting to restart (`pid: 'restarting'`). */
  static whichChildren(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildInfo[]> {
    return ask(supervisor, { type: 'whichChildren' }, options) as Promise<ChildInfo[]>;
  }

  /**
   * Counts of the children, as Elixir's `DynamicSupervisor.count_children`: `specs`
   * (every child, running or waiting to restart), `active` (running now), `supervisors`
   * and `workers` (by type).
   */
  static countChildren(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildCounts> {
    return ask(supervisor, { type: 'countChildren' }, options) as Promise<ChildCounts>;
  }

  /**
   * The supervisor's flags with their defaults filled in: `strategy` (`'one_for_one'`),
   * `maxRestarts`, `maxSeconds` and `maxChildren`.
   *
   * @example
   * await DynamicSupervisor.getFlags(sup); // { strategy: 'one_for_one', maxRestarts: 3, maxSeconds: 5, maxChildren: Infinity, extraArguments: [] }
   */
  static getFlags(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<DynamicSupervisorFlags> {
    return ask(supervisor, { type: 'getFlags' }, options) as Promise<DynamicSupervisorFlags>;
  }

  /**
   * The restarts the supervisor has made since it started (`total`) and within the last
   * `maxSeconds` (`recent`), as `Supervisor.restartCount`; `whichChildren` gives each
   * child's own count (`restarts`).
   */
  static restartCount(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<RestartCount> {
    return ask(supervisor, { type: 'restartCount' }, options) as Promise<RestartCount>;
  }

  /** Stops the supervisor and all its children. */
  static stop(
    supervisor: DynamicSupervisorRef,
    reason: unknown = 'normal',
    options?: CallOptions,
  ): Promise<void> {
    return stopServer(supervisor, reason, options ?? Number.POSITIVE_INFINITY);
  }

  /**
   * A child spec to run a dynamic supervisor under a `Supervisor`: `[DynamicSupervisor,
   * options]`. Its id is the name (a string or a symbol) or the key of a `{ via, key }`
   * name, as Elixir's, else `'DynamicSupervisor'`. Throws
   * `ChildSpecError` for an unknown option or a value of the wrong type.
   */
  static childSpec(options: Omit<DynamicSupervisorOptions, 'runtime' | 'link'> = {}): ChildSpec {
    validateOptions(options, CHILD_SPEC_KEYS, 'DynamicSupervisor.childSpec(options)');
    return {
      id: childIdOfName(options.name, 'DynamicSupervisor'),
      type: 'supervisor',
      start: ({ runtime, self, name }) =>
        DynamicSupervisor.start({ ...options, name: options.name ?? name, runtime, link: self }),
    };
  }
}

/**
 * True for an array whose items can be copied (as `init` copies `extraArguments`); false,
 * never a throw, for a revoked proxy or a proxy whose traps throw.
 */
function readableArray(value: unknown): boolean {
  try {
    if (!Array.isArray(value)) return false;
    void [...value];
    return true;
  } catch {
    return false;
  }
}

/** The dynamic supervisor process (use it through `DynamicSupervisor`). */
export class DynamicSupervisorServer extends GenServer<
  DynamicState,
  DynamicCall,
  never,
  Exit | RestartNow
> {
  private intensity!: RestartIntensity;
  private maxChildren = Number.POSITIVE_INFINITY;
  private extraArguments: readonly unknown[] | undefined;

  init(options: DynamicSupervisorOptions) {
    validateOptions(options, OPTION_KEYS, 'DynamicSupervisor.start(options)');
    const { maxRestarts = 3, maxSeconds = 5, maxChildren = Number.POSITIVE_INFINITY } = options;
    this.ctx.trapExit(true);
    this.intensity = new RestartIntensity(this.ctx.runtime.clock, maxRestarts, maxSeconds);
    this.maxChildren = maxChildren;
    this.extraArguments = options.extraArguments && Object.freeze([...options.extraArguments]);
    return ok<DynamicState>({ children: new Map(), pending: new Set() });
  }

  override async handleCall(request: DynamicCall, _from: From, state: DynamicState) {
    return reply(await this.answer(request, state), state);
  }

  override async handleInfo(message: unknown, state: DynamicState) {
    if (isInstance(message, RestartNow)) {
      // Stale once the supervisor dropped the child (it never does but on shutdown).
      if (!state.pending.has(message.child)) return noreply(state);
      return this.restart(message.child, state);
    }
    if (!isExit(message)) return noreply(state);
    const child = state.children.get(message.from);
    if (child === undefined) return noreply(state);
    state.children.delete(message.from);
    const { restart } = child.spec;
    if (exitIsReported(restart, message.reason))
      this.report('child_terminated', child, message.from, message.reason);
    if (restart === 'temporary' || (restart === 'transient' && isCleanExit(message.reason)))
      return noreply(state);
    return this.scheduleRestart(child, state);
  }

  override async terminate(_reason: unknown, state: DynamicState) {
    await this.shutdownAll(state);
  }

  private async answer(request: DynamicCall, state: DynamicState): Promise<Outcome> {
    if (!DYNAMIC_CALLS.includes(requestType(request) as DynamicCall['type'])) {
      return notACall(request);
    }
    switch (request.type) {
      case 'startChild':
        return this.add(request.spec, state);
      case 'terminateChild': {
        const child = state.children.get(request.pid);
        if (child === undefined) {
          return {
            error: new ChildError(
              'not_found',
              `${formatReason(request.pid)} is not a child of this supervisor.`,
            ),
          };
        }
        state.children.delete(request.pid);
        await this.stopChild(request.pid, child);
        return { ok: undefined };
      }
      case 'whichChildren':
        return { ok: whichChildren(state) };
      case 'countChildren':
        return { ok: countChildren(state) };
      case 'getFlags':
        return { ok: this.flags() };
      case 'restartCount':
        return { ok: restartCount(this.intensity) };
    }
  }

  private async add(like: AnyChildSpecLike, state: DynamicState): Promise<Outcome> {
    if (state.children.size + state.pending.size >= this.maxChildren) {
      return {
        error: new ChildError(
          'max_children',
          `this supervisor already has its maximum of ${this.maxChildren} children. Stop some, or raise maxChildren.`,
        ),
      };
    }
    let spec: NormalizedSpec;
    try {
      spec = normalizeChildSpec(like);
    } catch (error) {
      return { error: startFailure(error, undefined) };
    }
    const child: DynamicChild = {
      spec,
      attempt: 0,
      startedAt: 0,
      name: undefined,
      standin: undefined,
      restarts: 0,
    };
    try {
      const started = await this.startOne(child);
      if (started !== undefined) state.children.set(started.pid, child);
      return { ok: started?.result };
    } catch (error) {
      return { error: startFailure(error, spec.id) };
    }
  }

  /** Starts `child` (again); reports and rethrows a failure. Undefined when it ignored. */
  private async startOne(child: DynamicChild): Promise<Started | undefined> {
    let started: Started | undefined;
    try {
      started = await startChild(child.spec, this.ctx, this.extraArguments);
    } catch (error) {
      this.report('start_error', child, undefined, error);
      throw error ?? startFailure(error, child.spec.id);
    }
    child.startedAt = this.ctx.runtime.clock.now();
    child.name = started && this.ctx.runtime.processInfo(started.pid)?.registeredName;
    return started;
  }

  private flags(): DynamicSupervisorFlags {
    const { maxRestarts, maxSeconds } = this.intensity;
    return {
      strategy: 'one_for_one',
      maxRestarts,
      maxSeconds,
      maxChildren: this.maxChildren,
      extraArguments: this.extraArguments ?? [],
    };
  }

  private scheduleRestart(child: DynamicChild, state: DynamicState) {
    const backoff = child.spec.backoff;
    if (backoff === undefined) return this.restart(child, state);
    const delay = nextRestartDelay(backoff, child, this.ctx.runtime.clock.now());
    state.pending.add(child);
    if (child.name !== undefined)
      child.standin = Standin.start(this.ctx, child.name, backoff.buffer ?? 0);
    this.sendAfter(new RestartNow(child), delay);
    return noreply(state);
  }

  private async restart(child: DynamicChild, state: DynamicState) {
    state.pending.delete(child);
    if (!this.intensity.add()) {
      this.report('shutdown', child, undefined, 'reached_max_restart_intensity');
      await this.shutdownAll(state);
      return stop('shutdown', state);
    }
    const standin = child.standin;
    child.standin = undefined;
    standin?.release();
    let pid: Pid<any> | undefined;
    try {
      pid = (await this.startOne(child))?.pid;
    } catch {
      standin?.stop();
      // As OTP: try again, each attempt counting toward the intensity.
      state.pending.add(child);
      this.ctx.send(this.self, new RestartNow(child));
      return noreply(state);
    }
    if (pid === undefined) {
      standin?.stop();
      return noreply(state);
    }
    state.children.set(pid, child);
    child.restarts++;
    standin?.forward(pid);
    this.report('child_restarted', child, pid, undefined);
    return noreply(state);
  }

  private async stopChild(pid: Pid<any>, child: DynamicChild): Promise<void> {
    const { shutdown, restart } = child.spec;
    const { reason } = await shutdownChild(this.ctx, pid, shutdown);
    if (!stoppedAsAsked(reason, shutdown, restart))
      this.report('shutdown_error', child, pid, reason);
  }

  private async shutdownAll(state: DynamicState): Promise<void> {
    const children = [...state.children];
    for (const child of state.pending) child.standin?.stop();
    state.children.clear();
    state.pending.clear();
    await Promise.all(children.map(([pid, child]) => this.stopChild(pid, child)));
  }

  private report(
    event: SupervisorReport['event'],
    child: DynamicChild,
    pid: Pid<any> | undefined,
    reason: unknown,
  ): void {
    emitSupervisorReport(this.ctx.runtime, this.self, event, child.spec.id, pid, reason);
  }
}

function whichChildren(state: DynamicState): ChildInfo[] {
  const info = (child: DynamicChild, pid: ChildInfo['pid']): ChildInfo => ({
    id: child.spec.id,
    pid,
    type: child.spec.type,
    restart: child.spec.restart,
    restarts: child.restarts,
  });
  return [
    ...[...state.children].map(([pid, child]) => info(child, pid)),
    ...[...state.pending].map((child) => info(child, 'restarting')),
  ];
}

function countChildren(state: DynamicState): ChildCounts {
  const all = [...state.children.values(), ...state.pending];
  const supervisors = all.filter((child) => child.spec.type === 'supervisor').length;
  return {
    specs: all.length,
    active: state.children.size,
    supervisors,
    workers: all.length - supervisors,
  };
}

/** Validates the options of `start` or `childSpec`; throws `ChildSpecError` naming the key. */
function validateOptions(options: unknown, known: readonly string[], where: string): void {
  checkSupervisorOptions(options, known, where);
  validateIntensity(options as DynamicSupervisorOptions);
  const { maxChildren = Number.POSITIVE_INFINITY, extraArguments } =
    options as DynamicSupervisorOptions;
  if (extraArguments !== undefined && !readableArray(extraArguments)) {
    throw new ChildSpecError(
      `${where}: extraArguments must be an array, got ${formatReason(extraArguments)}.`,
    );
  }
  if (!(typeof maxChildren === 'number' && maxChildren >= 0 && !Number.isNaN(maxChildren))) {
    throw new ChildSpecError(
      `${where}: maxChildren must be a number >= 0 (Infinity for no limit), got ${formatReason(maxChildren)}.`,
    );
  }
}
