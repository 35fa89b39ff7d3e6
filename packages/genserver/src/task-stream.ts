/**
 * @internal `Task.asyncStream` and `TaskSupervisor.asyncStream`: a lazy async iterable
 * that keeps at most `maxConcurrency` tasks alive over any (async) iterable of items.
 */
import { availableParallelism } from 'node:os';
import {
  ExitError,
  InvalidArgumentError,
  type ReceiveContext,
  TimeoutError,
  type TimerRef,
} from '@actorkit/core';
import {
  type AsyncStreamOptions,
  assertTimeout,
  isExit,
  type Task,
  type TaskResult,
  type TaskSpawner,
} from './task.js';
/** @internal Validates the arguments of a task stream and returns the (lazy) stream. */
export function streamTasks<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>,
  options: AsyncStreamOptions,
  spawn: TaskSpawner<R>,
  linked: boolean,
): AsyncGenerator<TaskResult<R>, void, undefined> {
  const source = iteratorOf(items);
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError('fn', 'a function (item, ctx) => result', fn);
  }
  return runStream(source, fn, streamSettings(options, linked), spawn);
}

interface StreamSettings {
  maxConcurrency: number;
  ordered: boolean;
  timeout: number;
  onTimeout: 'exit' | 'kill_task';
  linked: boolean;
}

async function* runStream<T, R>(
  source: Iterator<T> | AsyncIterator<T>,
  fn: (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>,
  settings: StreamSettings,
  spawn: TaskSpawner<R>,
): AsyncGenerator<TaskResult<R>, void, undefined> {
  const pool = new StreamPool<R>(settings);
  let exhausted = false;
  try {
    for (;;) {
      // A ready result goes out before the next item is read: the source is pulled lazily.
      const result = pool.take();
      if (result !== undefined) {
        yield result;
      } else if (!exhausted && pool.alive < settings.maxConcurrency) {
        const next = await source.next();
        if (next.done === true) exhausted = true;
        else pool.add(await spawn((ctx) => fn(next.value, ctx)));
      } else if (exhausted && pool.size === 0) {
        return;
      } else {
        await pool.changed();
      }
    }
  } finally {
    pool.close();
    if (!exhausted) await source.return?.();
  }
}

interface StreamEntry<R> {
  task: Task<R>;
  done: boolean;
  timedOut: boolean;
  timer: TimerRef | undefined;
}

/**
 * The tasks of one stream that have not been yielded yet, in start order. A slot frees
 * when a task's process is down, not when its result is yielded, as in Elixir: ordered
 * results that finish early wait here without holding a slot.
 */
class StreamPool<R> {
  alive = 0;
  private readonly entries: StreamEntry<R>[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly settings: StreamSettings) {}

  get size(): number {
    return this.entries.length;
  }

  add(task: Task<R>): void {
    const entry: StreamEntry<R> = { task, done: false, timedOut: false, timer: undefined };
    const control = task.control;
    this.entries.push(entry);
    this.alive++;
    const off = control.on(() => control.down && this.finished(entry, off));
    if (control.down) {
      this.finished(entry, off);
      return;
    }
    if (this.settings.timeout !== Number.POSITIVE_INFINITY) {
      entry.timer = control.runtime.callAfter(this.settings.timeout, () => {
        entry.timedOut = control.outcome === undefined;
        control.kill();
      });
    }
  }

  /** The next outcome to yield, or undefined if none is ready; throws what ends the stream. */
  take(): TaskResult<R> | undefined {
    for (const entry of this.entries) if (entry.done) this.assertSurvivable(entry);
    const index = this.settings.ordered
      ? this.entries[0]?.done === true
        ? 0
        : -1
      : this.entries.findIndex((entry) => entry.done);
    if (index === -1) return undefined;
    const [entry] = this.entries.splice(index, 1);
    const outcome = entry!.task.control.take()!;
    return entry!.timedOut ? { exit: 'timeout' } : outcome;
  }

  /** Resolves at the next task exit. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Shuts down every task not yet yielded. */
  close(): void {
    for (const entry of this.entries.splice(0)) {
      if (entry.timer !== undefined) entry.task.control.runtime.cancelTimer(entry.timer);
      entry.task.control.abandon();
    }
  }

  private finished(entry: StreamEntry<R>, off: () => void): void {
    off();
    entry.done = true;
    this.alive--;
    if (entry.timer !== undefined) entry.task.control.runtime.cancelTimer(entry.timer);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private assertSurvivable(entry: StreamEntry<R>): void {
    const { pid, control } = entry.task;
    if (entry.timedOut && this.settings.onTimeout === 'exit') {
      throw new TimeoutError(
        `a Task.asyncStream task (${pid})`,
        this.settings.timeout,
        "Raise `timeout`, or pass onTimeout: 'kill_task' to get { exit: 'timeout' } for slow items instead.",
      );
    }
    const outcome = control.outcome;
    if (this.settings.linked && !entry.timedOut && isExit(outcome) && outcome.exit !== 'normal') {
      throw new ExitError(outcome.exit, pid);
    }
  }
}

function streamSettings(options: AsyncStreamOptions, linked: boolean): StreamSettings {
  const {
    maxConcurrency = availableParallelism(),
    ordered = true,
    timeout = 5000,
    onTimeout = 'exit',
  } = options ?? {};
  if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
    throw new InvalidArgumentError('maxConcurrency', 'an integer >= 1', maxConcurrency);
  }
  assertTimeout(timeout);
  if (typeof ordered !== 'boolean') {
    throw new InvalidArgumentError('ordered', 'true or false', ordered);
  }
  if (onTimeout !== 'exit' && onTimeout !== 'kill_task') {
    throw new InvalidArgumentError('onTimeout', "'exit' or 'kill_task'", onTimeout);
  }
  return { maxConcurrency, ordered, timeout, onTimeout, linked };
}

function iteratorOf<T>(items: Iterable<T> | AsyncIterable<T>): Iterator<T> | AsyncIterator<T> {
  const source = items as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
  const asyncIterator = source?.[Symbol.asyncIterator];
  if (typeof asyncIterator === 'function') return asyncIterator.call(source);
  const iterator = source?.[Symbol.iterator];
  if (typeof iterator === 'function') return iterator.call(source);
  throw new InvalidArgumentError('items', 'an iterable or async iterable', items);
}
