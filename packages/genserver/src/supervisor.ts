import type { Name, Pid, Runtime, Via } from '@actorkit/core';
import type { ChildId, ChildSpec, ChildSpecLike } from './child-spec.js';
import { type CallOptions, call, type ServerRef, stopServer } from './client.js';
import type { MaybePromise } from './results.js';
import { startServer } from './start.js';
import {
  type ChildCounts,
  type ChildInfo,
  normalizeChildren,
  type Outcome,
  type SupervisorCall,
  type SupervisorFlags,
  type SupervisorInit,
  SupervisorServer,
  validateFlags,
} from './supervisor-server.js';

/** Options for `Supervisor.start`/`startLink`: the flags, plus where and under which name. */
export interface SupervisorOptions extends SupervisorFlags {
  name?: Name | Via;
  /** @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** The process to link to (the parent). Omit at the top of an application. */
  link?: Pid<any>;
}

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
 * @example
 * const sup = await Supervisor.start(
 *   [[TaskSupervisor, { name: 'AccountSetupSupervisor' }], [AccountSync, { interval: 1000 }]],
 *   { strategy: 'one_for_one' },
 * );
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
  static init(children: readonly ChildSpecLike[], flags: SupervisorFlags = {}): SupervisorSpec {
    return { children, flags };
  }

  /**
   * Starts a supervisor with `children` (or a module-based supervisor with its `arg`) and
   * resolves once every child has started. If a child fails to start, the ones already
   * started are stopped and this rejects with `StartError` (reason
   * `{ shutdown: { failedToStartChild: id, reason } }`).
   */
  static start(
    children: readonly ChildSpecLike[],
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static start<A>(
    module: SupervisorModule<A>,
    arg: A,
    options?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>>;
  static start(
    what: readonly ChildSpecLike[] | SupervisorModule<any>,
    argOrOptions?: unknown,
    maybeOptions?: SupervisorOptions,
  ): Promise<ServerRef<SupervisorServer>> {
    if (typeof what === 'function') {
      const module = new what();
      const options = maybeOptions ?? {};
      return startSupervisor(() => module.init(argOrOptions), options, what.name);
    }
    const options = (argOrOptions ?? {}) as SupervisorOptions;
    try {
      normalizeChildren(what);
      validateFlags(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return startSupervisor(() => Supervisor.init(what, options), options, 'Supervisor');
  }

  /** `start` with `options.link` as the parent: what a parent supervisor calls. */
  static startLink(
    children: readonly ChildSpecLike[],
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

  /** Adds and starts a child; resolves with its PID (undefined if it ignored). Rejects with `ChildError` if the id is taken. */
  static startChild(
    supervisor: SupervisorRef,
    spec: ChildSpecLike,
    options?: CallOptions,
  ): Promise<Pid<any> | undefined> {
    return ask(supervisor, { type: 'startChild', spec }, options) as Promise<Pid<any> | undefined>;
  }

  /** Stops a child by id (its spec is kept, except a temporary child's). Rejects with `ChildError` if unknown. */
  static terminateChild(
    supervisor: SupervisorRef,
    id: ChildId,
    options?: CallOptions,
  ): Promise<void> {
    return ask(supervisor, { type: 'terminateChild', id }, options) as Promise<void>;
  }

  /** Starts again a child that was terminated; rejects with `ChildError` if it is running or unknown. */
  static restartChild(
    supervisor: SupervisorRef,
    id: ChildId,
    options?: CallOptions,
  ): Promise<Pid<any> | undefined> {
    return ask(supervisor, { type: 'restartChild', id }, options) as Promise<Pid<any> | undefined>;
  }

  /** Removes a terminated child's spec; rejects with `ChildError` if it is running or unknown. */
  static deleteChild(supervisor: SupervisorRef, id: ChildId, options?: CallOptions): Promise<void> {
    return ask(supervisor, { type: 'deleteChild', id }, options) as Promise<void>;
  }

  /** Every child, in start order. */
  static whichChildren(supervisor: SupervisorRef, options?: CallOptions): Promise<ChildInfo[]> {
    return ask(supervisor, { type: 'whichChildren' }, options) as Promise<ChildInfo[]>;
  }

  /** Counts of specs, running children, supervisors and workers. */
  static countChildren(supervisor: SupervisorRef, options?: CallOptions): Promise<ChildCounts> {
    return ask(supervisor, { type: 'countChildren' }, options) as Promise<ChildCounts>;
  }

  /** Stops the supervisor (children first, in reverse start order) and resolves once it exited. */
  static stop(
    supervisor: SupervisorRef,
    reason: unknown = 'normal',
    options?: CallOptions,
  ): Promise<void> {
    return stopServer(supervisor, reason, options ?? Number.POSITIVE_INFINITY);
  }

  /** The child spec of a module-based supervisor: `type: 'supervisor'`, never killed before its children stop. */
  static childSpec<A>(this: SupervisorModule<A>, arg: A): ChildSpec {
    return {
      id: this.name,
      type: 'supervisor',
      start: ({ runtime, self }) => Supervisor.start(this, arg, { runtime, link: self }),
    };
  }
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

/** @internal Calls a supervisor and turns an error outcome into a rejection. */
export async function ask(
  supervisor: SupervisorRef | Pid<any>,
  request: unknown,
  options?: CallOptions,
): Promise<unknown> {
  const outcome = (await call(supervisor, request, {
    timeout: Number.POSITIVE_INFINITY,
    ...options,
  })) as Outcome;
  if ('error' in outcome) throw outcome.error;
  return outcome.ok;
}

export type { ChildCounts, ChildInfo, SupervisorCall, SupervisorFlags };
