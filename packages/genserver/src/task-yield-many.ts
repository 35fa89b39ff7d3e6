import type { Runtime, TimerRef } from '@actorkit/core';
import type { TaskControl, TaskResult } from './task.js';

/**
 * Options for `Task.yieldMany` (Elixir's `Task.yield_many/2` options). A number given
 * instead of the object is the `timeout`.
 */
export interface YieldManyOptions {
  /** Ms to wait, for all the tasks together; `Infinity` to wait until `limit` is met. @default 5000 */
  timeout?: number;
  /**
   * What happens to the tasks still running when `timeout` passes: `'nothing'` leaves them
   * to be yielded, awaited, ignored or shut down later; `'ignore'` ignores them
   * (`Task.ignore`); `'kill_task'` kills them (`Task.shutdown(task, 'brutal_kill')`). Not
   * applied when `limit` is met first. @default 'nothing'
   */
  onTimeout?: 'nothing' | 'ignore' | 'kill_task';
  /**
   * How many tasks to wait for: it resolves as soon as this many have replied or exited,
   * without applying `onTimeout`. @default every task
   */
  limit?: number;
}

/** One task and its outcome in `Task.yieldMany`'s answer: undefined if it is still running. */
export type YieldManyEntry<T, R> = [task: T, result: TaskResult<R> | undefined];

/**
 * @internal Waits until `limit` of `controls` have an outcome or `timeout` ms pass, then
 * takes the outcomes that arrived, in the order given. `whenTimedOut(i)` is asked for the
 * value of each task still running after a timeout (what `onTimeout` does to it).
 */
export function yieldControls<R>(
  controls: readonly TaskControl<R>[],
  timeout: number,
  limit: number,
  whenTimedOut: (index: number) => Promise<TaskResult<R> | undefined> | TaskResult<R> | undefined,
): Promise<(TaskResult<R> | undefined)[]> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let cancelTimers = (): void => {};
    let done = false;
    const finish = (timedOut: boolean): void => {
      done = true;
      for (const off of offs) off();
      cancelTimers();
      const taken = firstArrived(controls, limit);
      const values = controls.map((control, index) => {
        if (taken.has(control)) return control.take();
        return timedOut ? whenTimedOut(index) : undefined;
      });
      resolve(Promise.all(values));
    };
    const check = (): void => {
      if (done) return;
      const arrived = controls.filter((control) => control.outcome !== undefined).length;
      if (arrived >= limit) finish(false);
    };
    for (const control of controls) offs.push(control.on(check));
    check();
    if (done) return;
    if (timeout === 0) finish(true);
    else if (timeout !== Number.POSITIVE_INFINITY) {
      cancelTimers = callAfterRunning(controls, timeout, () => finish(true));
    }
  });
}

/**
 * @internal Calls `callback` after `ms` on the clock of each runtime with a task of
 * `controls` still running (the first to fire wins), not just the first task's: a runtime
 * may stop (its tasks end with it), and a stopped runtime's timers never fire. Returns the
 * function that cancels them all.
 */
export function callAfterRunning(
  controls: readonly TaskControl<unknown>[],
  ms: number,
  callback: () => void,
): () => void {
  const running = controls.filter((control) => control.outcome === undefined);
  const timers = [...new Set(running.map((control) => control.runtime))].map(
    (runtime): [Runtime, TimerRef] => [runtime, runtime.callAfter(ms, callback)],
  );
  return () => {
    for (const [runtime, ref] of timers) runtime.cancelTimer(ref, { info: false });
  };
}

/** The controls with an outcome, at most `limit` of them, those whose outcome arrived first (as a mailbox orders them). */
function firstArrived<R>(controls: readonly TaskControl<R>[], limit: number): Set<TaskControl<R>> {
  const arrived = controls
    .filter((control) => control.outcome !== undefined)
    .sort((a, b) => a.arrival - b.arrival);
  return new Set(arrived.slice(0, limit));
}
