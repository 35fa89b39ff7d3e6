import {
  ActorkitError,
  defaultRuntime,
  ExitError,
  InvalidArgumentError,
  makeRef,
  type Pid,
  type ProcessContext,
  type ReceiveContext,
  type Ref,
  type Runtime,
  runtimeOf,
  type SpawnOptions,
  TimeoutError,
  type TimerRef,
} from '@actorkit/core';
import { demonitorFlushing, monitorFrom } from '@actorkit/core/internal';
import {
  checkOptions,
  type OptionChecks,
  PID_OPTION,
  RUNTIME_OPTION,
  TIMEOUT_OPTION,
} from './check-options.js';
import type { ChildSpec } from './child-spec.js';
import { RETRY_OPTION_CHECKS } from './retry.js';
import { isTaskReply, TaskReply } from './task-reply.js';
import { type AttemptFn, retrying, retryPolicy, type TaskRetryOptions } from './task-retry.js';
import { streamTasks } from './task-stream.js';
import {
  callAfterRunning,
  type YieldManyEntry,
  type YieldManyOptions,
  yieldControls,
} from './task-yield-many.js';
import { nameOf } from './text.js';

const TASK_OPTIONS: OptionChecks = { runtime: RUNTIME_OPTION, ...RETRY_OPTION_CHECKS };
const ASYNC_OPTIONS: OptionChecks = { runtime: RUNTIME_OPTION, link: PID_OPTION };
const RETRIED_ASYNC_OPTIONS: OptionChecks = {
  ...ASYNC_OPTIONS,
  ...RETRY_OPTION_CHECKS,
  replyTo: PID_OPTION,
};
const STREAM_OPTIONS: OptionChecks = {
  ...ASYNC_OPTIONS,
  maxConcurrency: { expected: 'an integer >= 1', accepts: (value) => Number.isInteger(value) },
  ordered: { expected: 'true or false', accepts: (value) => typeof value === 'boolean' },
  timeout: TIMEOUT_OPTION,
  onTimeout: {
    expected: "'exit' or 'kill_task'",
    accepts: (value) => value === 'exit' || value === 'kill_task',
  },
  zipInputOnExit: { expected: 'true or false', accepts: (value) => typeof value === 'boolean' },
};
const YIELD_MANY_OPTIONS: OptionChecks = {
  timeout: TIMEOUT_OPTION,
  onTimeout: {
    expected: "'nothing', 'ignore' or 'kill_task'",
    accepts: (value) => value === 'nothing' || value === 'ignore' || value === 'kill_task',
  },
  limit: {
    expected: 'an integer >= 1',
    accepts: (value) => Number.isInteger(value) && (value as number) >= 1,
  },
};

/** Orders outcomes as they arrive, as a mailbox would (`Task.yieldMany`'s `limit` takes the first). */
let arrivals = 0;

/** The function a task runs, in the task's process; what it returns (or resolves to) is the result. */
export type TaskFn<R> = (ctx: ReceiveContext<any>) => R | PromiseLike<R>;

/** How a task ended: `{ ok: result }`, or `{ exit: reason }` if it exited without a result. */
export type TaskResult<R> = { ok: R } | { exit: unknown };

/**
 * What a task stream yields for each item: a {@link TaskResult}, whose `{ exit }` also
 * carries the item as `input` with `zipInputOnExit: true` (Elixir's
 * `{:exit, {input, reason}}`).
 */
export type StreamResult<R, T = unknown> = { ok: R } | { exit: unknown; input?: T };

/** How long `Task.shutdown` waits for the task to stop before killing it, or `'brutal_kill'`. */
export type ShutdownTimeout = number | 'brutal_kill';

/**
 * Options for `Task.start`, and the base of the others. In every `Task` function an
 * unknown key, or a value of the wrong type, throws `InvalidArgumentError`.
 */
export interface TaskOptions {
  /** @default `defaultRuntime()` */
  runtime?: Runtime;
}

/** Options for `Task.startLink`: `link` is the process the task is linked to. */
export interface TaskLinkOptions extends TaskOptions {
  /** The process to link to (JavaScript has no implicit caller). @default runtime: the linked process's */
  link: Pid<any>;
}

/** Options for `Task.async`. */
export interface AsyncOptions extends TaskOptions {
  /**
   * Links the task to this process (Elixir links to the caller): if the task crashes the
   * process exits too, and if the process exits the task does. The task links itself
   * as its first step, so that `shutdown` can undo the link; if `link` is already dead
   * by then, the task exits with `'noproc'` before running `fn`. @default unlinked
   */
  link?: Pid<any>;
  /**
   * Also tells this process the outcome by message, as Elixir's caller is told: a
   * {@link TaskReply} `{ ref, value }` when the function returns, and a `Down` with the
   * same `ref` when the task exits (`'normal'` after a reply), from a monitor this process
   * holds. So a GenServer can start a task and go on, and handle its outcome in
   * `handleInfo`; `ctx.demonitor(task.ref, { flush: true })` drops the `Down`. Taking the
   * outcome with `Task.await`, `yield`, `ignore` or `shutdown` instead removes both
   * messages, if they came, and the monitor, as Elixir's do. Most often `ctx.self`: a
   * process of this node (one of another node, or one that is not alive, is not told).
   * @default nobody
   */
  replyTo?: Pid<any>;
}

/** Options for `Task.asyncStream`. */
export interface AsyncStreamOptions extends Omit<AsyncOptions, 'replyTo'> {
  /** Most tasks alive at once. @default os.availableParallelism() */
  maxConcurrency?: number;
  /** Yield results in the order of the items; `false` yields them as tasks finish. @default true */
  ordered?: boolean;
  /** Ms each task may run, from its start; `Infinity` for no limit. @default 5000 */
  timeout?: number;
  /**
   * What a timeout does: `'exit'` makes the iteration throw `TimeoutError` (and shuts
   * every task down); `'kill_task'` kills that task and yields `{ exit: 'timeout' }`.
   * @default 'exit'
   */
  onTimeout?: 'exit' | 'kill_task';
  /**
   * Adds the item to each exit: `{ exit: reason, input: item }` (Elixir's
   * `{:exit, {input, reason}}`), to tell which item failed or timed out. @default false
   */
  zipInputOnExit?: boolean;
}

/**
 * @internal Starts a task's process, linked to `owner` if given; `Task.asyncStream` and
 * `TaskSupervisor` differ only in this. A stream passes no owner when its consumer traps
 * exits (it gets exits as values, and no `Exit` messages).
 */
export type TaskSpawner<R> = (
  fn: TaskFn<R>,
  owner: Pid<any> | undefined,
) => Task<R> | Promise<Task<R>>;

/**
 * @internal The state behind a `Task`: its result or exit reason, whether its process is
 * down, and who waits for either. A result is recorded only while the process lives and
 * nobody gave up on it, so a late one never lands anywhere.
 */
export class TaskControl<R> {
  pid!: Pid<any>;
  runtime!: Runtime;
  /** The result, or the exit reason if the process exited without one. */
  outcome: TaskResult<R> | undefined = undefined;
  /** True once the process has exited. */
  down = false;
  /** True once the result was taken (await, yield, shutdown) or given up: later ones are dropped. */
  consumed = false;
  /** When the outcome arrived, relative to other tasks' outcomes. */
  arrival = 0;
  /** The task's ref: the monitor `replyTo` holds on it, if there is one. */
  ref: Ref | undefined = undefined;
  private ctx: ProcessContext<any> | undefined = undefined;
  private listeners: (() => void)[] = [];

  constructor(
    private readonly fn: TaskFn<R>,
    readonly owner: Pid<any> | undefined,
    private replyTo?: Pid<any>,
  ) {}

  /** Spawns the process and watches it; the watch is set before the process can run. */
  spawn(runtime: Runtime, options: SpawnOptions): Pid<any> {
    this.runtime = runtime;
    const parent = this.owner === undefined ? {} : { parent: this.owner };
    this.pid = runtime.spawn(this.body(), {
      label: labelOf(this.fn),
      behaviour: 'task',
      ...parent,
      ...options,
    });
    runtime.watch(this.pid, (reason) => this.exited(reason));
    const monitored = this.replyTo === undefined ? null : monitorFrom(this.replyTo, this.pid);
    this.ref = monitored ?? makeRef();
    // A process it cannot monitor (gone, or of another node) is told nothing.
    if (monitored === null) this.replyTo = undefined;
    return this.pid;
  }

  /** Calls `listener` whenever the result arrives or the process exits; returns an unsubscribe function. */
  on(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index !== -1) this.listeners.splice(index, 1);
    };
  }

  /** Takes the outcome (once): undefined if it was already taken. */
  take(): TaskResult<R> | undefined {
    if (this.consumed) return undefined;
    const outcome = this.outcome;
    this.consumed = true;
    this.outcome = undefined;
    this.release();
    return outcome;
  }

  /** Kills the process without the kill reaching its owner through the link (or its monitor). */
  kill(): void {
    this.release();
    this.unlinkOwner();
    this.runtime.exit(this.pid, 'kill');
  }

  /** Gives up on the task: its result is dropped and its process killed. */
  abandon(): void {
    this.consumed = true;
    this.outcome = undefined;
    this.kill();
  }

  /**
   * Once the outcome is taken (or given up), `replyTo` is told nothing more: its monitor
   * goes, with the reply and the `Down` already in its mailbox, as after Elixir's `await`.
   */
  private release(): void {
    const { replyTo, ref } = this;
    if (replyTo === undefined || ref === undefined) return;
    demonitorFlushing(replyTo, ref, (message) => isTaskReply(message) && message.ref === ref);
  }

  /** Takes the outcome if it arrived; otherwise drops the result to come and unlinks the owner, leaving the process running. */
  ignore(): TaskResult<R> | undefined {
    const outcome = this.take();
    if (outcome === undefined || 'ok' in outcome) this.unlinkOwner();
    return outcome;
  }

  /** Sends the exit signal `reason`, unlinked first as Elixir's `Task.shutdown` does. */
  signal(reason: unknown): void {
    this.unlinkOwner();
    this.runtime.exit(this.pid, reason);
  }

  private body() {
    return async (ctx: ReceiveContext<any>): Promise<void> => {
      this.ctx = ctx;
      // Linked from inside so the link can be undone by `shutdown` (which needs the task's ctx).
      if (this.owner !== undefined) ctx.link(this.owner);
      const value = await this.fn(ctx);
      if (!ctx.runtime.isAlive(ctx.self)) return;
      if (this.replyTo !== undefined && !this.consumed) {
        ctx.send(this.replyTo, new TaskReply(this.ref!, value));
      }
      this.settle({ ok: value });
    };
  }

  private unlinkOwner(): void {
    if (this.owner !== undefined && this.ctx !== undefined && this.runtime.isAlive(this.pid)) {
      this.ctx.unlink(this.owner);
    }
  }

  private settle(result: TaskResult<R>): void {
    if (this.outcome !== undefined || this.consumed) return;
    this.outcome = result;
    this.arrival = ++arrivals;
    this.notify();
  }

  private exited(reason: unknown): void {
    this.down = true;
    this.ctx = undefined;
    if (this.outcome === undefined && !this.consumed) {
      this.outcome = { exit: reason };
      this.arrival = ++arrivals;
    }
    this.notify();
  }

  private notify(): void {
    if (this.listeners.length === 0) return;
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * A running task, as Elixir's `%Task{}`: what `Task.async` returns and `Task.await`,
 * `yield` and `shutdown` take. The class's static functions are the `Task` API.
 */
export class Task<R = unknown> {
  /** The task's process. */
  readonly pid: Pid<any>;
  /**
   * A reference unique to this task: with `replyTo`, the ref of that process's monitor on
   * it, carried by its {@link TaskReply} and its `Down`.
   */
  readonly ref: Ref;
  /** The process the task is linked to (`link`), if any. */
  readonly owner: Pid<any> | undefined;
  /** @internal */
  readonly control: TaskControl<R>;

  /** @internal Tasks are made by `Task.async`, `TaskSupervisor.async` and `asyncNolink`. */
  constructor(control: TaskControl<R>) {
    this.control = control;
    this.pid = control.pid;
    this.owner = control.owner;
    this.ref = control.ref ?? makeRef();
  }

  /**
   * Starts `fn` in a new, unlinked process and returns its PID: fire and forget (the
   * welcome-email case). The result is ignored; a throw or rejection ends the task with a
   * `Crash`, reported by the runtime's `crash` event, never as an unhandled rejection.
   *
   * @example
   * Task.start(async () => { await mailer.sendWelcome(user); }, { runtime });
   *
   * With `maxAttempts` (and `backoff`, `onError`), failed attempts are retried in fresh
   * processes, as under `TaskSupervisor.startChild` (see the README's "Retries").
   */
  static start(fn: AttemptFn<unknown>, options: TaskOptions & TaskRetryOptions): Pid<any>;
  static start(fn: TaskFn<unknown>, options?: TaskOptions): Pid<any>;
  static start(
    fn: AttemptFn<unknown>,
    options: TaskOptions & Partial<TaskRetryOptions> = {},
  ): Pid<any> {
    assertFn(fn);
    checkOptions(options, 'Task.start', TASK_OPTIONS);
    const policy = retryPolicy(options, 'Task.start');
    const runtime = options.runtime ?? defaultRuntime();
    const body = policy === undefined ? (fn as TaskFn<unknown>) : retrying(fn, policy);
    return runtime.spawn(runOnly(body), { label: labelOf(fn), behaviour: 'task' });
  }

  /**
   * Like `start`, linked to `options.link` (atomically, before the task runs): a crash
   * of the task takes that process down unless it traps exits. Returns the PID.
   */
  static startLink(fn: TaskFn<unknown>, options: TaskLinkOptions): Pid<any> {
    assertFn(fn);
    checkOptions(options, 'Task.startLink', ASYNC_OPTIONS);
    const link = options?.link;
    if (link === undefined) {
      throw new InvalidArgumentError(
        'link',
        'the Pid to link the task to (Task.start starts one unlinked)',
        link,
      );
    }
    const runtime = options.runtime ?? (link && runtimeOf(link)) ?? defaultRuntime();
    return runtime.spawn(runOnly(fn), {
      label: labelOf(fn),
      behaviour: 'task',
      link,
      parent: link,
    });
  }

  /**
   * The child spec to run `fn` as a task under a supervisor, Elixir's `Task.child_spec/1`:
   * `{ id: 'Task', restart: 'temporary', start: Task.startLink(fn, { link: supervisor }) }`,
   * so that `[Task, fn]` works as a child (`{Task, fun}` in Elixir). A temporary task is
   * never restarted, and its spec goes once it ends; change that with an override,
   * `[Task, fn, { restart: 'transient' }]`, to run it again after a crash. Give each task
   * of one supervisor its own `id` the same way: ids must be unique there.
   *
   * @example
   * await Supervisor.start([[Task, async () => warmCache()]], { runtime });
   */
  static childSpec(fn: TaskFn<unknown>): ChildSpec {
    assertFn(fn);
    return {
      id: 'Task',
      restart: 'temporary',
      start: async ({ runtime, self }) => Task.startLink(fn, { runtime, link: self }),
    };
  }

  /**
   * Starts `fn` in a new process and returns a `Task` for `await`, `yield` or
   * `shutdown`. With `link`, the task is linked to that process as Elixir's caller is;
   * with `replyTo`, that process also gets the outcome as messages (a `TaskReply`, then a
   * `Down`), for a GenServer that handles it in `handleInfo` rather than wait.
   * A task that is never awaited keeps its result until the `Task` is garbage.
   *
   * @example
   * const task = Task.async(() => compute(42), { runtime });
   * const value = await Task.await(task, 1000);
   *
   * With `maxAttempts` (and `backoff`, `onError`), failed attempts are retried in fresh
   * processes (`ctx.attempt` 1, 2 …); `Task.await` gets the first successful attempt's
   * result, or rejects with `ExitError` carrying the last attempt's reason.
   */
  static async<R>(fn: AttemptFn<R>, options: AsyncOptions & TaskRetryOptions): Task<R>;
  static async<R>(fn: TaskFn<R>, options?: AsyncOptions): Task<R>;
  static async<R>(
    fn: AttemptFn<R>,
    options: AsyncOptions & Partial<TaskRetryOptions> = {},
  ): Task<R> {
    assertFn(fn);
    checkOptions(options, 'Task.async', RETRIED_ASYNC_OPTIONS);
    const policy = retryPolicy(options, 'Task.async');
    const link = options.link;
    const control = new TaskControl<R>(
      policy === undefined ? (fn as TaskFn<R>) : retrying(fn, policy),
      link,
      options.replyTo,
    );
    control.spawn(options.runtime ?? (link && runtimeOf(link)) ?? defaultRuntime(), {});
    return new Task(control);
  }

  /**
   * Waits for `task`'s result. Rejects with `ExitError` (its `reason` is the exit reason,
   * a `Crash` for a throw) if the task exited without a result, and with `TimeoutError`
   * after `timeout` ms (default 5000, `Infinity` to wait forever), shutting the task down
   * so its result can never arrive later. A result can be taken once: awaiting a task
   * whose result was already taken rejects with an `ActorkitError` (`TASK_CONSUMED`).
   */
  static await<R>(task: Task<R>, timeout = 5000): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const control = checkTask(task, timeout);
      waitFor(control, timeout, (timedOut) => {
        if (timedOut) {
          control.abandon();
          reject(new TimeoutError(`Task.await of ${task.pid}`, timeout, AWAIT_HINT));
          return;
        }
        const outcome = control.take();
        if (outcome === undefined) reject(consumedError(task));
        else if ('ok' in outcome) resolve(outcome.ok);
        else reject(new ExitError(outcome.exit, task.pid));
      });
    });
  }

  /**
   * Waits up to `timeout` ms (default 5000) for `task`: resolves with `{ ok: result }`,
   * `{ exit: reason }` if it exited without one, or undefined if it is still running —
   * it keeps running and can be yielded (or awaited) again.
   *
   * @example
   * const result = (await Task.yield(task, 1000)) ?? (await Task.shutdown(task));
   */
  static yield<R>(task: Task<R>, timeout = 5000): Promise<TaskResult<R> | undefined> {
    return new Promise((resolve, reject) => {
      const control = checkTask(task, timeout);
      waitFor(control, timeout, (timedOut) => {
        if (timedOut) return resolve(undefined);
        const outcome = control.take();
        if (outcome === undefined) reject(consumedError(task));
        else resolve(outcome);
      });
    });
  }

  /**
   * Stops `task`: unlinks it from its owner, sends it `'shutdown'`, and kills it if it
   * has not exited after `timeout` ms (default 5000; `'brutal_kill'` kills at once).
   * Resolves with `{ ok: result }` if the result arrived before the task stopped,
   * `{ exit: reason }` if it exited for another reason (`'killed'` when it had to be
   * killed after the timeout), or undefined when it stopped as asked. A task whose
   * outcome was already taken (awaited, yielded) and which is down answers
   * `{ exit: 'noproc' }`, as in Elixir.
   */
  static shutdown<R>(
    task: Task<R>,
    timeout: ShutdownTimeout = 5000,
  ): Promise<TaskResult<R> | undefined> {
    return new Promise((resolve) => {
      const control = checkTask(task, timeout === 'brutal_kill' ? 0 : timeout);
      if (control.consumed) {
        // Elixir's shutdown of a task already handled (its DOWN taken) answers noproc.
        if (control.down) return resolve({ exit: 'noproc' });
        control.kill();
        return resolve(undefined);
      }
      let mode: 'shutdown' | 'brutal_kill' | 'timeout_kill' =
        timeout === 'brutal_kill' ? 'brutal_kill' : 'shutdown';
      let timer: TimerRef | undefined;
      const finish = (): void => {
        off();
        if (timer !== undefined) control.runtime.cancelTimer(timer, { info: false });
        resolve(shutdownResult(control.take(), mode));
      };
      const off = control.on(() => control.down && finish());
      if (control.down) return finish();
      control.signal(mode === 'brutal_kill' ? 'kill' : 'shutdown');
      if (!control.down && typeof timeout === 'number' && timeout !== Number.POSITIVE_INFINITY) {
        timer = control.runtime.callAfter(timeout, () => {
          mode = 'timeout_kill';
          control.kill();
        });
      }
    });
  }

  /**
   * Ignores `task`, as Elixir's `Task.ignore/1`: returns `{ ok: result }` or
   * `{ exit: reason }` if either already arrived, otherwise undefined; the task keeps
   * running, unlinked from its owner (its crash no longer reaches the owner), and its
   * result is dropped when it comes. Ignoring a task twice returns undefined.
   *
   * Where Elixir's `Task.await` of an ignored task waits out its timeout (no reply can
   * come), ours rejects at once with the `TASK_CONSUMED` `ActorkitError`; `yield` and
   * `yieldMany` reject the same way.
   *
   * @example
   * const early = Task.ignore(task); // { ok } if it already finished, else undefined
   */
  static ignore<R>(task: Task<R>): TaskResult<R> | undefined {
    return checkTask(task, 0).ignore();
  }

  /**
   * Waits up to `timeout` ms (default 5000, for all of them together) for `tasks`, as
   * Elixir's `Task.yield_many/2`, and resolves with one `[task, result]` pair per task, in
   * the order given: `{ ok: result }`, `{ exit: reason }`, or undefined for a task still
   * running. A number as second argument is the `timeout`. With `limit`, it resolves as
   * soon as that many have replied or exited (the first to arrive; the others answer
   * undefined and can be yielded again). When the timeout passes, `onTimeout` decides what
   * happens to the tasks still running: `'nothing'` (default), `'ignore'` or `'kill_task'`.
   * Rejects with `InvalidArgumentError` for a bad option or an item that is not a Task (a
   * hole in the array is not one), and with `TASK_CONSUMED` if a task's result was
   * already taken.
   *
   * @example
   * const results = await Task.yieldMany(tasks, { timeout: 5000, onTimeout: 'kill_task' });
   * for (const [, result] of results) if (result && 'ok' in result) console.log(result.ok);
   */
  static yieldMany<R>(
    tasks: readonly Task<R>[],
    options: number | YieldManyOptions = {},
  ): Promise<YieldManyEntry<Task<R>, R>[]> {
    return new Promise((resolve, reject) => {
      const list = readTasks(tasks);
      const opts = typeof options === 'number' ? { timeout: options } : options;
      checkOptions(opts, 'Task.yieldMany', YIELD_MANY_OPTIONS);
      const { timeout = 5000, onTimeout = 'nothing', limit = list.length } = opts;
      const controls = checkUntaken(list, timeout);
      const whenTimedOut = (index: number) => {
        if (onTimeout === 'kill_task') return Task.shutdown(list[index]!, 'brutal_kill');
        return onTimeout === 'ignore' ? controls[index]!.ignore() : undefined;
      };
      yieldControls(controls, timeout, Math.min(limit, list.length), whenTimedOut).then(
        (results) => resolve(list.map((task, index) => [task, results[index]])),
        reject,
      );
    });
  }

  /**
   * Waits for every task and resolves with their results in the order given. Rejects
   * with `ExitError` as soon as one exits without a result, or with `TimeoutError` when
   * `timeout` ms (default 5000, for all of them together) pass; either way the tasks
   * still running are shut down and no result is kept. Rejects with `InvalidArgumentError`
   * for an item that is not a Task (a hole in the array is not one).
   */
  static awaitMany<R>(tasks: readonly Task<R>[], timeout = 5000): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      const list = readTasks(tasks);
      const controls = checkUntaken(list, timeout);
      const offs: (() => void)[] = [];
      let cancelTimers = (): void => {};
      const end = (): void => {
        for (const off of offs) off();
        cancelTimers();
        for (const control of controls) if (control.outcome === undefined) control.abandon();
      };
      const check = (): void => {
        const failed = list.find((task) => isExit(task.control.outcome));
        if (failed !== undefined) {
          const reason = (failed.control.outcome as { exit: unknown }).exit;
          end();
          for (const control of controls) control.take();
          reject(new ExitError(reason, failed.pid));
        } else if (controls.every((control) => control.outcome !== undefined)) {
          end();
          resolve(controls.map((control) => (control.take() as { ok: R }).ok));
        }
      };
      for (const control of controls) offs.push(control.on(check));
      if (controls.length > 0 && timeout !== Number.POSITIVE_INFINITY) {
        cancelTimers = callAfterRunning(controls, timeout, () => {
          end();
          for (const control of controls) control.take();
          reject(new TimeoutError(`Task.awaitMany of ${list.length} tasks`, timeout, AWAIT_HINT));
        });
      }
      check();
    });
  }

  /**
   * Runs `fn(item, ctx)` for each of `items` (any iterable or async iterable, read
   * lazily) in tasks, at most `maxConcurrency` alive at once, and yields each outcome:
   * `{ ok: result }`, or `{ exit: 'timeout' }` with `onTimeout: 'kill_task'`. In order
   * of the items by default (results that finish early wait), or as they finish with
   * `ordered: false`. With `zipInputOnExit: true`, each exit carries its item as `input`.
   *
   * As in Elixir the tasks are linked to the consumer (`link`): a task that crashes makes
   * the iteration throw `ExitError` at once (and exits a consumer process), and a timeout
   * with `onTimeout: 'exit'` makes it throw `TimeoutError`; the other tasks are shut
   * down. A consumer that traps exits when the stream starts gets each exit as
   * `{ exit: reason }` instead, and no `Exit` message in its mailbox: its tasks are then
   * not linked to it, and are killed when it exits. Leaving the loop early (`break`,
   * `return`, a throw) shuts the remaining tasks down too. For crashes as values without
   * trapping, use `TaskSupervisor.asyncStreamNolink`.
   *
   * @example
   * for await (const r of Task.asyncStream(urls, (url, ctx) => fetch(url, { signal: ctx.signal }).then((res) => res.status), { maxConcurrency: 8, runtime })) {
   *   console.log(r);
   * }
   */
  static asyncStream<T, R>(
    items: Iterable<T> | AsyncIterable<T>,
    fn: (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>,
    options: AsyncStreamOptions = {},
  ): AsyncGenerator<StreamResult<R, T>, void, undefined> {
    checkOptions(options, 'Task.asyncStream', STREAM_OPTIONS);
    const runtime =
      options.runtime ?? (options.link && runtimeOf(options.link)) ?? defaultRuntime();
    const spawn = (taskFn: TaskFn<R>, owner: Pid<any> | undefined) =>
      Task.async(taskFn, { runtime, link: owner });
    return streamTasks(items, fn, options, spawn, true);
  }
}

const AWAIT_HINT =
  'The task was shut down. Raise the timeout, or use Task.yield to poll without giving up on the task.';

/** Calls `done(timedOut)` once: when the outcome is known (or taken by someone else), or after `timeout` ms. */
function waitFor(control: TaskControl<any>, timeout: number, done: (timedOut: boolean) => void) {
  if (control.outcome !== undefined || control.consumed) return done(false);
  if (timeout === 0) return done(true);
  let timer: TimerRef | undefined;
  const off = control.on(() => {
    if (control.outcome === undefined && !control.consumed) return;
    off();
    if (timer !== undefined) control.runtime.cancelTimer(timer, { info: false });
    done(false);
  });
  if (timeout !== Number.POSITIVE_INFINITY) {
    timer = control.runtime.callAfter(timeout, () => {
      off();
      done(true);
    });
  }
}

/** Elixir's rule: the exit the shutdown asked for is no news (undefined); any other is reported. */
function shutdownResult<R>(
  outcome: TaskResult<R> | undefined,
  mode: 'shutdown' | 'brutal_kill' | 'timeout_kill',
): TaskResult<R> | undefined {
  if (outcome === undefined || 'ok' in outcome) return outcome;
  if (outcome.exit === 'shutdown' && mode !== 'brutal_kill') return undefined;
  if (outcome.exit === 'killed' && mode === 'brutal_kill') return undefined;
  return outcome;
}

/** @internal A task body whose result is ignored (`start`, `startLink`, `TaskSupervisor.startChild`). */
export function runOnly(fn: TaskFn<unknown>) {
  return async (ctx: ReceiveContext<any>): Promise<void> => {
    await fn(ctx);
  };
}

/** @internal */
export function isExit(outcome: TaskResult<unknown> | undefined): outcome is { exit: unknown } {
  return outcome !== undefined && 'exit' in outcome;
}

function checkTask<R>(task: Task<R>, timeout: number): TaskControl<R> {
  if (!isTask(task)) {
    throw new InvalidArgumentError('task', 'a Task from Task.async or TaskSupervisor.async', task);
  }
  assertTimeout(timeout);
  return task.control;
}

/**
 * `tasks` copied into a dense array, each item read once (a hole becomes undefined, which
 * `checkTask` refuses); `InvalidArgumentError` for anything but an array, or one whose
 * items cannot be read (an index getter or a proxy trap that throws).
 */
function readTasks<R>(tasks: readonly Task<R>[]): Task<R>[] {
  if (!isArray(tasks)) throw new InvalidArgumentError('tasks', 'an array of Tasks', tasks);
  try {
    return Array.from(tasks);
  } catch {
    throw new InvalidArgumentError('tasks', 'an array of Tasks whose items can be read', tasks);
  }
}

/**
 * The controls of `tasks`, each checked (see `checkTask`); the `TASK_CONSUMED` error if a
 * task's result was already taken.
 */
function checkUntaken<R>(tasks: readonly Task<R>[], timeout: number): TaskControl<R>[] {
  const controls = tasks.map((task) => checkTask(task, timeout));
  const taken = tasks.find((task) => task.control.consumed);
  if (taken !== undefined) throw consumedError(taken);
  return controls;
}

/** `value instanceof Task`, false (never a throw) for a revoked proxy or a throwing trap. */
function isTask(value: unknown): value is Task<unknown> {
  try {
    return value instanceof Task;
  } catch {
    return false;
  }
}

/** `Array.isArray(value)`, false (never a throw) for a revoked proxy. */
function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** @internal */
export function assertTimeout(timeout: unknown): asserts timeout is number {
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError('timeout', 'a number of ms >= 0 or Infinity', timeout);
  }
}

function assertFn(fn: unknown): void {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError('fn', 'a function (ctx) => result', fn);
  }
}

function consumedError(task: Task<any>): ActorkitError {
  return new ActorkitError(
    'TASK_CONSUMED',
    `the result of task ${task.pid} was already taken (by await, yield, shutdown or a timeout); a task's result can be received once.`,
  );
}

/** @internal What `processInfo` shows as a task's initial call. */
export function labelOf(fn: (...args: any[]) => unknown): string {
  const name = nameOf(fn, '');
  return name === '' ? 'Task' : `Task ${name}`;
}
