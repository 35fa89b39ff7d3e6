/**
 * In-memory retries of a task, as `TaskSupervisor.startChild`, `TaskSupervisor.async`,
 * `Task.start` and `Task.async` run them when given `maxAttempts`: the task's PID is a
 * small coordinator process that runs each attempt in a fresh process linked to it
 * (`ctx.attempt` = 1, 2, …), waits out the backoff on the runtime's clock between them,
 * and, when attempts run out (or `onError` says `'discard'`), exits with the last
 * attempt's reason, so monitors, links and `Task.await` see the final error. Retries
 * happen inside the coordinator: a supervisor sees one child that ends once, so they
 * never spend its restart intensity, which stays for genuine crashes.
 *
 * OTP has no retries of its own: restarts are for recovering a crashed state, not for
 * repeating a failed side effect. This is the in-memory middle of the durability dial;
 * `@actorkit/jobs` takes the same worker function and options for durable retries.
 */
import {
  InvalidArgumentError,
  isCleanExit,
  isCrash,
  isExit,
  type Pid,
  type ReceiveContext,
  type Report,
  type Runtime,
} from '@actorkit/core';
import { AttemptProcessContext } from './attempt-context.js';
import { checkOptions } from './check-options.js';
import {
  backoffDelay,
  checkBackoff,
  type ErrorDecision,
  isErrorDecision,
  RETRY_OPTION_CHECKS,
  type RetryOptions,
} from './retry.js';
import { labelOf, type TaskFn } from './task.js';
import { nameOf } from './text.js';

/** The context of one attempt of a retried task: the attempt's process context, plus its number. */
export interface AttemptContext extends ReceiveContext<any> {
  /** This attempt's number: 1 for the first, 2 for the first retry … (a snooze keeps it). */
  readonly attempt: number;
}

/** The function a retried task runs, once per attempt, each time in a fresh process. */
export type AttemptFn<R> = (ctx: AttemptContext) => R | PromiseLike<R>;

/** Retry options with `maxAttempts` given: what turns retries on for a task. */
export type TaskRetryOptions = RetryOptions & { maxAttempts: number };

/**
 * A `report` event (on `runtime.events`) of a retried task:
 * - `retry`: attempt `attempt` failed with `reason`; the next runs in `delay` ms
 *   (`snoozed` when `onError` asked for `{ snooze }`, which spends no attempt);
 * - `gave_up`: the task exits with `reason` after `attempt` attempts, because they ran
 *   out (`why: 'exhausted'`) or `onError` said so (`why: 'discarded'`);
 * - `cancelled`: a retry was pending (or the attempt failed) while its TaskSupervisor
 *   drained: the task exits with `reason` instead of running again.
 */
export interface TaskRetryReport extends Report {
  type: 'task_retry';
  event: 'retry' | 'gave_up' | 'cancelled';
  /** The task: its coordinator's PID, the one its starter got. */
  pid: Pid<any>;
  /** Its TaskSupervisor, if it has one. */
  supervisor: Pid<any> | undefined;
  /** The attempt that just ended (1-based). */
  attempt: number;
  maxAttempts: number;
  /** The attempt's exit reason (a `Crash` for a throw). */
  reason: unknown;
  /** For `retry`: ms until the next attempt. */
  delay?: number;
  /** For `retry`: true when `onError` snoozed. */
  snoozed?: boolean;
  /** For `gave_up`. */
  why?: 'exhausted' | 'discarded';
}

/** True for a {@link TaskRetryReport}. Never throws. */
export function isTaskRetryReport(report: unknown): report is TaskRetryReport {
  try {
    return (report as { type?: unknown } | null)?.type === 'task_retry';
  } catch {
    return false;
  }
}

/** @internal A checked retry policy. */
export interface RetryPolicy {
  maxAttempts: number;
  backoff: RetryOptions['backoff'];
  onError: RetryOptions['onError'];
}

/**
 * @internal Reads the retry keys of `options` (whose other keys the caller checks): a
 * policy when `maxAttempts` is given, else undefined. `onError` without `maxAttempts` is
 * an `InvalidArgumentError`, as is a wrong value; `backoff` is the retry's only with
 * `maxAttempts` (`retryBackoff`), else the caller's to interpret.
 */
export function retryPolicy(
  options: RetryOptions | undefined,
  what: string,
): RetryPolicy | undefined {
  if (options === undefined) return undefined;
  const { maxAttempts, backoff, onError } = options;
  checkOptions({ maxAttempts, onError }, what, RETRY_OPTION_CHECKS);
  if (maxAttempts === undefined) {
    if (onError === undefined) return undefined;
    throw new InvalidArgumentError(
      'maxAttempts',
      `given with onError: ${what} retries a task only when maxAttempts is given`,
      maxAttempts,
    );
  }
  if (backoff !== undefined) checkBackoff(backoff);
  return { maxAttempts, backoff, onError };
}

/** @internal `fn` as a task without retries: its ctx says attempt 1. */
export function firstAttempt<R>(fn: AttemptFn<R>): TaskFn<R> {
  const run = (ctx: ReceiveContext<any>) => fn(new AttemptProcessContext(ctx, 1));
  // nameOf, not fn.name: reading a revoked proxy's name throws.
  Object.defineProperty(run, 'name', { value: nameOf(fn, '') });
  return run;
}

const CANCEL: unique symbol = Symbol('actorkit.task_retry.cancel');

/** Coordinators waiting out a backoff, by their TaskSupervisor: `drain` cancels them. */
const waiting = new WeakMap<Pid<any>, Set<Pid<any>>>();
/** TaskSupervisors draining, with the count of retries their drain cancelled. */
const draining = new WeakMap<Pid<any>, { cancelled: number }>();

/** @internal Marks `supervisor` as draining and cancels its tasks' pending retries. */
export function startDrain(runtime: Runtime, supervisor: Pid<any>): { cancelled: number } {
  const state = draining.get(supervisor) ?? { cancelled: 0 };
  draining.set(supervisor, state);
  for (const pid of waiting.get(supervisor) ?? []) runtime.send(pid, CANCEL);
  return state;
}

/** @internal True once `drain` was called on `supervisor`. */
export function isDraining(supervisor: Pid<any> | undefined): boolean {
  return supervisor !== undefined && draining.has(supervisor);
}

/**
 * @internal The coordinator's body for `fn` under `policy`: runs attempts until one
 * succeeds (resolving with its result) or the task gives up (exiting with the last
 * attempt's reason). `supervisor` is the TaskSupervisor whose `drain` cancels retries.
 */
export function retrying<R>(
  fn: AttemptFn<R>,
  policy: RetryPolicy,
  supervisor?: Pid<any>,
): TaskFn<R> {
  const run = (ctx: ReceiveContext<any>) => new RetryRun(ctx, fn, policy, supervisor).run();
  // nameOf, not fn.name: reading a revoked proxy's name throws.
  Object.defineProperty(run, 'name', { value: nameOf(fn, '') });
  return run;
}

type AttemptOutcome<R> = { ok: R } | { exit: unknown };

class RetryRun<R> {
  private attempt = 1;

  constructor(
    private readonly ctx: ReceiveContext<any>,
    private readonly fn: AttemptFn<R>,
    private readonly policy: RetryPolicy,
    private readonly supervisor: Pid<any> | undefined,
  ) {}

  async run(): Promise<R> {
    // Trapping, so an attempt's crash is news rather than death; exits from anyone else
    // are handled as a task that does not trap would be (see `parentExit`).
    this.ctx.trapExit(true);
    for (;;) {
      const outcome = await this.runAttempt();
      if ('ok' in outcome) return outcome.ok;
      await this.afterFailure(outcome.exit);
    }
  }

  /** Decides what follows a failed attempt: a wait and another attempt, or the exit. */
  private async afterFailure(reason: unknown): Promise<void> {
    const { ctx, policy } = this;
    if (isCleanExit(reason)) ctx.exit(reason);
    if (isDraining(this.supervisor)) this.cancel(reason);
    const error = isCrash(reason) ? reason.error : reason;
    const decision = this.decide(error);
    const snoozed = typeof decision === 'object';
    if (!snoozed && (decision === 'discard' || this.attempt >= policy.maxAttempts)) {
      const why = decision === 'discard' ? 'discarded' : 'exhausted';
      this.report({ event: 'gave_up', reason, why });
      ctx.exit(reason);
    }
    const delay = snoozed ? decision.snooze : backoffDelay(policy.backoff, this.attempt, error);
    this.report({ event: 'retry', reason, delay, snoozed });
    if (!(await this.wait(delay))) this.cancel(reason);
    if (!snoozed) this.attempt++;
  }

  /** Runs one attempt in a fresh linked process and waits for its end. */
  private async runAttempt(): Promise<AttemptOutcome<R>> {
    const { ctx, fn, attempt } = this;
    let result: { ok: R } | undefined;
    const pid = ctx.spawnLink(
      async (attemptCtx: ReceiveContext<any>) => {
        const value = await fn(new AttemptProcessContext(attemptCtx, attempt));
        if (attemptCtx.runtime.isAlive(attemptCtx.self)) result = { ok: value };
      },
      { label: labelOf(fn), behaviour: 'task' },
    );
    // Killed, the coordinator cannot forward the kill: the attempt must not outlive it.
    const unwatch = ctx.runtime.watch(ctx.self, () => ctx.runtime.exit(pid, 'kill'));
    try {
      for (;;) {
        const message = await ctx.receive((m) => isExit(m) || m === CANCEL);
        if (!isExit(message)) continue; // a drain: the running attempt may finish
        if (message.from === pid) {
          return message.reason === 'normal'
            ? (result ?? { ok: undefined as R })
            : { exit: message.reason };
        }
        if (message.reason !== 'normal') await this.parentExit(pid, message.reason);
      }
    } finally {
      unwatch();
    }
  }

  /** An exit signal from the supervisor or a linked owner: passed to the attempt, whose end the task shares. */
  private async parentExit(pid: Pid<any>, reason: unknown): Promise<never> {
    this.ctx.exit(pid, reason);
    await this.ctx.receive((m) => isExit(m) && m.from === pid);
    return this.ctx.exit(reason);
  }

  /** Waits `ms` on the runtime's clock; false when a drain cancelled the wait. */
  private async wait(ms: number): Promise<boolean> {
    const { ctx, supervisor } = this;
    const tick = { retry: this.attempt };
    const timer = ctx.sendAfter(tick, ms);
    const set = supervisor === undefined ? undefined : waitingSet(supervisor);
    set?.add(ctx.self);
    try {
      for (;;) {
        const message = await ctx.receive((m) => m === tick || m === CANCEL || isExit(m));
        if (message === tick) return true;
        if (message === CANCEL) {
          ctx.cancelTimer(timer);
          return false;
        }
        if (isExit(message) && message.reason !== 'normal') ctx.exit(message.reason);
      }
    } finally {
      set?.delete(ctx.self);
    }
  }

  private cancel(reason: unknown): never {
    const state = this.supervisor === undefined ? undefined : draining.get(this.supervisor);
    if (state !== undefined) state.cancelled++;
    this.report({ event: 'cancelled', reason });
    return this.ctx.exit(reason);
  }

  /** Asks `onError`; a throw or a wrong answer counts as `'retry'` and is reported. */
  private decide(error: unknown): ErrorDecision {
    const { onError, maxAttempts } = this.policy;
    if (onError === undefined) return 'retry';
    const runtime = this.ctx.runtime;
    try {
      const decision = onError(error, { attempt: this.attempt, maxAttempts });
      if (isErrorDecision(decision)) return decision;
      throw new TypeError(
        `onError returned ${String(decision)}; expected 'retry', 'discard' or { snooze: ms }.`,
      );
    } catch (thrown) {
      if (runtime.events.has('report')) {
        runtime.events.emit('report', { type: 'watcher_error', error: thrown, reason: 'onError' });
      }
      return 'retry';
    }
  }

  private report(fields: Pick<TaskRetryReport, 'event' | 'reason' | 'delay' | 'snoozed' | 'why'>) {
    const runtime = this.ctx.runtime;
    if (!runtime.events.has('report')) return;
    const report: TaskRetryReport = {
      type: 'task_retry',
      pid: this.ctx.self,
      supervisor: this.supervisor,
      attempt: this.attempt,
      maxAttempts: this.policy.maxAttempts,
      ...fields,
    };
    runtime.events.emit('report', report);
  }
}

function waitingSet(supervisor: Pid<any>): Set<Pid<any>> {
  let set = waiting.get(supervisor);
  if (set === undefined) waiting.set(supervisor, (set = new Set()));
  return set;
}
