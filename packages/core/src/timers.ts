import type { Clock } from './clock.js';
import { MinHeap } from './internal/min-heap.js';
import { Ref } from './ref.js';

/**
 * The reference `sendAfter` returns; pass it to `cancelTimer` or `readTimer`.
 * It is the timer itself, so a pending timer costs one object.
 */
export class TimerRef extends Ref {
  /** @internal Its bucket: the due time rounded up to a whole ms of the runtime's clock. */
  at = 0;
  /** @internal The exact due time. */
  due = 0;
  /** @internal The bucket holding it while pending; null once fired or cancelled. */
  bucket: Bucket | null = null;
  /** @internal Set when the timer belongs to a process, whose exit cancels it. */
  owner: OwnedTimers | null = null;
  /** @internal Neighbours in the owner's list of timers. */
  prevOwned: TimerRef | null = null;
  /** @internal */
  nextOwned: TimerRef | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly dest: unknown = undefined,
    /** @internal */
    readonly message: unknown = undefined,
    /** @internal */
    readonly callback: (() => void) | null = null,
  ) {
    super();
  }

  override toString(): string {
    return `#Reference<0.0.1.${this.id}>`;
  }
}

/** @internal A pending timer: a message to deliver, or a callback to run. */
export type TimerEntry = TimerRef;

/**
 * @internal What a process keeps so that its timers die with it: an intrusive list
 * (no Set to allocate per process, O(1) to add and remove).
 */
export interface OwnedTimers {
  timersHead: TimerEntry | null;
  timerCount: number;
}

/** @internal */
export interface Bucket {
  entries: TimerEntry[];
  /** Slots in use; reset to 0 when every timer in the bucket was cancelled, so the slots are reused. */
  used: number;
  live: number;
}

/**
 * @internal The runtime's timer queue: one bucket per millisecond of due time and a heap
 * of the due times, so a million pending timers cost a million small objects and a single
 * clock alarm, never a million Node timers. Timers due in the same millisecond fire in
 * the order they were set.
 */
export class TimerService {
  private readonly buckets = new Map<number, Bucket>();
  private readonly dueTimes = new MinHeap();
  private alarmAt = Number.POSITIVE_INFINITY;
  /** How many timers are pending. */
  pending = 0;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly deliver: (entry: TimerEntry) => void,
  ) {}

  add(entry: TimerEntry, delay: number): void {
    if (this.closed) return;
    const due = this.clock.now() + delay;
    const at = Math.ceil(due);
    entry.at = at;
    entry.due = due;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = { entries: [], used: 0, live: 0 };
      this.buckets.set(at, bucket);
      this.dueTimes.push(at);
      if (at < this.alarmAt) this.arm(at);
    }
    bucket.entries[bucket.used++] = entry;
    bucket.live++;
    entry.bucket = bucket;
    if (this.pending++ === 0) this.clock.holdAlarm?.(true);
    const owner = entry.owner;
    if (owner !== null) {
      entry.nextOwned = owner.timersHead;
      if (owner.timersHead !== null) owner.timersHead.prevOwned = entry;
      owner.timersHead = entry;
      owner.timerCount++;
    }
  }

  /** Cancels a pending timer; returns false when it already fired or was cancelled. */
  cancel(entry: TimerEntry): boolean {
    const bucket = entry.bucket;
    if (bucket === null) return false;
    this.release(entry, bucket);
    // An emptied bucket stays until its due time (its key is still in the heap): calls
    // that set and cancel timeouts by the thousand per ms reuse it.
    if (bucket.live === 0) bucket.used = 0;
    if (this.pending === 0) this.clock.holdAlarm?.(false);
    return true;
  }

  /** Milliseconds until `entry` fires, or false when it is no longer pending. */
  remaining(entry: TimerEntry): number | false {
    return entry.bucket === null ? false : Math.max(0, entry.due - this.clock.now());
  }

  /** Cancels every timer owned by a process that exits. */
  cancelOwned(owner: OwnedTimers): void {
    for (let entry = owner.timersHead; entry !== null; entry = owner.timersHead) {
      if (!this.cancel(entry)) this.disown(entry);
    }
  }

  /** Drops every timer and the clock alarm; with `close`, accepts no timer after. */
  clear(close = false): void {
    if (close) this.closed = true;
    for (const bucket of this.buckets.values()) {
      for (let i = 0; i < bucket.used; i++) {
        const entry: TimerEntry = bucket.entries[i]!;
        if (entry.bucket !== bucket) continue;
        entry.bucket = null;
        this.disown(entry);
      }
    }
    this.buckets.clear();
    this.dueTimes.clear();
    this.pending = 0;
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.clock.clearAlarm();
  }

  private release(entry: TimerEntry, bucket: Bucket): void {
    entry.bucket = null;
    bucket.live--;
    this.pending--;
    this.disown(entry);
  }

  private disown(entry: TimerEntry): void {
    const owner = entry.owner;
    if (owner === null) return;
    const { prevOwned, nextOwned } = entry;
    if (prevOwned === null) owner.timersHead = nextOwned;
    else prevOwned.nextOwned = nextOwned;
    if (nextOwned !== null) nextOwned.prevOwned = prevOwned;
    entry.prevOwned = entry.nextOwned = entry.owner = null;
    owner.timerCount--;
  }

  private arm(at: number): void {
    this.alarmAt = at;
    this.clock.setAlarm(at, this.onAlarm);
  }

  private readonly onAlarm = (): void => {
    this.alarmAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    for (let at = this.dueTimes.peek(); at !== undefined && at <= now; at = this.dueTimes.peek()) {
      this.dueTimes.pop();
      const bucket = this.buckets.get(at);
      if (bucket === undefined) continue;
      this.buckets.delete(at);
      for (let i = 0; i < bucket.used; i++) {
        const entry: TimerEntry = bucket.entries[i]!;
        if (entry.bucket !== bucket) continue;
        this.release(entry, bucket);
        this.deliver(entry);
      }
    }
    const next = this.dueTimes.peek();
    if (next !== undefined && this.pending > 0) this.arm(next);
    else if (this.pending === 0) this.clear();
  };
}
