/**
 * A supervisor for tasks, as Elixir's `Task.Supervisor`: a `DynamicSupervisor` whose
 * children are tasks started at run time. Start fire-and-forget work under it with
 * `startChild` (optionally retried with `restart: 'transient'`), or tasks whose result
 * you collect with `async` / `asyncNolink` and `Task.await`. When the supervisor stops,
 * so do its tasks; put it in your application's supervision tree so that happens on
 * shutdown.
 *
 * @example
 * const app = await Supervisor.start([[TaskSupervisor, { name: 'AccountSetupSupervisor' }]]);
 * await TaskSupervisor.startChild('AccountSetupSupervisor', () => crm.createContact(user), {
 *   restart: 'transient', // retried after a crash, up to the supervisor's intensity
 *   backoff: { initial: 1000, max: 60_000, jitter: 0.2 }, // spaced retries (opt-in)
 * });
 * const task = await TaskSupervisor.asyncNolink('AccountSetupSupervisor', () => fulfillment.nearestCenter(user));
 * const result = await Task.yield(task); // { ok } | { exit } | undefined, never a crash of the caller
 *
 * Restart intensity is the supervisor's (3 restarts in 5 s by default): a transient task
 * that keeps crashing past it takes the whole TaskSupervisor down with `'shutdown'`,
 * every task with it, and its own supervisor decides what next (escalation), exactly
 * as in Elixir.
 *
 * ## When not to use it
 * For a task whose caller waits for it and should fail with it, `Task.async` is enough;
 * for a long-lived process with state, use a `GenServer` under a `DynamicSupervisor`.
 * For retries, give `startChild` `maxAttempts` (with `backoff` and `onError`): attempts
 * in fresh processes that never spend the restart intensity (see `RetriedChildOptions`);
 * `transient` restarts are for crashes. Retries live in memory: it is not a durable job
 * queue (that is `@actorkit/jobs`, with the same options); its tasks die with the node.
 *
 * ## Shutdown
 * A task that does not trap exits dies at once when its supervisor stops (and so on
 * `runtime.stop()`), whatever its `shutdown` ms; one that traps exits gets `shutdown`
 * ms to finish (see `ChildSpec`, "Shutdown, trapping exits and `ctx.signal`", and the
 * README's "Graceful shutdown").
 *
 * ## Differences from Elixir
 * Starting a task is a call to the supervisor, so `async` and `asyncNolink` return a
 * promise of the `Task`. JavaScript has no implicit caller: `async` links the task to
 * `options.link` if given; `asyncStream` throws on a crash (its tasks count as linked
 * to the loop) and `asyncStreamNolink` yields `{ exit: reason }` instead. A
 * `[module, functionName, args]` task (`startChild`, `async`, `asyncNolink`) is called as
 * `module[functionName](...args, ctx)`.
 */
import {
  defaultRuntime,
  InvalidArgumentError,
  isPid,
  type Pid,
  type Runtime,
  runtimeOf,
} from '@actorkit/core';
import {
  checkOptions,
  type OptionCheck,
  type OptionChecks,
  PID_OPTION,
  RUNTIME_OPTION,
} from './check-options.js';
import { childIdOfName } from './child-name.js';
import type { Backoff, ChildSpec } from './child-spec.js';
import type { CallOptions, ServerRef } from './client.js';
import {
  DynamicSupervisor,
  type DynamicSupervisorFlags,
  type DynamicSupervisorOptions,
  type DynamicSupervisorRef,
  type DynamicSupervisorServer,
} from './dynamic-supervisor.js';
import { ChildError, ChildSpecError } from './errors.js';
import { RETRY_OPTION_CHECKS, type RetryOptions } from './retry.js';
import type { ChildCounts, RestartCount } from './supervisor-server.js';
import {
  type AsyncStreamOptions,
  labelOf,
  runOnly,
  type StreamResult,
  Task,
  TaskControl,
  type TaskFn,
} from './task.js';
import {
  assertNotDraining,
  type DrainResult,
  drainTasks,
  resolveSupervisor,
} from './task-drain.js';
import { type StreamFn, streamFunction, type TaskMfa, taskFunction } from './task-mfa.js';
import {
  type AttemptFn,
  firstAttempt,
  type RetryPolicy,
  retrying,
  retryPolicy,
  type TaskRetryOptions,
} from './task-retry.js';
import { streamTasks } from './task-stream.js';

export type { TaskMfa } from './task-mfa.js';

/** Options for `TaskSupervisor.start`: those of a `DynamicSupervisor`. */
export type TaskSupervisorOptions = Omit<DynamicSupervisorOptions, 'extraArguments'>;

/** A reference to a running task supervisor: its PID, or its name. */
export type TaskSupervisorRef = DynamicSupervisorRef;

/** Where names are looked up: pass `runtime` when the supervisor is named and not on `defaultRuntime()`. */
export type LookupOptions = Pick<CallOptions, 'runtime'>;

/** Options for `TaskSupervisor.startChild`. */
export interface TaskChildOptions extends LookupOptions {
  /**
   * `'temporary'`: never restarted; `'transient'`: run again after an exit other than
   * `'normal'`, `'shutdown'` or `{ shutdown: detail }`; `'permanent'`: always run again.
   * @default 'temporary'
   */
  restart?: 'temporary' | 'transient' | 'permanent';
  /**
   * Ms the task gets to stop when the supervisor shuts it down, or `'brutal_kill'`. Only
   * a task that traps exits (`ctx.trapExit(true)`) uses this time: one that does not
   * dies at once (see `ChildSpec`, "Shutdown, trapping exits and `ctx.signal`").
   * `'infinity'` waits for it as long as it takes, as Elixir's `:infinity`.
   * @default 5000
   */
  shutdown?: number | 'brutal_kill' | 'infinity';
  /**
   * Spaces the reruns of a `transient` or `permanent` task, as for any child (see
   * `Backoff`). With `maxAttempts` (see {@link RetriedChildOptions}), `backoff` spaces
   * the retries instead. @default none: rerun at once
   */
  backoff?: Backoff;
}

/**
 * Options for `TaskSupervisor.startChild` with retries (`maxAttempts` given): each
 * attempt runs in a fresh process (`ctx.attempt` 1, 2 …), waits `backoff` after a
 * failure, and `onError` decides per error. Retries never spend the supervisor's restart
 * intensity; `restart` applies to the task as a whole, once it gave up.
 */
export type RetriedChildOptions = Omit<TaskChildOptions, 'backoff'> & TaskRetryOptions;

/**
 * Options for `TaskSupervisor.asyncNolink` with the retry options: retried when
 * `maxAttempts` is given (`onError` needs it). Without, `ctx.attempt` is 1.
 */
export type RetriedAsyncOptions = SupervisedAsyncOptions & RetryOptions;

/** Options for `TaskSupervisor.async` and `asyncNolink`. */
export interface SupervisedAsyncOptions extends LookupOptions {
  /**
   * Ms the task gets to stop when the supervisor shuts it down, `'brutal_kill'`, or
   * `'infinity'` (as long as it takes). @default 5000
   */
  shutdown?: number | 'brutal_kill' | 'infinity';
  /**
   * Also tells this process the outcome by message: a `TaskReply` and then a `Down` with
   * the task's `ref`, as Elixir's caller is told (see `Task.async`'s `replyTo`). The way
   * a GenServer runs work under a task supervisor without waiting for it, and handles its
   * outcome in `handleInfo`. @default nobody
   */
  replyTo?: Pid<any>;
}

/** Options for `TaskSupervisor.async`. */
export interface SupervisedLinkOptions extends SupervisedAsyncOptions {
  /** Links the task to this process as well (Elixir links it to the caller). @default unlinked */
  link?: Pid<any>;
}

/** Options for `TaskSupervisor.asyncStream` and `asyncStreamNolink`. */
export interface SupervisedStreamOptions extends AsyncStreamOptions {
  /**
   * Ms each task gets to stop when the supervisor shuts it down, or `'brutal_kill'`; not
   * `'infinity'`, as Elixir's `async_stream` refuses `:infinity`. @default 5000
   */
  shutdown?: number | 'brutal_kill';
}

const STREAM_SHUTDOWN_OPTION: OptionCheck = {
  expected: "a number of ms >= 0 or 'brutal_kill'",
  accepts: (value) =>
    value === 'brutal_kill' || (typeof value === 'number' && Number.isFinite(value) && value >= 0),
};
// Elixir's start_child, async and async_nolink take a timeout() (:infinity included);
// its async_stream only ms or :brutal_kill.
const SHUTDOWN_OPTION: OptionCheck = {
  expected: "a number of ms >= 0, 'brutal_kill' or 'infinity'",
  accepts: (value) => value === 'infinity' || STREAM_SHUTDOWN_OPTION.accepts(value),
};
const LOOKUP_OPTIONS: OptionChecks = { runtime: RUNTIME_OPTION };
const CHILD_OPTIONS: OptionChecks = {
  runtime: RUNTIME_OPTION,
  restart: {
    expected: "'temporary', 'transient' or 'permanent'",
    accepts: (value) => value === 'temporary' || value === 'transient' || value === 'permanent',
  },
  shutdown: SHUTDOWN_OPTION,
  // Checked with the child spec, as any child's: a ChildSpecError naming the field (or,
  // with maxAttempts, as a retry backoff).
  backoff: { expected: 'a Backoff', accepts: () => true },
  maxAttempts: RETRY_OPTION_CHECKS.maxAttempts!,
  onError: RETRY_OPTION_CHECKS.onError!,
};
const ASYNC_OPTIONS: OptionChecks = {
  runtime: RUNTIME_OPTION,
  shutdown: SHUTDOWN_OPTION,
  replyTo: PID_OPTION,
};
const RETRIED_ASYNC_OPTIONS: OptionChecks = { ...ASYNC_OPTIONS, ...RETRY_OPTION_CHECKS };
const LINK_OPTIONS: OptionChecks = { ...RETRIED_ASYNC_OPTIONS, link: PID_OPTION };
// The stream's own options are checked by the stream itself.
const ANY: OptionCheck = { expected: 'a stream option', accepts: () => true };
const STREAM_NOLINK_OPTIONS: OptionChecks = {
  runtime: RUNTIME_OPTION,
  shutdown: STREAM_SHUTDOWN_OPTION,
  maxConcurrency: ANY,
  ordered: ANY,
  timeout: ANY,
  onTimeout: ANY,
  zipInputOnExit: ANY,
};
const STREAM_OPTIONS: OptionChecks = { ...STREAM_NOLINK_OPTIONS, link: PID_OPTION };

/**
 * The `TaskSupervisor` API (all static). See the module documentation above for the
 * model; each function's doc gives its edge behaviour. Every options object is checked:
 * an unknown key, or a value of the wrong type, is an `InvalidArgumentError` naming it,
 * never ignored.
 */
export class TaskSupervisor {
  /**
   * Starts a task supervisor and resolves with its PID. `maxRestarts` (default 3) in
   * `maxSeconds` (default 5) bounds transient restarts; `maxChildren` (default
   * Infinity) bounds running tasks, beyond which starting one rejects with `ChildError`.
   */
  static start(options: TaskSupervisorOptions = {}): Promise<ServerRef<DynamicSupervisorServer>> {
    if (hasExtraArguments(options)) return Promise.reject(extraArgumentsError('start'));
    return DynamicSupervisor.start(options);
  }

  /** `start`, linked to `options.link` (its parent). */
  static startLink(
    options: TaskSupervisorOptions = {},
  ): Promise<ServerRef<DynamicSupervisorServer>> {
    return TaskSupervisor.start(options);
  }

  /**
   * The child spec to run a task supervisor under a `Supervisor`, so that
   * `[TaskSupervisor, { name: 'AccountSetupSupervisor' }]` works as a child. Its id is
   * the name (a string or a symbol) or the key of a `{ via, key }` name, as Elixir's,
   * else `'TaskSupervisor'`; its type is `'supervisor'`.
   */
  static childSpec(options: Omit<TaskSupervisorOptions, 'runtime' | 'link'> = {}): ChildSpec {
    if (hasExtraArguments(options)) throw extraArgumentsError('childSpec');
    return {
      ...DynamicSupervisor.childSpec(options),
      id: childIdOfName(options.name, 'TaskSupervisor'),
    };
  }

  /**
   * Starts `task` (a function `(ctx) => …` or `[module, functionName, args]`) under
   * `supervisor` and resolves with its PID; its result is ignored. With
   * `restart: 'transient'` it runs again after an abnormal exit, within the supervisor's
   * intensity. Rejects with `ChildError` (`max_children`) when the supervisor is full,
   * and (`draining`) once `drain` was called.
   *
   * With `maxAttempts`, the task is retried in memory (see {@link RetriedChildOptions}
   * and the README's "Retries"): the PID is the task's for its whole life, and it exits
   * only when an attempt succeeds or it gives up, with the last attempt's reason.
   *
   * @example
   * await TaskSupervisor.startChild(sup, [Mailer, 'sendWelcome', [userId]], { restart: 'transient' });
   * await TaskSupervisor.startChild(sup, (ctx) => deliver(hook, ctx.attempt), {
   *   maxAttempts: 5,
   *   backoff: { initial: 1000, max: 60_000 },
   * });
   */
  static startChild(
    supervisor: TaskSupervisorRef,
    task: AttemptFn<unknown> | TaskMfa,
    options: RetriedChildOptions,
  ): Promise<Pid<any>>;
  static startChild(
    supervisor: TaskSupervisorRef,
    task: TaskFn<unknown> | TaskMfa,
    options?: TaskChildOptions,
  ): Promise<Pid<any>>;
  static startChild(
    supervisor: TaskSupervisorRef,
    task: AttemptFn<unknown> | TaskMfa,
    options: TaskChildOptions | RetriedChildOptions = {},
  ): Promise<Pid<any>> {
    try {
      checkOptions(options, 'TaskSupervisor.startChild', CHILD_OPTIONS);
      const policy = retryPolicy(options, 'TaskSupervisor.startChild');
      const fn = taskFunction(task as TaskFn<unknown> | TaskMfa);
      const { restart = 'temporary', shutdown = 5000 } = options;
      const found = lookup(supervisor, options);
      assertNotDraining(supervisor, found.runtime ?? defaultRuntime());
      const spec: ChildSpec = {
        id: 'Task',
        restart,
        shutdown,
        backoff: policy === undefined ? (options as TaskChildOptions).backoff : undefined,
        start: ({ runtime, self }) =>
          Promise.resolve(
            runtime.spawn(runOnly(policy === undefined ? fn : retrying(fn, policy, self)), {
              link: self,
              parent: self,
              label: labelOf(fn),
              behaviour: 'task',
            }),
          ),
      };
      return DynamicSupervisor.startChild(supervisor, spec, found).catch(refusedTask) as Promise<
        Pid<any>
      >;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Starts `fn` (a function `(ctx) => result`, or `[module, functionName, args]` as
   * Elixir's `async/5`, called as `module[functionName](...args, ctx)`) under
   * `supervisor` and resolves with a `Task` for `Task.await`, `yield` or `shutdown`. The
   * task is temporary (never restarted). With `link`, it is also linked to that
   * process, so a crash takes the process down as Elixir's `async` does;
   * without it, this is `asyncNolink`. With `maxAttempts`, it is retried as `startChild`'s
   * tasks are, and `Task.await` gets the first successful attempt's result or the last
   * attempt's exit.
   */
  static async<R>(
    supervisor: TaskSupervisorRef,
    fn: AttemptFn<R> | TaskMfa,
    options: SupervisedLinkOptions & RetryOptions = {},
  ): Promise<Task<R>> {
    try {
      checkOptions(options, 'TaskSupervisor.async', LINK_OPTIONS);
      const task = taskFunction(fn as TaskFn<R> | TaskMfa) as AttemptFn<R>;
      return superviseTask(supervisor, task, options.link, options, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Starts `fn` (a function, or `[module, functionName, args]` as `async` takes) under
   * `supervisor`, not linked to anyone else, and resolves with a `Task`. A crash never
   * takes the caller down: `Task.yield` gives `{ exit: reason }` and `Task.await` rejects
   * with `ExitError`. The usual way to run work whose failure you want to handle; with
   * `replyTo`, a GenServer gets the outcome as messages instead of waiting for it.
   *
   * @example
   * const task = await TaskSupervisor.asyncNolink(sup, () => chargeCard(order));
   * const result = await Task.yield(task, 5000);
   */
  static asyncNolink<R>(
    supervisor: TaskSupervisorRef,
    fn: AttemptFn<R> | TaskMfa,
    options: SupervisedAsyncOptions & RetryOptions = {},
  ): Promise<Task<R>> {
    try {
      checkOptions(options, 'TaskSupervisor.asyncNolink', RETRIED_ASYNC_OPTIONS);
      const task = taskFunction(fn as TaskFn<R> | TaskMfa) as AttemptFn<R>;
      return superviseTask(supervisor, task, undefined, options, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `Task.asyncStream` with each task started under `supervisor`: bounded concurrency,
   * ordered or not, per-task timeout, `zipInputOnExit`. `fn` is a function `(item, ctx)`
   * or `[module, functionName, args]`, called as `module[functionName](item, ...args, ctx)`
   * (Elixir's `async_stream/6`). As Elixir's
   * `Task.Supervisor.async_stream`, the tasks are linked to the consumer (`link`): a
   * crashing task makes the iteration throw `ExitError` (and exits a consumer process).
   * A consumer that traps exits when the stream starts gets each exit as
   * `{ exit: reason }` instead, and no `Exit` message: its tasks are then not linked to
   * it, and are killed when it exits. Use `asyncStreamNolink` to get crashes as values
   * without trapping. A full supervisor (`maxChildren`) makes the iteration throw
   * `ChildError`.
   *
   * @example
   * for await (const r of TaskSupervisor.asyncStream(sup, ids, (id) => fetchBalance(id), { link: ctx.self })) {
   *   if ('ok' in r) total += r.ok;
   * }
   */
  static asyncStream<T, R>(
    supervisor: TaskSupervisorRef,
    items: Iterable<T> | AsyncIterable<T>,
    fn: StreamFn<T, R> | TaskMfa,
    options: SupervisedStreamOptions = {},
  ): AsyncGenerator<StreamResult<R, T>, void, undefined> {
    checkOptions(options, 'TaskSupervisor.asyncStream', STREAM_OPTIONS);
    const { shutdown, ...stream } = options;
    // The stream picks the owner: `link`, or nobody when the consumer traps exits.
    const spawn = (taskFn: TaskFn<R>, owner: Pid<any> | undefined) =>
      superviseTask(supervisor, taskFn, owner, { runtime: options.runtime, shutdown });
    return streamTasks(items, streamFunction(fn), stream, spawn, true);
  }

  /**
   * Like `asyncStream`, but tasks are linked to nobody: a crash is yielded as
   * `{ exit: reason }` in its place (with `input: item` when `zipInputOnExit`), and the
   * iteration goes on, whether or not the consumer traps exits.
   *
   * @example
   * for await (const r of TaskSupervisor.asyncStreamNolink(sup, ids, (id) => fetchBalance(id), { maxConcurrency: 4 })) {
   *   if ('exit' in r) console.warn('failed', r.exit);
   * }
   */
  static asyncStreamNolink<T, R>(
    supervisor: TaskSupervisorRef,
    items: Iterable<T> | AsyncIterable<T>,
    fn: StreamFn<T, R> | TaskMfa,
    options: Omit<SupervisedStreamOptions, 'link'> = {},
  ): AsyncGenerator<StreamResult<R, T>, void, undefined> {
    checkOptions(options, 'TaskSupervisor.asyncStreamNolink', STREAM_NOLINK_OPTIONS);
    const { shutdown, ...stream } = options;
    // Linked to nobody, whatever the stream passes.
    const spawn = (taskFn: TaskFn<R>) =>
      superviseTask(supervisor, taskFn, undefined, { runtime: options.runtime, shutdown });
    return streamTasks(items, streamFunction(fn), stream, spawn, false);
  }

  /** The PIDs of the running tasks, in start order. */
  static async children(
    supervisor: TaskSupervisorRef,
    options: LookupOptions = {},
  ): Promise<Pid<any>[]> {
    checkOptions(options, 'TaskSupervisor.children', LOOKUP_OPTIONS);
    const children = await DynamicSupervisor.whichChildren(supervisor, lookup(supervisor, options));
    return children.flatMap((child) => (isPid(child.pid) ? [child.pid] : []));
  }

  /**
   * Counts of the supervisor's tasks, as `DynamicSupervisor.countChildren` (Elixir has
   * no `Task.Supervisor.count_children`: its task supervisors answer
   * `DynamicSupervisor.count_children`): `specs` (running, or waiting to run again),
   * `active` (running now), `workers` (every task is one) and `supervisors` (0).
   *
   * @example
   * const { active } = await TaskSupervisor.countChildren(sup);
   */
  static async countChildren(
    supervisor: TaskSupervisorRef,
    options: LookupOptions = {},
  ): Promise<ChildCounts> {
    checkOptions(options, 'TaskSupervisor.countChildren', LOOKUP_OPTIONS);
    return DynamicSupervisor.countChildren(supervisor, lookup(supervisor, options));
  }

  /**
   * The supervisor's flags with their defaults filled in: `strategy` (`'one_for_one'`),
   * `maxRestarts`, `maxSeconds` and `maxChildren`, as `DynamicSupervisor.getFlags`.
   */
  static async getFlags(
    supervisor: TaskSupervisorRef,
    options: LookupOptions = {},
  ): Promise<DynamicSupervisorFlags> {
    checkOptions(options, 'TaskSupervisor.getFlags', LOOKUP_OPTIONS);
    return DynamicSupervisor.getFlags(supervisor, lookup(supervisor, options));
  }

  /**
   * How many times the supervisor ran a `transient` or `permanent` task again, since it
   * started (`total`) and within the last `maxSeconds` (`recent`), as
   * `Supervisor.restartCount`.
   */
  static async restartCount(
    supervisor: TaskSupervisorRef,
    options: LookupOptions = {},
  ): Promise<RestartCount> {
    checkOptions(options, 'TaskSupervisor.restartCount', LOOKUP_OPTIONS);
    return DynamicSupervisor.restartCount(supervisor, lookup(supervisor, options));
  }

  /**
   * Stops the task `pid` as the supervisor stops children (`'shutdown'`, then a kill
   * after its shutdown time); it is not restarted. Rejects with `ChildError`
   * (`not_found`) if `pid` is not one of its tasks.
   */
  static async terminateChild(
    supervisor: TaskSupervisorRef,
    pid: Pid<any>,
    options: LookupOptions = {},
  ): Promise<void> {
    checkOptions(options, 'TaskSupervisor.terminateChild', LOOKUP_OPTIONS);
    return DynamicSupervisor.terminateChild(supervisor, pid, lookup(supervisor, options));
  }

  /**
   * Graceful shutdown of the supervisor's work: from now on it starts no task (starting
   * one rejects with `ChildError`, `draining`); retried tasks waiting out a backoff give
   * up at once, exiting with their last error (reported as `task_retry` `cancelled`), as
   * does one whose attempt fails during the drain; running tasks get up to `timeout` ms
   * (default 5000, on the runtime's clock; `Infinity` to wait for them all) to end by
   * themselves; then those still running are shut down as `terminateChild` does.
   * Resolves with the counts of the tasks running when it began: `finished`,
   * `cancelled` and `stopped`.
   *
   * The supervisor itself keeps running, empty and refusing new tasks: stop it (or let
   * its own supervisor) when the drain resolves. Elixir has no drain; its
   * `Task.Supervisor` stops its children when it stops, which `stop` does here.
   *
   * @example
   * const { finished, cancelled, stopped } = await TaskSupervisor.drain(sup, 10_000);
   * await TaskSupervisor.stop(sup);
   */
  static async drain(
    supervisor: TaskSupervisorRef,
    timeout = 5000,
    options: LookupOptions = {},
  ): Promise<DrainResult> {
    checkOptions(options, 'TaskSupervisor.drain', LOOKUP_OPTIONS);
    const found = lookup(supervisor, options);
    return drainTasks(supervisor, timeout, found.runtime ?? defaultRuntime(), found);
  }

  /** Stops the supervisor and all its tasks, and resolves once it has exited. */
  static async stop(
    supervisor: TaskSupervisorRef,
    reason: unknown = 'normal',
    options: LookupOptions = {},
  ): Promise<void> {
    checkOptions(options, 'TaskSupervisor.stop', LOOKUP_OPTIONS);
    return DynamicSupervisor.stop(supervisor, reason, {
      timeout: Number.POSITIVE_INFINITY,
      ...lookup(supervisor, options),
    });
  }
}

/** Starts a temporary task child whose result a `Task` collects; the watch is set inside the supervisor's start. */
async function superviseTask<R>(
  supervisor: TaskSupervisorRef,
  fn: AttemptFn<R>,
  owner: Pid<any> | undefined,
  options: SupervisedAsyncOptions & { runtime?: Runtime },
  retry?: RetryOptions,
): Promise<Task<R>> {
  const policy: RetryPolicy | undefined = retryPolicy(retry, 'TaskSupervisor.async');
  const found = lookup(supervisor, options);
  const runtime = found.runtime ?? defaultRuntime();
  assertNotDraining(supervisor, runtime);
  // Without retries, `ctx.attempt` is 1: the one attempt.
  const body =
    policy === undefined
      ? firstAttempt(fn)
      : retrying(fn, policy, resolveSupervisor(supervisor, runtime));
  const control = new TaskControl<R>(body, owner, options.replyTo);
  const spec: ChildSpec = {
    id: 'Task',
    restart: 'temporary',
    shutdown: options.shutdown ?? 5000,
    start: ({ runtime, self }) =>
      Promise.resolve(control.spawn(runtime, { link: self, parent: self })),
  };
  await DynamicSupervisor.startChild(supervisor, spec, found).catch(refusedTask);
  return new Task(control);
}

/**
 * Rethrows the supervisor's refusal of a task; `max_children` in the words of Elixir's
 * `Task.Supervisor` ("reached the maximum number of tasks"), the same `ChildError`.
 */
function refusedTask(error: unknown): never {
  if (ChildError.is(error) && error.reason === 'max_children') {
    throw new ChildError(
      'max_children',
      'reached the maximum number of tasks for this task supervisor (its maxChildren option). Wait for some to finish, terminate some, or start it with a higher maxChildren.',
    );
  }
  throw error;
}

function lookup(supervisor: TaskSupervisorRef, options: LookupOptions): CallOptions {
  const runtime = options.runtime ?? (isPid(supervisor) ? runtimeOf(supervisor) : undefined);
  return runtime === undefined ? {} : { runtime };
}

/** True when `options` has its own `extraArguments` key. Never throws (a hostile object is left to the full check). */
function hasExtraArguments(options: unknown): boolean {
  try {
    return (
      typeof options === 'object' && options !== null && Object.hasOwn(options, 'extraArguments')
    );
  } catch {
    return false;
  }
}

/** A task's start takes no extra arguments: the option would do nothing, so it is refused. */
function extraArgumentsError(what: 'start' | 'childSpec'): ChildSpecError {
  return new ChildSpecError(
    `TaskSupervisor.${what}(options): unknown option "extraArguments"; it is a DynamicSupervisor option, and a task gets what it needs through its function's closure.`,
  );
}
