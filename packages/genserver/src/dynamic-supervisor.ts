import { Exit, isCleanExit, type Name, type Pid, type Runtime, type Via } from '@actorkit/core';
import { shutdownChild, startChild } from './child-process.js';
import {
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
import { RestartIntensity } from './restart-intensity.js';
import { noreply, ok, reply, stop } from './results.js';
import { startServer } from './start.js';
import { ask } from './supervisor.js';
import type { ChildCounts, ChildInfo, Outcome } from './supervisor-server.js';

/** Options for `DynamicSupervisor.start`. */
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
}

/** A reference to a running dynamic supervisor. */
export type DynamicSupervisorRef = ServerRef<DynamicSupervisorServer> | Name | Via;

type DynamicCall =
  | { type: 'startChild'; spec: ChildSpecLike }
  | { type: 'terminateChild'; pid: Pid<any> }
  | { type: 'whichChildren' }
  | { type: 'countChildren' };

class RestartNow {
  constructor(readonly spec: NormalizedSpec) {}
}

interface DynamicState {
  children: Map<Pid<any>, NormalizedSpec>;
  /** Specs whose restart failed and is being retried. */
  pending: Set<NormalizedSpec>;
}

/**
 * A supervisor for children started at run time, as Elixir's `DynamicSupervisor`: one
 * process per user, connection or job. It starts with no children; `startChild` adds
 * them. Children are restarted one for one by their `restart` type, under the same
 * intensity rules as `Supervisor`; on shutdown all children are stopped concurrently.
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
  /** Starts an empty dynamic supervisor. */
  static start(
    options: DynamicSupervisorOptions = {},
  ): Promise<ServerRef<DynamicSupervisorServer>> {
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
   * Starts a child from `spec` and resolves with its PID (undefined if it ignored).
   * Rejects with `ChildError` (`max_children`) when full, or with the start error.
   */
  static startChild(
    supervisor: DynamicSupervisorRef,
    spec: ChildSpecLike,
    options?: CallOptions,
  ): Promise<Pid<any> | undefined> {
    return ask(supervisor, { type: 'startChild', spec }, options) as Promise<Pid<any> | undefined>;
  }

  /** Stops the child `pid`; rejects with `ChildError` (`not_found`) if it is not a child. */
  static terminateChild(
    supervisor: DynamicSupervisorRef,
    pid: Pid<any>,
    options?: CallOptions,
  ): Promise<void> {
    return ask(supervisor, { type: 'terminateChild', pid }, options) as Promise<void>;
  }

  /** Every running child, in start order. */
  static whichChildren(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildInfo[]> {
    return ask(supervisor, { type: 'whichChildren' }, options) as Promise<ChildInfo[]>;
  }

  /** Counts of children by type. */
  static countChildren(
    supervisor: DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildCounts> {
    return ask(supervisor, { type: 'countChildren' }, options) as Promise<ChildCounts>;
  }

  /** Stops the supervisor and all its children. */
  static stop(
    supervisor: DynamicSupervisorRef,
    reason: unknown = 'normal',
    options?: CallOptions,
  ): Promise<void> {
    return stopServer(supervisor, reason, options ?? Number.POSITIVE_INFINITY);
  }

  /** A child spec to run a dynamic supervisor under a `Supervisor`: `[DynamicSupervisor, options]`. */
  static childSpec(options: Omit<DynamicSupervisorOptions, 'runtime' | 'link'> = {}): ChildSpec {
    return {
      id: typeof options.name === 'string' ? options.name : 'DynamicSupervisor',
      type: 'supervisor',
      start: ({ runtime, self }) => DynamicSupervisor.start({ ...options, runtime, link: self }),
    };
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

  init(options: DynamicSupervisorOptions) {
    const { maxRestarts = 3, maxSeconds = 5, maxChildren = Number.POSITIVE_INFINITY } = options;
    if (
      !(Number.isInteger(maxRestarts) && maxRestarts >= 0) ||
      !(maxSeconds > 0) ||
      !(maxChildren >= 0)
    ) {
      throw new ChildSpecError(
        `maxRestarts must be an integer >= 0, maxSeconds > 0 and maxChildren >= 0, got ${maxRestarts}, ${maxSeconds} and ${maxChildren}.`,
      );
    }
    this.ctx.trapExit(true);
    this.intensity = new RestartIntensity(this.ctx.runtime.clock, maxRestarts, maxSeconds);
    this.maxChildren = maxChildren;
    return ok<DynamicState>({ children: new Map(), pending: new Set() });
  }

  override async handleCall(request: DynamicCall, _from: From, state: DynamicState) {
    return reply(await this.answer(request, state), state);
  }

  override async handleInfo(message: unknown, state: DynamicState) {
    if (message instanceof RestartNow) return this.restart(message.spec, state);
    if (!(message instanceof Exit)) return noreply(state);
    const spec = state.children.get(message.from);
    if (spec === undefined) return noreply(state);
    state.children.delete(message.from);
    const restart =
      spec.restart === 'permanent' ||
      (spec.restart === 'transient' && !isCleanExit(message.reason));
    return restart ? this.restart(spec, state) : noreply(state);
  }

  override async terminate(_reason: unknown, state: DynamicState) {
    await this.shutdownAll(state);
  }

  private async answer(request: DynamicCall, state: DynamicState): Promise<Outcome> {
    switch (request.type) {
      case 'startChild':
        return this.add(request.spec, state);
      case 'terminateChild': {
        const spec = state.children.get(request.pid);
        if (spec === undefined) {
          return {
            error: new ChildError('not_found', `${request.pid} is not a child of this supervisor.`),
          };
        }
        state.children.delete(request.pid);
        await shutdownChild(this.ctx, request.pid, spec.shutdown);
        return { ok: undefined };
      }
      case 'whichChildren':
        return {
          ok: [...state.children].map(
            ([pid, spec]): ChildInfo => ({
              id: spec.id,
              pid,
              type: spec.type,
              restart: spec.restart,
            }),
          ),
        };
      case 'countChildren': {
        const specs = [...state.children.values()];
        const supervisors = specs.filter((s) => s.type === 'supervisor').length;
        return {
          ok: {
            specs: specs.length,
            active: specs.length,
            supervisors,
            workers: specs.length - supervisors,
          },
        };
      }
    }
  }

  private async add(like: ChildSpecLike, state: DynamicState): Promise<Outcome> {
    if (state.children.size + state.pending.size >= this.maxChildren) {
      return {
        error: new ChildError(
          'max_children',
          `this supervisor already has its maximum of ${this.maxChildren} children. Stop some, or raise maxChildren.`,
        ),
      };
    }
    try {
      const spec = normalizeChildSpec(like);
      const pid = await startChild(spec, this.ctx);
      if (pid !== undefined) state.children.set(pid, spec);
      return { ok: pid };
    } catch (error) {
      return { error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  private async restart(spec: NormalizedSpec, state: DynamicState) {
    state.pending.delete(spec);
    if (!this.intensity.add()) {
      await this.shutdownAll(state);
      return stop('shutdown', state);
    }
    try {
      const pid = await startChild(spec, this.ctx);
      if (pid !== undefined) state.children.set(pid, spec);
    } catch {
      // As OTP: try again, each attempt counting toward the intensity.
      state.pending.add(spec);
      this.ctx.send(this.self, new RestartNow(spec));
    }
    return noreply(state);
  }

  private async shutdownAll(state: DynamicState): Promise<void> {
    const children = [...state.children];
    state.children.clear();
    state.pending.clear();
    await Promise.all(children.map(([pid, spec]) => shutdownChild(this.ctx, pid, spec.shutdown)));
  }
}
