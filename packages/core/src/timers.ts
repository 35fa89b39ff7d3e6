import { type Clock, MAX_TIMER_MS } from './clock.js';
import { Ref } from './ref.js';

/**
 * The reference `sendAfter` (and `callAfter`) returns; pass it to `cancelTimer` or
 * `readTimer`. It stays valid after the timer fired or was cancelled: both then
 * return false.
 */
export class TimerRef extends Ref {
  /** @internal */
  constructor(
    /** @internal */
    readonly entry: TimerEntry | null,
    /** @internal The entry's generation when this ref was made: entries are reused. */
    readonly generation: number,
  ) {
    super();
  }

  override toString(): string {
    return `#Reference<0.0.1.${this.id}>`;
  }
}

const FREE = 0;
const IN_WHEEL = 1;
const IN_OVERFLOW = 2;
/** Set during a run of processes, waiting for the run's end to be stamped (see `place`). */
const STAGED = 3;

/**
 * @internal One timer: a message to deliver, or a callback to run. Entries are pooled
 * and linked into lists in place (a wheel slot, the owner's timers), so a periodic
 * timer re-armed every tick allocates nothing that outlives the tick.
 */
export class TimerEntry {
  /** Due time rounded up to a whole ms: its wheel slot. */
  at = 0;
  /** Exact due time; the delay itself while the timer is staged. */
  due = 0;
  /** Insertion order, for ties among far timers. */
  seq = 0;
  generation = 0;
  state = FREE;
  dest: unknown = undefined;
  message: unknown = undefined;
  callback: (() => void) | null = null;
  owner: OwnedTimers | null = null;
  prevOwned: TimerEntry | null = null;
  nextOwned: TimerEntry | null = null;
  prev: TimerEntry | null = null;
  next: TimerEntry | null = null;
  /** Position in the far-timer heap, or -1. */
  heapIndex = -1;
  /** The wheel slot holding it (OVERDUE for timers already due when set). */
  slot = 0;
  /** A weak timer does not keep the host process alive (see `TimerService.hold`). */
  weak = false;
}

/**
 * @internal What a process keeps so that its timers die with it: an intrusive list
 * (nothing to allocate per process, O(1) to add and remove).
 */
export interface OwnedTimers {
  timersHead: TimerEntry | null;
  timerCount: number;
  /** Reads a field on each cache line a delivery to it touches (see `TimerService.warm`). */
  warm(): number;
}

const WHEEL_SIZE = 4096;
const WHEEL_MASK = WHEEL_SIZE - 1;
/** An extra slot for timers due at a millisecond the wheel has already passed. */
const OVERDUE = WHEEL_SIZE;
const POOL_LIMIT = 65_536;
/** An alarm that fired at least this many timers marks the queue busy (see `Clock.timerSlackMs`). */
const BUSY_ALARM = 64;

/** @internal What the timer queue needs from the scheduler. */
export interface TimerWaker {
  /** A timer was staged: a run must come soon, and with it `placeStaged`. */
  wake(): void;
  /** The alarm went off: a fresh macrotask. */
  beginSlice(): void;
}

/**
 * @internal The runtime's timer queue: a timing wheel of 1 ms slots covering the next
 * 4 s, plus a heap for timers further out that move into the wheel as it turns (call
 * timeouts of 5 s live there: cancelling removes them at once, so a million calls per
 * second leave nothing behind). A million pending timers cost a million small pooled
 * objects and one clock alarm, never a million Node timers. Timers due in the same
 * millisecond fire in the order they were set.
 *
 * A new timer is staged, not placed: the scheduler's run that set it ends with
 * `placeStaged`, which reads the clock once for every timer set in the run (a clock read
 * costs about as much as the rest of a periodic tick). A timer therefore counts from the
 * end of that run: never early, at most a slice late, and exact on a `VirtualClock`.
 */
export class TimerService {
  private readonly heads: (TimerEntry | null)[] = new Array(WHEEL_SIZE + 1).fill(null);
  private readonly tails: (TimerEntry | null)[] = new Array(WHEEL_SIZE + 1).fill(null);
  /** The next slot (ms) to process; every earlier one has fired. */
  private cursor: number;
  private inWheel = 0;
  private overdue = 0;
  /** Set while a slot fires: timers set meanwhile for that millisecond are overdue. */
  private firing = false;
  private readonly overflow: TimerEntry[] = [];
  private free: TimerEntry | null = null;
  private freeCount = 0;
  private seq = 0;
  private alarmAt = Number.POSITIVE_INFINITY;
  private closed = false;
  /** How many timers are pending. */
  pending = 0;
  /** Pending timers that are not weak, plus `hold` calls not yet released. */
  private holds = 0;
  private stagedHead: TimerEntry | null = null;
  private stagedTail: TimerEntry | null = null;
  /** Timers the running alarm has fired so far. */
  private firedThisAlarm = 0;
  /** Set when the last alarm fired many timers: the next may go off `slack` ms late. */
  private busy = false;
  private readonly slack: number;
  /** What `warm` read, kept so that the compiler cannot drop the reads. */
  warmth = 0;

  constructor(
    private readonly clock: Clock,
    private readonly waker: TimerWaker,
    private readonly deliver: (entry: TimerEntry, owner: OwnedTimers | null) => void,
  ) {
    this.cursor = Math.floor(clock.now());
    this.slack = clock.timerSlackMs ?? 0;
  }

  /** True when timers wait for `placeStaged`. */
  get hasStaged(): boolean {
    return this.stagedHead !== null;
  }

  /**
   * Sets a timer `delay` ms from the end of the current run (see the class doc); returns
   * a ref to it.
   */
  add(
    delay: number,
    dest: unknown,
    message: unknown,
    callback: (() => void) | null,
    owner: OwnedTimers | null,
    weak = false,
  ): TimerRef {
    const entry = this.allocate();
    const ref = new TimerRef(entry, entry.generation);
    if (this.closed) return ref;
    entry.dest = dest;
    entry.message = message;
    entry.callback = callback;
    entry.weak = weak;
    this.pending++;
    if (!weak) this.hold();
    if (owner !== null) this.own(entry, owner);
    this.stage(entry, delay);
    return ref;
  }

  /** Places every staged timer: each is due its delay after `now`. */
  placeStaged(now: number): void {
    for (let entry = this.stagedHead; entry !== null; entry = this.stagedHead) {
      this.stagedHead = entry.next;
      entry.prev = entry.next = null;
      this.place(entry, now);
    }
    this.stagedTail = null;
  }

  /** The entry `ref` names, if it is still pending. */
  pendingEntry(ref: TimerRef): TimerEntry | null {
    const entry = ref.entry;
    return entry !== null && entry.generation === ref.generation && entry.state !== FREE
      ? entry
      : null;
  }

  /** Cancels a pending timer; false when it already fired or was cancelled. */
  cancel(entry: TimerEntry): boolean {
    if (entry.state === IN_WHEEL) {
      this.unlinkWheel(entry);
      this.retire(entry);
      this.recycle(entry);
    } else if (entry.state === IN_OVERFLOW) {
      removeHeap(this.overflow, entry);
      this.retire(entry);
      this.recycle(entry);
    } else if (entry.state === STAGED) {
      this.unlinkStaged(entry);
      this.retire(entry);
      this.recycle(entry);
    } else {
      return false;
    }
    return true;
  }

  /**
   * Keeps the host process alive while timers are pending, until as many `release`
   * calls. Every timer but a weak one holds; a higher layer that keeps a weak timer armed
   * across idle spells (call timeouts) holds only while it has work pending.
   */
  hold(): void {
    if (this.holds++ === 0) this.clock.holdAlarm?.(true);
  }

  release(): void {
    if (this.holds > 0 && --this.holds === 0) this.clock.holdAlarm?.(false);
  }

  /**
   * Whole ms until `entry` is due, as Erlang's `read_timer`: its due ms less the current
   * ms, each rounded up, and 0 once due; all of its delay, rounded up, while it is staged.
   */
  remaining(entry: TimerEntry): number {
    if (entry.state === STAGED) return Math.ceil(entry.due);
    return Math.max(0, entry.at - Math.ceil(this.clock.now()));
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
    for (let slot = 0; slot <= OVERDUE; slot++) {
      for (let entry = this.heads[slot]!; entry !== null; entry = this.heads[slot]!) {
        this.unlinkWheel(entry);
        this.retire(entry);
      }
    }
    for (const entry of this.overflow.splice(0)) {
      entry.heapIndex = -1;
      this.retire(entry);
    }
    for (let entry = this.stagedHead; entry !== null; entry = this.stagedHead) {
      this.unlinkStaged(entry);
      this.retire(entry);
    }
    this.pending = 0;
    if (close) this.holds = 0;
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.clock.clearAlarm();
  }

  private readonly onAlarm = (): void => {
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.waker.beginSlice();
    this.firedThisAlarm = 0;
    const end = Math.floor(this.clock.now());
    this.fireOverdue();
    while (this.cursor <= end) {
      if (this.inWheel === 0) {
        const far = this.overflow[0];
        this.cursor = far === undefined || far.at > end ? end + 1 : Math.max(this.cursor, far.at);
        this.migrate();
        if (this.inWheel === 0) continue;
      }
      this.fireSlot(this.cursor & WHEEL_MASK);
      this.cursor++;
      this.fireOverdue();
      this.migrate();
    }
    this.busy = this.firedThisAlarm >= BUSY_ALARM;
    if (this.pending === 0) {
      this.clear();
      return;
    }
    const next = this.nextDue();
    if (next !== undefined) this.arm(next);
  };

  /** Fires a slot's timers in order; timers set meanwhile for the same ms wait as overdue. */
  private fireSlot(slot: number): void {
    this.warm(this.heads[slot]!);
    this.firing = true;
    try {
      for (let entry = this.heads[slot]!; entry !== null; entry = this.heads[slot]!)
        this.fire(entry);
    } finally {
      this.firing = false;
    }
  }

  /**
   * Fires the overdue timers there were when it started, in the order they were set.
   * Those set while it runs wait for the next round, so a callback that keeps setting
   * 0 ms timers cannot hold the event loop.
   */
  private fireOverdue(): void {
    for (let left = this.overdue; left > 0 && this.heads[OVERDUE] !== null; left--) {
      this.fire(this.heads[OVERDUE]!);
    }
  }

  /**
   * Reads every timer of a slot and its owner before any of them fires. With 100k
   * periodic processes each is out of cache by its next tick; these reads do not depend
   * on one another, so the CPU overlaps their misses, and firing then finds the owners
   * in cache instead of missing on each in turn.
   */
  private warm(head: TimerEntry | null): void {
    let sum = 0;
    for (let entry = head; entry !== null; entry = entry.next) {
      if (entry.owner !== null) sum += entry.owner.warm();
    }
    this.warmth = sum;
  }

  private fire(entry: TimerEntry): void {
    this.firedThisAlarm++;
    const owner = entry.owner;
    this.unlinkWheel(entry);
    this.retire(entry);
    this.deliver(entry, owner);
    this.recycle(entry);
  }

  private nextDue(): number | undefined {
    if (this.overdue > 0) return this.heads[OVERDUE]!.at;
    if (this.inWheel > 0) {
      for (let ms = this.cursor; ; ms++) if (this.heads[ms & WHEEL_MASK] !== null) return ms;
    }
    return this.overflow[0]?.at;
  }

  /** Moves far timers that now fall within the wheel's span into it. */
  private migrate(): void {
    const overflow = this.overflow;
    while (overflow.length > 0 && overflow[0]!.at - this.cursor < WHEEL_SIZE) {
      const entry = overflow[0]!;
      removeHeap(overflow, entry);
      this.toSlot(entry, entry.at & WHEEL_MASK);
    }
  }

  private stage(entry: TimerEntry, delay: number): void {
    entry.state = STAGED;
    entry.due = delay;
    entry.prev = this.stagedTail;
    entry.next = null;
    if (this.stagedTail === null) {
      this.stagedHead = entry;
      this.waker.wake();
    } else {
      this.stagedTail.next = entry;
    }
    this.stagedTail = entry;
  }

  private unlinkStaged(entry: TimerEntry): void {
    const { prev, next } = entry;
    if (prev === null) this.stagedHead = next;
    else prev.next = next;
    if (next === null) this.stagedTail = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
  }

  /** Puts a staged timer in the wheel or the far-timer heap, due its delay after `now`. */
  private place(entry: TimerEntry, now: number): void {
    const due = now + entry.due;
    entry.due = due;
    if (this.inWheel === 0 && this.overdue === 0 && this.overflow.length === 0) {
      this.cursor = Math.max(this.cursor, Math.floor(now));
    }
    const at = Math.ceil(due);
    entry.at = at;
    entry.seq = this.seq++;
    if (at < (this.firing ? this.cursor + 1 : this.cursor)) this.toSlot(entry, OVERDUE);
    else if (at - this.cursor < WHEEL_SIZE) this.toSlot(entry, at & WHEEL_MASK);
    else this.toOverflow(entry);
    if (at < this.alarmAt) this.arm(at);
  }

  private toSlot(entry: TimerEntry, slot: number): void {
    const tail = this.tails[slot]!;
    entry.state = IN_WHEEL;
    entry.slot = slot;
    entry.prev = tail;
    entry.next = null;
    if (tail === null) this.heads[slot] = entry;
    else tail.next = entry;
    this.tails[slot] = entry;
    if (slot === OVERDUE) this.overdue++;
    else this.inWheel++;
  }

  private toOverflow(entry: TimerEntry): void {
    entry.state = IN_OVERFLOW;
    pushHeap(this.overflow, entry);
  }

  private unlinkWheel(entry: TimerEntry): void {
    const slot = entry.slot;
    const { prev, next } = entry;
    if (prev === null) this.heads[slot] = next;
    else prev.next = next;
    if (next === null) this.tails[slot] = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
    if (slot === OVERDUE) this.overdue--;
    else this.inWheel--;
  }

  /** The timer is no longer pending: its refs go stale and its owner forgets it. */
  private retire(entry: TimerEntry): void {
    entry.state = FREE;
    entry.generation++;
    this.pending--;
    if (!entry.weak) this.release();
    this.disown(entry);
  }

  private own(entry: TimerEntry, owner: OwnedTimers): void {
    entry.owner = owner;
    entry.nextOwned = owner.timersHead;
    if (owner.timersHead !== null) owner.timersHead.prevOwned = entry;
    owner.timersHead = entry;
    owner.timerCount++;
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

  private allocate(): TimerEntry {
    const entry = this.free;
    if (entry === null) return new TimerEntry();
    this.free = entry.next;
    entry.next = null;
    this.freeCount--;
    return entry;
  }

  private recycle(entry: TimerEntry): void {
    entry.state = FREE;
    entry.dest = entry.message = undefined;
    entry.callback = null;
    if (this.freeCount >= POOL_LIMIT) return;
    entry.next = this.free;
    this.free = entry;
    this.freeCount++;
  }

  /**
   * Sets the clock's alarm for `at`, or sooner: never more than `MAX_TIMER_MS` ahead of
   * the wheel's position (at most 1 ms past the clock's time), so that no clock is asked
   * to wait longer than a Node timer can; that alarm finds nothing due and arms again.
   */
  private arm(at: number): void {
    const alarm = Math.min(this.busy ? at + this.slack : at, this.cursor - 1 + MAX_TIMER_MS);
    this.alarmAt = Math.min(at, alarm);
    this.clock.setAlarm(alarm, this.onAlarm);
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function pushHeap(heap: TimerEntry[], entry: TimerEntry): void {
  entry.heapIndex = heap.length;
  heap.push(entry);
  siftUp(heap, entry.heapIndex);
}

/** Removes `entry` from wherever it is in the heap. */
function removeHeap(heap: TimerEntry[], entry: TimerEntry): void {
  const index = entry.heapIndex;
  const last = heap.pop()!;
  entry.heapIndex = -1;
  if (last === entry) return;
  heap[index] = last;
  last.heapIndex = index;
  siftUp(heap, index);
  siftDown(heap, last.heapIndex);
}

function siftUp(heap: TimerEntry[], index: number): void {
  const entry = heap[index]!;
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const above = heap[parent]!;
    if (!before(entry, above)) break;
    heap[i] = above;
    above.heapIndex = i;
    i = parent;
  }
  heap[i] = entry;
  entry.heapIndex = i;
}

function siftDown(heap: TimerEntry[], index: number): void {
  const entry = heap[index]!;
  let i = index;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
    const below = heap[child]!;
    if (!before(below, entry)) break;
    heap[i] = below;
    below.heapIndex = i;
    i = child;
  }
  heap[i] = entry;
  entry.heapIndex = i;
}
