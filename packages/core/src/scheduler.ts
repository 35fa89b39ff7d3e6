import { performance } from 'node:perf_hooks';

// A resolved promise's `then` queues a microtask at a third of `queueMicrotask`'s cost,
// which wraps every callback in an async resource. `flush` never throws.
const resolved = Promise.resolve();

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
  /**
   * Longest stretch, in ms, the scheduler runs before giving the event loop a turn: about
   * the most a flood of messages delays I/O and timers on the same Node process. Shorter
   * slices serve I/O sooner and leave the flood a little less throughput. @default 3
   */
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
  private sliceStart = Number.NEGATIVE_INFINITY;
  private readonly budget: number;
  private readonly sliceMs: number;

  constructor(options: SchedulerOptions = {}) {
    this.budget = options.budget ?? 64;
    this.sliceMs = options.sliceMs ?? 3;
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
    const budget = this.budget;
    let sinceCheck = 0;
    while (this.length > 0) {
      const process = this.take();
      process.scheduled = false;
      sinceCheck += process.run(budget) + 1;
      if (sinceCheck >= 32) {
        sinceCheck = 0;
        if (performance.now() - this.sliceStart >= this.sliceMs) break;
      }
    }
    this.armed = false;
    this.afterRun?.();
    if (this.length > 0) {
      this.armed = true;
      setImmediate(this.startSlice);
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
