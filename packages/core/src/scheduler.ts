import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from './errors.js';

// A resolved promise's `then` queues a microtask at a third of `queueMicrotask`'s cost,
// which wraps every callback in an async resource. `flush` never throws.
const resolved = Promise.resolve();

/** Reductions a turn may spend when `SchedulerOptions.budget` is not given. */
export const DEFAULT_BUDGET = 2000;

/**
 * @internal The most reductions between two looks at the clock (a turn's messages, or
 * the turns of a run). Reading the clock costs about as much as a small message, so the
 * scheduler looks this seldom while looks come quickly; when reductions are slow (a
 * handler that computes for milliseconds a message) it looks more often, down to every
 * reduction (see `Scheduler.lookEvery`), so a slice still ends within about one message of
 * its time.
 */
export const CLOCK_EVERY = 64;

/**
 * @internal The reductions the running turn has spent on work other than handling its
 * messages: every message delivered (sent by the process, or by code it called) and
 * every spawn, link, monitor and exit signal. One counter per thread, as a BEAM
 * scheduler has one: only one process runs at a time, and the scheduler zeroes it
 * before each turn, so a send to a process of another runtime is charged to the process
 * that made it. A body process's code runs between the scheduler's runs: each of its
 * receives takes (and zeroes) what was counted since, which is what it did since its
 * last receive. Outside any turn (a timer firing, a send from plain code) it counts for
 * nobody.
 *
 * `current` is the process whose turn is running, null between turns: what code that
 * runs synchronously inside a turn (a handler, and whatever it calls) can ask to learn
 * which process it runs in. Code after an `await` runs outside any turn, so it reads null.
 */
export const turn: { charged: number; current: Runnable | null } = { charged: 0, current: null };

/**
 * @internal Looks at a holder (see `Scheduler.hold`) that has not gone on with its turn
 * for this many microtasks in a row before ending the turn. A receive loop that awaits
 * through helpers takes a few microtasks per message (two for `await next()` where
 * `next` awaits `receive()`, more through an async generator) and keeps its turn; a body
 * that awaits a call, a timer or I/O gives the turn back after this many cheap looks
 * (well under a microsecond).
 */
export const HOLD_PATIENCE = 8;

/**
 * @internal A process whose turn goes on after `run` returned, in the microtasks that
 * follow: a body process receiving, one after another, messages already in its mailbox.
 */
export interface Holder extends Runnable {
  /**
   * The scheduler took the turn back: the process stopped receiving (`cut` false), or the
   * slice ran out (`cut` true; the rest of the turn may go on first in the next slice,
   * see `Scheduler.continueFirst`). What the process does next is not part of this turn.
   */
  endTurn(cut: boolean): void;
}

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
 * A body process (an async function with `receive`) has the same turns: its code runs as
 * promise continuations, and the scheduler waits for them. A `receive` that finds a
 * matching message among those queued when the turn began settles at once, for one
 * reduction (plus one per message its pattern skipped), so a receive loop takes up to a
 * budget of messages per turn, in one chain of microtasks. Its turn ends, and it goes
 * back through the run queue, when the budget is spent, when no such message matches
 * (what it sent itself waits for its next turn), or when it awaits anything but
 * `receive` for more than a few microtasks (a call, a timer, I/O); what it sends in the
 * meantime is charged to its turn.
 *
 * Unlike the BEAM, a turn cannot be interrupted in the middle of a message: a handler
 * that sends 10,000 messages spends 10,000 reductions in one go, and its turn ends after
 * that message (a body's, at its next `receive`).
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
   * slices serve I/O sooner and leave the flood a little less throughput. A turn still
   * going when the slice runs out pauses and goes on first in the next slice, with what
   * was left of its messages and budget, so where slices end never changes the order in
   * which processes take their messages. A finite number > 0. @default 3
   */
  sliceMs?: number;
}

/**
 * @internal The run queue. Processes with pending messages wait here in FIFO order; each
 * turn a process spends at most `budget` reductions (see `SchedulerOptions`) and goes to
 * the back of the queue if it has more to do. Runs happen in microtasks while the current
 * slice lasts; when `sliceMs` has passed, the scheduler continues from `setImmediate`, so
 * timers and I/O get their turn however many messages are flowing. A throw out of a
 * process's run ends that process, never the loop. A body process's turn goes on after
 * its run, in the microtasks that follow (see `hold`): the scheduler runs nothing else
 * until it ends.
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
  /** Reductions spent since the last look at the clock. */
  private spent = 0;
  /**
   * @internal Reductions between two looks at the clock: `CLOCK_EVERY` while looks come
   * quickly, fewer when the reductions between two looks took longer than the slice
   * (slow messages), back up as they speed up.
   */
  lookEvery = CLOCK_EVERY;
  /** When the clock was last read (for `lookEvery`). */
  private lastLook = this.sliceStart;
  /** The process whose turn goes on between microtasks (see `hold`), or null. */
  private holder: Holder | null = null;
  /** True when the holder went on with its turn since the last look at it. */
  private progressed = false;
  /** Looks in a row at a holder that had not gone on (see `HOLD_PATIENCE`). */
  private idleLooks = 0;
  /** The holder whose turn the slice's end cut (see `cutShort`), until the next run. */
  private cutHolder: Holder | null = null;
  /**
   * Processes suspended (see `suspend`), each with true once it has work to do: it asked
   * to be scheduled, and waits off the run queue until `resume`.
   */
  private readonly suspended = new Map<Runnable, boolean>();
  /** `suspended.size`, as a plain field: `schedule` reads it on every call. */
  private suspendedCount = 0;
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
    // One field read when nobody is suspended: the run queue's cost stays what it was.
    if (this.suspendedCount !== 0 && this.park(process)) return;
    this.enqueue(process);
  }

  /**
   * Schedules `process` to run before every queued process: the rest of a turn the
   * slice's end cut short, which goes on first in the next slice, so that giving the
   * event loop a turn never changes the order of processes. A suspended process waits
   * parked, as with `schedule`.
   */
  continueFirst(process: Runnable): void {
    process.scheduled = true;
    if (this.suspendedCount !== 0 && this.park(process)) return;
    if (this.length === this.ring.length) this.grow();
    this.head = (this.head - 1) & (this.ring.length - 1);
    this.ring[this.head] = process;
    this.length++;
    if (!this.armed) this.arm();
  }

  /**
   * True when the slice's end cut `holder`'s turn since the scheduler last ran: its
   * next receive may go on with the rest of that turn, first (see `continueFirst`).
   */
  cutShort(holder: Holder): boolean {
    return this.cutHolder === holder;
  }

  private enqueue(process: Runnable): void {
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
    this.sliceStart = this.lastLook = performance.now();
    this.armsUnchecked = 0;
  }

  /**
   * True when the current slice has run out: a long turn ends early. Called every
   * `lookEvery` reductions, which it tunes: to 1 when the work since the last look outlasted
   * a whole slice, doubling back towards `CLOCK_EVERY` while looks inside a slice come
   * within an eighth of it.
   */
  sliceOver(): boolean {
    const now = performance.now();
    const gap = now - this.lastLook;
    this.lastLook = now;
    if (now - this.sliceStart >= this.sliceMs) {
      if (gap > this.sliceMs) this.lookEvery = 1;
      return true;
    }
    if (this.lookEvery < CLOCK_EVERY && gap * 8 < this.sliceMs) this.lookEvery *= 2;
    return false;
  }

  /**
   * Called by a process at the end of its `run` when its turn goes on afterwards, in the
   * microtasks that follow (a body process whose `receive` just settled). Until the turn
   * ends, the scheduler runs nothing else: it looks at the holder after each microtask
   * and waits once more while the holder goes on (`goOn`). The turn ends when the holder
   * `release`s it, when it has not gone on for `HOLD_PATIENCE` looks in a row (it awaits
   * something else), or when the slice runs out; in the last two cases the scheduler
   * calls its `endTurn`.
   */
  hold(holder: Holder): void {
    this.holder = holder;
    this.progressed = false;
    this.idleLooks = 0;
  }

  /** The holder went on with its turn (a receive that settled at once), spending `reductions`. */
  goOn(reductions: number): void {
    this.progressed = true;
    this.spent += reductions;
  }

  /**
   * `holder` ended its turn by itself (its receive waits, or it exited), after spending
   * `reductions` more. Nothing happens if it is not the holder.
   */
  release(holder: Holder, reductions: number): void {
    if (this.holder !== holder) return;
    this.holder = null;
    this.spent += reductions;
  }

  /** Forgets every queued process (the runtime is stopping). */
  clear(): void {
    while (this.length > 0) this.take().scheduled = false;
    for (const process of this.suspended.keys()) process.scheduled = false;
    this.suspended.clear();
    this.suspendedCount = 0;
    this.dropHolder(false);
    this.cutHolder = null;
  }

  /**
   * The process whose turn is running now: a handler's, or a body's (its first step, or
   * a turn held across its receives); null between turns and outside any process.
   */
  running(): Runnable | null {
    return turn.current ?? this.holder;
  }

  /**
   * Suspends `process`: it takes no more turns until `resume(process)`, as the BEAM
   * suspends a process that sends to a busy distribution port. When it is the process
   * whose turn is running, that turn ends at its next message (a body's at its next
   * receive): its reductions are spent. Messages still reach its mailbox; when it has
   * work, it waits off the run queue. Suspending a suspended process does nothing.
   */
  suspend(process: Runnable): void {
    if (this.suspended.has(process)) return;
    this.suspended.set(process, false);
    this.suspendedCount = this.suspended.size;
    if (this.running() === process) turn.charged += this.budget;
    if (process.scheduled) this.unqueue(process);
  }

  /**
   * Resumes a process `suspend` stopped: it goes to the back of the run queue if it has
   * work. Returns false when it was not suspended. A process that exited meanwhile is
   * let go of: its turn, if it has one, does nothing.
   */
  resume(process: Runnable): boolean {
    const parked = this.suspended.get(process);
    if (parked === undefined) return false;
    this.suspended.delete(process);
    this.suspendedCount = this.suspended.size;
    if (parked) this.enqueue(process);
    return true;
  }

  /** True when `process` is suspended. */
  isSuspended(process: Runnable): boolean {
    return this.suspended.has(process);
  }

  /** Keeps a suspended process off the run queue; false when it is not suspended. */
  private park(process: Runnable): boolean {
    if (!this.suspended.has(process)) return false;
    this.suspended.set(process, true);
    return true;
  }

  /** Takes a process suspended while it was queued off the queue, to wait parked. */
  private unqueue(process: Runnable): void {
    const ring = this.ring;
    const mask = ring.length - 1;
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const queued = ring[(this.head + i) & mask]!;
      if (queued !== process) ring[(this.head + kept++) & mask] = queued;
    }
    for (let i = kept; i < this.length; i++) ring[(this.head + i) & mask] = undefined;
    this.length = kept;
    this.suspended.set(process, true);
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
    this.sliceStart = this.lastLook = performance.now();
    this.armsUnchecked = 0;
    this.flush();
  };

  private readonly continueSlice = (): void => {
    this.flush();
  };

  private flush(): void {
    this.cutHolder = null;
    if (this.holder !== null && this.awaitHolder()) return;
    // One try around the whole loop, entered again after a throw: none per turn.
    while (!this.runQueue() && !this.sliceOver()) {}
    if (this.holder !== null) {
      // A process's turn goes on in the microtasks after this one: look again after it.
      this.afterRun?.();
      void resolved.then(this.continueSlice);
      return;
    }
    this.armed = false;
    this.afterRun?.();
    if (this.length > 0) {
      this.armed = true;
      setImmediate(this.startSlice);
    }
  }

  /**
   * Looks at the holder after a microtask of its turn. Returns true when the queue must
   * not run now: the holder went on (the scheduler looks again after the next microtask),
   * or its turn used up the slice (the next slice begins from `setImmediate`). Returns
   * false when its turn is over and the queue runs on.
   */
  private awaitHolder(): boolean {
    if (this.progressed) {
      this.progressed = false;
      this.idleLooks = 0;
      if (this.spent >= this.lookEvery) {
        this.spent = 0;
        if (this.sliceOver()) {
          this.dropHolder(true);
          this.afterRun?.();
          setImmediate(this.startSlice);
          return true;
        }
      }
      void resolved.then(this.continueSlice);
      return true;
    }
    if (++this.idleLooks < HOLD_PATIENCE) {
      void resolved.then(this.continueSlice);
      return true;
    }
    this.dropHolder(false);
    return false;
  }

  /** Ends the holder's turn, if a process holds one; `cut` when the slice ran out. */
  private dropHolder(cut: boolean): void {
    const holder = this.holder;
    if (holder === null) return;
    this.holder = null;
    if (cut) this.cutHolder = holder;
    holder.endTurn(cut);
  }

  /**
   * Runs queued processes until the queue is empty, the slice is over or a process's
   * turn goes on after its run (see `hold`); returns false after a process's run threw
   * (that process has been failed, the rest still wait).
   */
  private runQueue(): boolean {
    const budget = this.budget;
    let process: Runnable | undefined;
    try {
      while (this.length > 0) {
        process = this.take();
        process.scheduled = false;
        turn.charged = 0;
        turn.current = process;
        // Reductions and turns: a look at the clock costs about as much as a small message.
        this.spent += process.run(budget) + 1;
        if (this.spent >= this.lookEvery) {
          this.spent = 0;
          if (this.sliceOver()) {
            this.dropHolder(true);
            break;
          }
        }
        if (this.holder !== null) break;
      }
      turn.current = null;
      turn.charged = 0;
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
