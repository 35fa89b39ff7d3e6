import { performance } from 'node:perf_hooks';

/** @internal What the scheduler runs: a process with work to do. */
export interface Runnable {
  scheduled: boolean;
  /** Handles up to `budget` messages; returns how many it handled. */
  run(budget: number): number;
}

/** Scheduler settings, part of `RuntimeOptions`. */
export interface SchedulerOptions {
  /** Messages a process may handle in one turn before the next process runs. @default 64 */
  budget?: number;
  /** Longest stretch, in ms, the scheduler runs before giving the event loop a turn. @default 5 */
  sliceMs?: number;
}

/**
 * @internal The run queue. Processes with pending messages wait here in FIFO order; each
 * turn a process handles at most `budget` messages and goes to the back of the queue if
 * it has more. Runs happen in microtasks while the current slice lasts; when `sliceMs`
 * has passed, the scheduler continues from `setImmediate`, so timers and I/O get their
 * turn however many messages are flowing (BEAM's reductions, measured in time).
 */
export class Scheduler {
  private queue: Runnable[] = [];
  private head = 0;
  private armed = false;
  private armsUnchecked = 0;
  private sliceStart = Number.NEGATIVE_INFINITY;
  private readonly budget: number;
  private readonly sliceMs: number;
  /** Total process turns run, for introspection. */
  turns = 0;

  constructor(options: SchedulerOptions = {}) {
    this.budget = options.budget ?? 64;
    this.sliceMs = options.sliceMs ?? 5;
  }

  get idle(): boolean {
    return !this.armed && this.head === this.queue.length;
  }

  schedule(process: Runnable): void {
    process.scheduled = true;
    this.queue.push(process);
    if (!this.armed) this.arm();
  }

  private arm(): void {
    this.armed = true;
    // Reading the clock costs as much as a small message: look every few arms only.
    // A chain of microtask runs still ends within a few arms of the slice running out.
    if (++this.armsUnchecked < 8) {
      queueMicrotask(this.continueSlice);
      return;
    }
    this.armsUnchecked = 0;
    if (performance.now() - this.sliceStart < this.sliceMs) queueMicrotask(this.continueSlice);
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
    const budget = this.budget;
    let sinceCheck = 0;
    while (this.head < this.queue.length) {
      const process = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Runnable;
      process.scheduled = false;
      sinceCheck += process.run(budget) + 1;
      this.turns++;
      if (sinceCheck >= 32) {
        sinceCheck = 0;
        if (performance.now() - this.sliceStart >= this.sliceMs) break;
      }
    }
    this.compact();
    this.armed = false;
    if (this.head < this.queue.length) {
      this.armed = true;
      setImmediate(this.startSlice);
    }
  }

  /** Forgets every queued process (the runtime is stopping). */
  clear(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.scheduled = false;
    this.queue.length = 0;
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
