/**
 * @internal `Task.asyncStream` and `TaskSupervisor.asyncStream`: a lazy async iterable
 * that keeps at most `maxConcurrency` tasks alive over any (async) iterable of items.
 */
import { availableParallelism } from 'node:os';
import {
  ExitError,
  InvalidArgumentError,
  type Pid,
  type ReceiveContext,
  runtimeOf,
  TimeoutError,
  type TimerRef,
} from '@actorkit/core';
import {
  type AsyncStreamOptions,
  assertTimeout,
  isExit,
  type StreamResult,
  type Task,
  type TaskSpawner,
} from './task.js';
/** @internal Validates the arguments of a task stream and returns the (lazy) stream. */
export function streamTasks<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>,
  options: AsyncStreamOptions,
  spawn: TaskSpawner<R>,
  linked: boolean,
): AsyncGenerator<StreamResult<R, T>, void, undefined> {
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
  zipInputOnExit: boolean;
  /** Linked stream (`Task.asyncStream`, `TaskSupervisor.asyncStream`): a crash ends it. */
  linked: boolean;
  /** The consumer the tasks of a linked stream are linked to, if any. */
  link: Pid<any> | undefined;
}

async function* runStream<T, R>(
  source: Iterator<T> | AsyncIterator<T>,
  fn: (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>,
  settings: StreamSettings,
  spawn: TaskSpawner<R>,
): AsyncGenerator<StreamResult<R, T>, void, undefined> {
  const pool = new StreamPool<R, T>(settings);
  // As Elixir, read once, when the stream starts: a consumer that traps exits gets each
  // exit as { exit } and no Exit message, so its tasks are not linked to it; they are
  // killed when it exits instead (Elixir links them to a process that does this).
  const trapping = settings.linked && trapsExits(settings.link);
  const owner = trapping ? undefined : settings.link;
  const unwatch = trapping ? pool.watchConsumer(settings.link!) : undefined;
  let exhausted = false;
  try {
    for (;;) {
      // A ready result goes out before the next item is read: the source is pulled lazily.
      const result = pool.take(trapping);
      if (result !== undefined) {
        yield result;
      } else if (!exhausted && pool.alive < settings.maxConcurrency) {
        const next = await source.next();
        if (next.done === true) exhausted = true;
        else {
          const input = next.value;
          pool.assertConsumer();
          pool.add(await spawn((ctx) => fn(input, ctx), owner), input);
        }
      } else if (exhausted && pool.size === 0) {
        return;
      } else {
        await pool.changed();
      }
    }
  } finally {
    unwatch?.();
    pool.close();
    if (!exhausted) await source.return?.();
  }
}

/** True when `pid` is a live process that traps exits. */
function trapsExits(pid: Pid<any> | undefined): boolean {
  if (pid === undefined) return false;
  return runtimeOf(pid)?.processInfo(pid)?.trapExit === true;
}

interface StreamEntry<R, T> {
  task: Task<R>;
  input: T;
  done: boolean;
  timedOut: boolean;
  timer: TimerRef | undefined;
}

/**
 * The tasks of one stream that have not been yielded yet, in start order. A slot frees
 * when a task's process is down, not when its result is yielded, as in Elixir: ordered
 * results that finish early wait here without holding a slot.
 */
class StreamPool<R, T> {
  alive = 0;
  private readonly entries: StreamEntry<R, T>[] = [];
  private wake: (() => void) | undefined;
  /** The trapping consumer's exit, once it exited: the stream ends with it. */
  private consumerExit: { pid: Pid<any>; reason: unknown } | undefined;

  constructor(private readonly settings: StreamSettings) {}

  get size(): number {
    return this.entries.length;
  }

  /** Kills every task when `consumer` exits; returns the function that stops watching. */
  watchConsumer(consumer: Pid<any>): () => void {
    const runtime = runtimeOf(consumer);
    if (runtime === undefined) {
      this.consumerExit = { pid: consumer, reason: 'noproc' };
      return () => {};
    }
    const unwatch = runtime.watch(consumer, (reason) => {
      this.consumerExit = { pid: consumer, reason };
      this.close();
      this.notify();
    });
    return () => void unwatch();
  }

  /** Throws the trapping consumer's exit, if it exited: no task starts after it. */
  assertConsumer(): void {
    const exit = this.consumerExit;
    if (exit !== undefined) throw new ExitError(exit.reason, exit.pid);
  }

  add(task: Task<R>, input: T): void {
    const entry: StreamEntry<R, T> = {
      task,
      input,
      done: false,
      timedOut: false,
      timer: undefined,
    };
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

  /**
   * The next outcome to yield, or undefined if none is ready; throws what ends the
   * stream. `trapping`: a task's exit is yielded, not thrown (the consumer traps exits).
   */
  take(trapping: boolean): StreamResult<R, T> | undefined {
    this.assertConsumer();
    for (const entry of this.entries) if (entry.done) this.assertSurvivable(entry, trapping);
    const index = this.settings.ordered
      ? this.entries[0]?.done === true
        ? 0
        : -1
      : this.entries.findIndex((entry) => entry.done);
    if (index === -1) return undefined;
    const [entry] = this.entries.splice(index, 1);
    const outcome = entry!.task.control.take()!;
    const exit = entry!.timedOut ? { exit: 'timeout' } : outcome;
    if (!('exit' in exit) || !this.settings.zipInputOnExit) return exit;
    return { exit: exit.exit, input: entry!.input };
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

  private finished(entry: StreamEntry<R, T>, off: () => void): void {
    off();
    entry.done = true;
    this.alive--;
    if (entry.timer !== undefined) entry.task.control.runtime.cancelTimer(entry.timer);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private assertSurvivable(entry: StreamEntry<R, T>, trapping: boolean): void {
    const { pid, control } = entry.task;
    if (entry.timedOut && this.settings.onTimeout === 'exit') {
      throw new TimeoutError(
        `a Task.asyncStream task (${pid})`,
        this.settings.timeout,
        "Raise `timeout`, or pass onTimeout: 'kill_task' to get { exit: 'timeout' } for slow items instead.",
      );
    }
    const outcome = control.outcome;
    if (
      this.settings.linked &&
      !trapping &&
      !entry.timedOut &&
      isExit(outcome) &&
      outcome.exit !== 'normal'
    ) {
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
    zipInputOnExit = false,
    link,
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
  if (typeof zipInputOnExit !== 'boolean') {
    throw new InvalidArgumentError('zipInputOnExit', 'true or false', zipInputOnExit);
  }
  return { maxConcurrency, ordered, timeout, onTimeout, zipInputOnExit, linked, link };
}

function iteratorOf<T>(items: Iterable<T> | AsyncIterable<T>): Iterator<T> | AsyncIterator<T> {
  const source = items as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
  const asyncIterator = source?.[Symbol.asyncIterator];
  if (typeof asyncIterator === 'function') return asyncIterator.call(source);
  const iterator = source?.[Symbol.iterator];
  if (typeof iterator === 'function') return iterator.call(source);
  throw new InvalidArgumentError('items', 'an iterable or async iterable', items);
}
