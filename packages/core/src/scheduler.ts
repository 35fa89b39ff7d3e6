import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from './errors.js';

// A resolved promise's `then` queues a microtask at a third of `queueMicrotask`'s cost,
// which wraps every callback in an async resource. `flush` never throws.
const resolved = Promise.resolve();

/** Reductions a turn may spend when `SchedulerOptions.budget` is not given. */
export const DEFAULT_BUDGET = 2000;

/**
 * @internal Messages a handler process handles between two looks at the clock within one
 * turn: once the slice is over, a turn ends after a multiple of this many
 * messages, so a process with slow messages and a large budget still lets the event loop in.
 */
export const CLOCK_EVERY = 64;

/**
 * @internal The reductions the running turn has spent on work other than handling its
 * messages: every message delivered (sent by the process, or by code it called) and
 * every spawn, link, monitor and exit signal. One counter per thread, as a BEAM
 * scheduler has one: only one process runs at a time, and the scheduler zeroes it
 * before each turn, so a send to a process of another runtime is charged to the process
 * that made it. Outside any turn (a timer firing, a send from plain code) it counts for
 * nobody.
 *
 * `current` is the process whose turn is running, null between turns: what code that
 * runs synchronously inside a turn (a handler, and whatever it calls) can ask to learn
 * which process it runs in. Code after an `await` runs outside any turn, so it reads null.
 */
export const turn: { charged: number; current: Runnable | null } = { charged: 0, current: null };

/** @internal What the scheduler runs: a process with work to do. */
export interface Runnable {
  scheduled: boolean;
  /**
   * Runs one turn of at most `budget` reductions; returns the reductions it spent
   * (messages handled plus `turn.charged`).
   */
  run(budget: number): number;
  /**
   * Called when `run` threw, which the process's own code never makes it do (a throw in a
   * handler is caught and becomes the exit reason); something around it did, such as a
   * returned promise whose `then` throws. Must end the process with that reason, or
   * report the error if it is already gone.
   */
  runFailed(error: unknown): void;
}

/**
 * Scheduler settings, part of `RuntimeOptions`.
 *
 * As on the BEAM, processes take turns on one run queue, in FIFO order, and a turn is
 * measured in reductions, units of work: each message handled costs one, and so does
 * each message sent and each spawn, link, monitor and exit signal. A turn handles only
 * the messages that were queued when it began, until its budget is spent or the mailbox
 * has no more of them; a process with messages left, or with messages that arrived
 * during the turn (what it sent itself, above all), goes to the back of the queue,
 * behind every other runnable process. So a process that continues long work by
 * sending itself a message runs one slice per turn, and a consumer as fast per message
 * as its producer keeps up with it: its mailbox stays within about one batch, for
 * batches up to a budget.
 *
 * Unlike the BEAM, a turn cannot be interrupted in the middle of a message: a handler
 * that sends 10,000 messages spends 10,000 reductions in one go, and its turn ends after
 * that message. A body process (an async function with `receive`) takes one message per
 * turn: its code runs between turns, as a promise continuation.
 */
export interface SchedulerOptions {
  /**
   * Reductions a process may spend in one turn before the next process runs: a whole
   * number >= 1. Larger budgets cost less switching; smaller ones interleave processes
   * more finely. A consumer keeps up with a producer that sends up to about this many
   * messages per turn. (The BEAM's budget is 4,000 reductions, but it counts function
   * calls too, which JavaScript cannot.)
   * @default 2000
   */
  budget?: number;
  /**
   * Longest stretch, in ms, the scheduler runs before giving the event loop a turn: about
   * the most a flood of messages delays I/O and timers on the same Node process. Shorter
   * slices serve I/O sooner and leave the flood a little less throughput. A turn that is
   * still handling messages when the slice runs out ends early, after a multiple of 64
   * messages. A finite number > 0. @default 3
   */
  sliceMs?: number;
}

/**
 * @internal The run queue. Processes with pending messages wait here in FIFO order; each
 * turn a process spends at most `budget` reductions (see `SchedulerOptions`) and goes to
 * the back of the queue if it has more to do. Runs happen in microtasks while the current
 * slice lasts; when `sliceMs` has passed, the scheduler continues from `setImmediate`, so
 * timers and I/O get their turn however many messages are flowing. A throw out of a
 * process's run ends that process, never the loop.
 */
export class Scheduler {
  /**
   * Called at the end of every run of the queue. The runtime stamps there what was set
   * during the run (timers, call deadlines) with one clock reading for all of them.
   */
  afterRun: (() => void) | null = null;
  private ring: (Runnable | undefined)[] = new Array(16);
  private head = 0;
  private length = 0;
  private armed = false;
  private armsUnchecked = 0;
  /** When the current slice began; the first one begins with the scheduler. */
  private sliceStart = performance.now();
  private readonly budget: number;
  private readonly sliceMs: number;

  constructor(options: SchedulerOptions = {}) {
    const { budget = DEFAULT_BUDGET, sliceMs = 3 } = options;
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw new InvalidArgumentError(
        'options.budget',
        'a whole number >= 1 (reductions per turn)',
        budget,
      );
    }
    if (typeof sliceMs !== 'number' || !(sliceMs > 0) || !Number.isFinite(sliceMs)) {
      throw new InvalidArgumentError('options.sliceMs', 'a finite number of ms > 0', sliceMs);
    }
    this.budget = budget;
    this.sliceMs = sliceMs;
  }

  get idle(): boolean {
    return !this.armed && this.length === 0;
  }

  schedule(process: Runnable): void {
    process.scheduled = true;
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = process;
    this.length++;
    if (!this.armed) this.arm();
  }

  /**
   * Makes sure a run happens soon, even with no process to run, so that `afterRun` comes:
   * for work set from outside any process that waits to be stamped.
   */
  wake(): void {
    if (!this.armed) this.arm();
  }

  /**
   * Starts a new slice now: the runtime's timer alarm is a fresh macrotask, so processes
   * it wakes run in microtasks right after it instead of waiting for `setImmediate`.
   */
  beginSlice(): void {
    this.sliceStart = performance.now();
    this.armsUnchecked = 0;
  }

  /** True when the current slice has run out: a long turn ends early (see `CLOCK_EVERY`). */
  sliceOver(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Forgets every queued process (the runtime is stopping). */
  clear(): void {
    while (this.length > 0) this.take().scheduled = false;
  }

  private arm(): void {
    this.armed = true;
    // Reading the clock costs as much as a small message: look every few arms only.
    // A chain of microtask runs still ends within a few arms of the slice running out.
    if (++this.armsUnchecked < 8) {
      void resolved.then(this.continueSlice);
      return;
    }
    this.armsUnchecked = 0;
    if (performance.now() - this.sliceStart < this.sliceMs) void resolved.then(this.continueSlice);
    else setImmediate(this.startSlice);
  }

  private readonly startSlice = (): void => {
    this.sliceStart = performance.now();
    this.armsUnchecked = 0;
    this.flush();
  };

  private readonly continueSlice = (): void => {
    this.flush();
  };

  private flush(): void {
    // One try around the whole loop, entered again after a throw: none per turn.
    while (!this.runQueue() && !this.sliceOver()) {}
    this.armed = false;
    this.afterRun?.();
    if (this.length > 0) {
      this.armed = true;
      setImmediate(this.startSlice);
    }
  }

  /**
   * Runs queued processes until the queue is empty or the slice is over; returns false
   * after a process's run threw (that process has been failed, the rest still wait).
   */
  private runQueue(): boolean {
    const budget = this.budget;
    let sinceCheck = 0;
    let process: Runnable | undefined;
    try {
      while (this.length > 0) {
        process = this.take();
        process.scheduled = false;
        turn.charged = 0;
        turn.current = process;
        // Reductions and turns: a look at the clock costs about as much as a small message.
        sinceCheck += process.run(budget) + 1;
        if (sinceCheck >= 64) {
          sinceCheck = 0;
          if (performance.now() - this.sliceStart >= this.sliceMs) break;
        }
      }
      turn.current = null;
      return true;
    } catch (error) {
      turn.current = null;
      failRun(process!, error);
      return false;
    }
  }

  private take(): Runnable {
    const ring = this.ring;
    const process = ring[this.head]!;
    ring[this.head] = undefined;
    this.head = (this.head + 1) & (ring.length - 1);
    this.length--;
    return process;
  }

  private grow(): void {
    const old = this.ring;
    const ring = new Array<Runnable | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = ring;
    this.head = 0;
  }
}

function failRun(process: Runnable, error: unknown): void {
  try {
    process.runFailed(error);
  } catch {
    // Failing it threw too (an exit listener that throws): the loop must go on all the same.
  }
}
