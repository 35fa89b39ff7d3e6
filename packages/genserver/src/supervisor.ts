import { formatReason, type Name, type Pid, type Runtime, type Via } from '@actorkit/core';
import {
  checkOptions,
  type OptionChecks,
  RUNTIME_OPTION,
  TIMEOUT_OPTION,
} from './check-options.js';
import type { AnyChildSpecLike, ChildId, ChildSpec, ChildSpecLike } from './child-spec.js';
import { type CallOptions, call, type ServerRef, stopServer } from './client.js';
import type { DynamicSupervisorRef } from './dynamic-supervisor.js';
import { ChildSpecError } from './errors.js';
import { checkSupervisorOptions } from './options.js';
import type { MaybePromise } from './results.js';
import { startServer } from './start.js';
import type { ChildStart } from './started-child.js';
import {
  type ChildCounts,
  type ChildInfo,
  FLAG_KEYS,
  normalizeChildren,
  type Outcome,
  type RestartCount,
  type SupervisorCall,
  type SupervisorFlags,
  type SupervisorInit,
  SupervisorServer,
  validateFlags,
} from './supervisor-server.js';
import { nameOf } from './text.js';

/**
 * Options for `Supervisor.start`/`startLink`: the flags (for a list of children; a
 * module-based supervisor's flags come from its `init`), plus where and under which
 * name. Any other key is rejected with `ChildSpecError`.
 */
export interface SupervisorOptions extends SupervisorFlags {
  name?: Name | Via;
  /** @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** The process to link to (the parent). Omit at the top of an application. */
  link?: Pid<any>;
}

/**
 * Options for `Supervisor.childSpec(children, options)`: the flags and `name` of the
 * nested supervisor, and the `id` of the child (default: the name when it is a string,
 * else `'Supervisor'`). Its runtime and parent come from the supervisor above it.
 */
export interface SupervisorChildSpecOptions extends Omit<SupervisorOptions, 'runtime' | 'link'> {
  id?: ChildId;
}

const PLACE_KEYS = ['name', 'runtime', 'link'] as const;
const LIST_OPTION_KEYS = [...FLAG_KEYS, ...PLACE_KEYS];
const CHILD_SPEC_KEYS = [...FLAG_KEYS, 'name', 'id'];

/** A reference to a running supervisor. */
export type SupervisorRef = ServerRef<SupervisorServer> | Name | Via;

/** What a module-based supervisor's `init` returns: build it with `Supervisor.init`. */
export type SupervisorSpec = SupervisorInit;

/** A module-based supervisor class. */
export type SupervisorModule<A> = new () => Supervisor<A>;

/**
 * A supervisor, as Elixir's `Supervisor`: a process that starts children, watches them
 * and restarts them by a strategy, so a crash is contained and repaired instead of
 * spreading. Children start in order and stop in reverse order.
 *
 * - `one_for_one`: only the child that exited is restarted.
 * - `one_for_all`: all children are stopped and restarted.
 * - `rest_for_one`: the child and those started after it are stopped and restarted.
 *
 * More than `maxRestarts` restarts within `maxSeconds` and the supervisor stops all
 * children and exits `'shutdown'`, letting its own supervisor decide (escalation).
 *
 * A child is a `ChildSpec`, `[Module, arg]`, `[Module, arg, { name, …overrides }]` (a
 * registered name in one line) or a bare `Module`; a list of children nests as one
 * child with `Supervisor.childSpec(children, options)`. What the supervisor does is
 * reported on `runtime.events` (`'report'`, typed `SupervisorReport`: `child_terminated`,
 * `child_restarted`, `start_error`, `shutdown_error`, `shutdown`).
 *
 * @example
 * const sup = await Supervisor.start(
 *   [[TaskSupervisor, { name: 'AccountSetupSupervisor' }], [AccountSync, { interval: 1000 }]],
 *   { strategy: 'one_for_one' },
 * );
 *
 * Named children, and a nested list of children with its own strategy:
 *
 * await Supervisor.start([
 *   [Counter, 0, { name: 'counter' }],
 *   Supervisor.childSpec([[Repo, db], [Cache, 1000]], { id: 'storage', strategy: 'rest_for_one' }),
 * ]);
 *
 * Or module-based, when the children depend on an argument:
 *
 * class App extends Supervisor<Config> {
 *   init(config: Config) {
 *     return Supervisor.init([[Repo, config.db]], { strategy: 'one_for_one' });
 *   }
 * }
 * await Supervisor.start(App, config);
 *
 * ## When not to use it
 * For children started on demand (one per user or connection), use a
 * `DynamicSupervisor`; for one-off jobs, a `TaskSupervisor`.
 */
export abstract class Supervisor<A = void> {
  /** Returns the children and flags, built with `Supervisor.init`. */
  abstract init(arg: A): MaybePromise<SupervisorSpec>;

  /** Builds what a module-based supervisor's `init` returns. */
  static init(children: readonly AnyChildSpecLike[], flags: SupervisorFlags = {}): SupervisorSpec {
    return { children, flags };
  }

  /**
   * Starts a supervisor with `children` (or a module-based supervisor with its `arg`) and
   * resolves once every child has started. If a child fails to start, the ones already
   * started are stopped and this rejects with `StartError` (reason
   * `{ shutdown: { failedToStartChild: id, reason } }`). A malformed child, an unknown
   * option or a flag of the wrong type rejects with `ChildSpecError` naming it.
   */
  static start(
    children: readonly AnyChildSpecLike[],
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static start<A>(
    module: SupervisorModule<A>,
    arg: A,
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static start(
    what: readonly AnyChildSpecLike[] | SupervisorModule<any>,
    argOrOptions?: unknown,
    maybeOptions?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>> {
    try {
      if (typeof what === 'function') {
        // Read without a throw: a revoked proxy of a class has no name, and fails below.
        const name = nameOf(what, 'Supervisor');
        const options = maybeOptions ?? {};
        checkSupervisorOptions(options, PLACE_KEYS, `Supervisor.start(${name}, arg, options)`);
        const module = construct(what);
        return startSupervisor(() => module.init(argOrOptions), options, name);
      }
      const options = (argOrOptions ?? {}) as SupervisorOptions;
      checkSupervisorOptions(options, LIST_OPTION_KEYS, 'Supervisor.start(children, options)');
      normalizeChildren(what);
      const flags = flagsOf(options);
      validateFlags(flags);
      return startSupervisor(() => Supervisor.init(what, flags), options, 'Supervisor');
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `start` with `options.link` as the parent: what a parent supervisor calls. */
  static startLink(
    children: readonly AnyChildSpecLike[],
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static startLink<A>(
    module: SupervisorModule<A>,
    arg: A,
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static startLink(what: any, argOrOptions?: any, maybeOptions?: SupervisorOptions) {
    return Supervisor.start(what, argOrOptions, maybeOptions);
  }

  /**
   * Adds `spec` to the supervisor and starts its child, as OTP's `start_child`. Resolves
   * with what the child's `start` resolved with: its PID, or `{ pid, info }` when the
   * start hands back info (`StartedChild`, OTP's `{ok, Pid, Info}`); the type follows the
   * spec's. Resolves undefined when the child ignored (`StartError` `'ignore'`): its spec
   * is kept, except a temporary child's, and `restartChild` can start it later.
   *
   * Rejects, and the supervisor stays up:
   * - `AlreadyStartedError` (`error.pid` is the running child) when a child with that id
   *   is running, `AlreadyPresentError` when its spec is kept but it is not running
   *   (terminated, ignored, exited without restart, or waiting out a backoff); the
   *   new spec is discarded. Both are `ChildError`s (`reason` `'already_started'`,
   *   `'already_present'`).
   * - `ChildSpecError` for a malformed spec, or a `start` that resolved with neither a
   *   PID nor `{ pid, info }`; what `start` failed with otherwise (a non-Error wrapped in
   *   a `StartError`). No spec is kept.
   *
   * @example
   * const pid = await Supervisor.startChild(sup, [Worker, 1]);
   * const { pid: listener, info } = (await Supervisor.startChild(sup, listenerSpec))!; // a start returning { pid, info }
   */
  static startChild<R extends ChildStart = Pid<any>>(
    supervisor: SupervisorRef,
    spec: ChildSpecLike<R>,
    options?: CallOptions,
  ): Promise<R | undefined> {
    return ask(supervisor, { type: 'startChild', spec }, options) as Promise<R | undefined>;
  }

  /**
   * Stops a child by id, as OTP's `terminate_child`: `'shutdown'`, then a kill after its
   * `shutdown` ms (see `ChildSpec`). It is not restarted; its spec is kept, so
   * `restartChild` can start it again, except a temporary child's, which is removed.
   * Resolves at once for a child that is not running. Rejects with `ChildError`
   * (`'not_found'`) for an unknown id.
   */
  static terminateChild(
    supervisor: SupervisorRef,
    id: ChildId,
    options?: CallOptions,
  ): Promise<void> {
    return ask(supervisor, { type: 'terminateChild', id }, options) as Promise<void>;
  }

  /**
   * Starts again the kept spec of a child that is not running (terminated, ignored, or a
   * transient child that exited cleanly), as OTP's `restart_child`. Resolves with what its
   * `start` resolved with, as `startChild` does, or undefined when it ignored. Give `R`
   * (`StartedChild<Info>`) for a child whose start hands back info: the supervisor
   * names the child by id only, so the type cannot follow its spec.
   *
   * Rejects with `ChildError`: `'running'` when it runs, `'restarting'` while it waits out
   * a backoff, `'not_found'` for an id without a spec (a temporary child's is removed as
   * it stops); or with what its start failed with (the spec stays).
   *
   * @example
   * await Supervisor.terminateChild(sup, 'cache');
   * const pid = await Supervisor.restartChild(sup, 'cache');
   */
  static restartChild<R extends ChildStart = Pid<any>>(
    supervisor: SupervisorRef,
    id: ChildId,
    options?: CallOptions,
  ): Promise<R | undefined> {
    return ask(supervisor, { type: 'restartChild', id }, options) as Promise<R | undefined>;
  }

  /**
   * Removes the spec of a child that is not running, as OTP's `delete_child`, freeing its
   * id. Rejects with `ChildError`: `'running'` when it runs (`terminateChild` it first),
   * `'restarting'` while it waits out a backoff, `'not_found'` for an unknown id.
   */
  static deleteChild(supervisor: SupervisorRef, id: ChildId, options?: CallOptions): Promise<void> {
    return ask(supervisor, { type: 'deleteChild', id }, options) as Promise<void>;
  }

  /**
   * Every child, in start order. Any supervisor answers, a `DynamicSupervisor` or
   * `TaskSupervisor` too, as Elixir's `Supervisor.which_children/1`.
   */
  static whichChildren(
    supervisor: SupervisorRef | DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildInfo[]> {
    return ask(supervisor, { type: 'whichChildren' }, options) as Promise<ChildInfo[]>;
  }

  /**
   * Counts of the supervisor's children, as OTP's `count_children`: `specs` (every kept
   * spec), `active` (running now), `supervisors` and `workers` (by type, running or not).
   * Any supervisor answers, a `DynamicSupervisor` or `TaskSupervisor` too, as Elixir's
   * `Supervisor.count_children/1`.
   *
   * @example
   * await Supervisor.countChildren(sup); // { specs: 3, active: 2, supervisors: 1, workers: 2 }
   */
  static countChildren(
    supervisor: SupervisorRef | DynamicSupervisorRef,
    options?: CallOptions,
  ): Promise<ChildCounts> {
    return ask(supervisor, { type: 'countChildren' }, options) as Promise<ChildCounts>;
  }

  /**
   * The supervisor's flags with their defaults filled in: `strategy`, `maxRestarts` and
   * `maxSeconds` (OTP's strategy, intensity and period), whether they came from the
   * options or from a module's `init`.
   *
   * @example
   * await Supervisor.getFlags(sup); // { strategy: 'one_for_one', maxRestarts: 3, maxSeconds: 5 }
   */
  static getFlags(
    supervisor: SupervisorRef,
    options?: CallOptions,
  ): Promise<Required<SupervisorFlags>> {
    return ask(supervisor, { type: 'getFlags' }, options) as Promise<Required<SupervisorFlags>>;
  }

  /**
   * The restarts the supervisor has made since it started (`total`), and those within
   * the last `maxSeconds` (`recent`, what the restart intensity weighs). The supervisor
   * counts them itself, so a reader that arrives late (an observer) still sees the
   * restarts before it; `whichChildren` gives each child's own count (`restarts`).
   *
   * @example
   * const { total, recent } = await Supervisor.restartCount(sup);
   * const { maxRestarts } = await Supervisor.getFlags(sup);
   * if (recent === maxRestarts) console.warn('one more crash and the supervisor gives up');
   */
  static restartCount(supervisor: SupervisorRef, options?: CallOptions): Promise<RestartCount> {
    return ask(supervisor, { type: 'restartCount' }, options) as Promise<RestartCount>;
  }

  /** Stops the supervisor (children first, in reverse start order) and resolves once it exited. */
  static stop(
    supervisor: SupervisorRef,
    reason: unknown = 'normal',
    options?: CallOptions,
  ): Promise<void> {
    return stopServer(supervisor, reason, options ?? Number.POSITIVE_INFINITY);
  }

  /**
   * The child spec of a supervisor nested under another, `type: 'supervisor'` (so never
   * killed before its own children have stopped), as Elixir's generated `child_spec/1`:
   * - `App.childSpec(arg)` for a module-based supervisor (what `[App, arg]` calls); its
   *   id is the class name.
   * - `Supervisor.childSpec(children, options)` for a list of children with its flags,
   *   Elixir's `%{id: …, start: {Supervisor, :start_link, [children, opts]}, type: :supervisor}`
   *   in one line; its id is `options.id`, else the name when it is a string, else
   *   `'Supervisor'`. `[Supervisor, children]` is the same with default flags.
   *
   * Throws `ChildSpecError` for a malformed child, flag or option, at once.
   *
   * @example
   * await Supervisor.start([
   *   Supervisor.childSpec([[Repo, config.db], [Cache, 1000]], { id: 'storage', strategy: 'rest_for_one' }),
   *   [Web, config.port],
   * ]);
   */
  static childSpec<A>(this: SupervisorModule<A>, arg: A): ChildSpec;
  static childSpec(
    this: typeof Supervisor,
    children: readonly AnyChildSpecLike[],
    options?: SupervisorChildSpecOptions,
  ): ChildSpec;
  static childSpec(
    this: SupervisorModule<unknown> | typeof Supervisor,
    arg: unknown,
    options: SupervisorChildSpecOptions = {},
  ): ChildSpec {
    if (this === Supervisor) return listChildSpec(arg as readonly AnyChildSpecLike[], options);
    const module = this as SupervisorModule<unknown>;
    return {
      id: module.name,
      type: 'supervisor',
      start: ({ runtime, self, name }) =>
        Supervisor.start(module, arg, { runtime, link: self, name }),
    };
  }
}

function listChildSpec(
  children: readonly AnyChildSpecLike[],
  options: SupervisorChildSpecOptions,
): ChildSpec {
  checkSupervisorOptions(options, CHILD_SPEC_KEYS, 'Supervisor.childSpec(children, options)');
  normalizeChildren(children);
  const flags = flagsOf(options);
  validateFlags(flags);
  const { id, name } = options;
  return {
    id: id ?? (typeof name === 'string' ? name : 'Supervisor'),
    type: 'supervisor',
    start: ({ runtime, self, name: given }) =>
      Supervisor.start(children, { ...flags, name: name ?? given, runtime, link: self }),
  };
}

/** The flags among `options`, without the keys left undefined. */
function flagsOf(options: SupervisorFlags): SupervisorFlags {
  const flags: SupervisorFlags = {};
  if (options.strategy !== undefined) flags.strategy = options.strategy;
  if (options.maxRestarts !== undefined) flags.maxRestarts = options.maxRestarts;
  if (options.maxSeconds !== undefined) flags.maxSeconds = options.maxSeconds;
  return flags;
}

function startSupervisor(
  setup: () => MaybePromise<SupervisorInit>,
  options: SupervisorOptions,
  label: string,
): Promise<ServerRef<SupervisorServer>> {
  return startServer(
    SupervisorServer,
    setup,
    {
      runtime: options.runtime,
      name: options.name,
      timeout: Number.POSITIVE_INFINITY,
      label,
      behaviour: 'supervisor',
    },
    options.link,
  );
}

/** `new module()`; a module that cannot even be asked (a revoked proxy) is a ChildSpecError. */
function construct<A>(module: SupervisorModule<A>): Supervisor<A> {
  try {
    void module.prototype;
  } catch {
    throw new ChildSpecError(
      `Supervisor.start: the module must be a Supervisor class, got ${formatReason(module)}.`,
    );
  }
  return new module();
}

const ASK_OPTIONS: OptionChecks = { timeout: TIMEOUT_OPTION, runtime: RUNTIME_OPTION };

/** @internal Calls a supervisor and turns an error outcome into a rejection. */
export async function ask(
  supervisor: SupervisorRef | Pid<any>,
  request: unknown,
  options?: CallOptions,
): Promise<unknown> {
  // Checked, then read key by key: a spread would throw for a revoked proxy, run getters,
  // and copy a huge string or array into an object of as many keys.
  checkOptions(options, 'a supervisor request', ASK_OPTIONS);
  const outcome = (await call(supervisor, request, {
    timeout: options?.timeout ?? Number.POSITIVE_INFINITY,
    runtime: options?.runtime,
  })) as Outcome;
  if ('error' in outcome) throw outcome.error;
  return outcome.ok;
}

export type { ChildCounts, ChildInfo, RestartCount, SupervisorCall, SupervisorFlags };
