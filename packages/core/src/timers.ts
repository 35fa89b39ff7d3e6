import { type Clock, MAX_TIMER_MS } from './clock.js';
import { pushHeap, removeHeap } from './internal/timer-heap.js';
import { Ref } from './ref.js';

let nextTimerRef = 1;

/**
 * The reference `sendAfter` (and `callAfter`) returns; pass it to `cancelTimer` or
 * `readTimer`. It stays valid after the timer fired or was cancelled: both then
 * return false. A `Ref` (`instanceof Ref`, `isRef`), numbered apart from other refs.
 */
export class TimerRef implements Ref {
  /** Unique among timer refs: it prints as `#Reference<0.0.1.id>`. */
  readonly id: number;
  /** @internal */
  readonly entry: TimerEntry | null;
  /** @internal The entry's generation when this ref was made: entries are reused. */
  readonly generation: number;
  declare toJSON: () => string;

  /** @internal */
  constructor(entry: TimerEntry | null, generation: number) {
    this.id = nextTimerRef++;
    this.entry = entry;
    this.generation = generation;
  }

  toString(): string {
    return `#Reference<0.0.1.${this.id}>`;
  }
}
// A subclass of Ref in all but syntax. With `extends Ref`, every timer's ref was built
// through `super()`, which V8 does not inline where `sendAfter` is inlined into a
// process's turn: two generic construct stubs, ~150 instructions a periodic tick.
Object.setPrototypeOf(TimerRef.prototype, Ref.prototype);

const FREE = 0;
const IN_WHEEL = 1;
const IN_OVERFLOW = 2;
/** Set during a run of processes, waiting for the run's end to be stamped (see `place`). */
const STAGED = 3;

/**
 * @internal One timer: a message to deliver, or a callback to run. Entries are pooled,
 * and sit in arrays by index (a wheel slot, the staged timers, the far-timer heap), so a
 * periodic timer re-armed every tick allocates nothing that outlives the tick.
 */
export class TimerEntry {
  // The fields a periodic tick touches come first (firing it, then setting the next timer
  // in the same entry, see `TimerService.fire`): V8 lays them out in this order, so they
  // share cache lines (with 100k periodic timers, each is out of cache by its next tick).
  // No field holds a fractional number, which V8 would keep in an object of its own.
  owner: OwnedTimers | null = null;
  state = FREE;
  generation = 0;
  /** A weak timer does not keep the host process alive (see `TimerService.hold`). */
  weak = false;
  /** The wheel slot holding it (OVERDUE for timers already due when set). */
  slot = 0;
  message: unknown = undefined;
  callback: (() => void) | null = null;
  /**
   * Where the message goes: a PID or a name. Undefined for a timer with an owner, whose
   * message goes to the owner (a timer to a PID is owned by that process): storing the
   * PID would cost every periodic tick a write barrier, a load of the PID's page header.
   * Firing sets it, to the owner's PID, if the owner is gone (for the dead letter).
   */
  dest: unknown = undefined;
  /** Its index in its slot, in the staged timers or in the far-timer heap. */
  index = -1;
  /** The ms it is due in (its due time rounded up): its wheel slot. */
  at = 0;
  // The owner's list, the pool and far timers: not touched by a periodic tick.
  prevOwned: TimerEntry | null = null;
  nextOwned: TimerEntry | null = null;
  /** The next entry in the pool of free ones. */
  nextFree: TimerEntry | null = null;
  /** Order among far timers due in the same ms. */
  seq = 0;
}

/**
 * @internal What a process keeps so that its timers die with it: an intrusive list
 * (nothing to allocate per process, O(1) to add and remove). Besides its pending timers,
 * the list may hold, at its head, the entry of a timer that just fired, kept for a
 * moment so that the process can set its next timer in it (see `TimerService.fire`).
 */
export interface OwnedTimers {
  /** Where its timers' messages go (see `TimerEntry.dest`). */
  readonly pid: unknown;
  /** False once it has exited. */
  readonly alive: boolean;
  timersHead: TimerEntry | null;
  /** Its pending timers (the list may hold one more: a fired entry kept for reuse). */
  timerCount: number;
  /**
   * Reads a field on each cache line a delivery to it touches, `depth` pointers away
   * from it (0: its own fields), for `depth` from 0 to `WARM_DEPTH - 1` in turn (see
   * `TimerService.warm`).
   */
  warm(depth: number): number;
}

const WHEEL_SIZE = 4096;
const WHEEL_MASK = WHEEL_SIZE - 1;
/** An extra slot for timers due at a millisecond the wheel has already passed. */
const OVERDUE = WHEEL_SIZE;
const POOL_LIMIT = 65_536;
/** Timers an alarm fires before it lets the processes they woke run (see `fireDue`). */
const CHUNK = 128;
/**
 * Passes of the warm-up over the owners of a chunk's timers (see `TimerService.warm`): a
 * process, its handler (a GenServer's loop), and what that points to (its module).
 */
const WARM_DEPTH = 3;
// A resolved promise's `then` queues a microtask more cheaply than `queueMicrotask`.
const resolved = Promise.resolve();
/** The places for staged timers kept after a run that staged more. */
const STAGED_KEPT = 4096;
/** The slot arrays kept for reuse, at most: a slot gives its array back when it empties. */
const SPARE_LIMIT = 1024;
/** What an empty slot holds: a slot takes an array when its first timer is placed. */
const NO_ENTRIES: (TimerEntry | null)[] = [];
/**
 * Timers per ms of wheel time an alarm must fire to mark the queue busy, so that the next
 * alarm may go off late (see `TimerService`): timers falling due at that rate or more
 * would otherwise wake the event loop every ms or two.
 */
const BUSY_PER_MS = 2;
/** The fraction of its delay a timer may go off late while the queue is busy: 1/16. */
const TOLERANCE_SHIFT = 4;

/** @internal What the timer queue needs from the scheduler. */
export interface TimerWaker {
  /** A timer was staged: a run must come soon, and with it `placeStaged`. */
  wake(): void;
  /** The alarm went off: a fresh macrotask. */
  beginSlice(): void;
}

/**
 * @internal The runtime's timer queue: a timing wheel of 1 ms slots covering the next
 * 4 s, plus a heap for timers further out that move into the wheel as it turns. A million
 * pending timers cost a million small pooled objects and one clock alarm, never a million
 * Node timers. Timers due in the same millisecond fire in the order they were set.
 *
 * A slot is an array of entries, filled in order; cancelling a timer empties its place. So
 * setting, cancelling and firing a timer each write one array element, and firing a
 * slot reads its entries without chasing pointers from one to the next. A slot that
 * empties passes its array on to the next slot to fill, so the arrays hold about as many
 * places as there are pending timers, however the timers bunch.
 *
 * A new timer is staged, not placed: the scheduler's run that set it ends with
 * `placeStaged`, which reads the clock once for every timer set in the run (a clock read
 * costs about as much as the rest of a periodic tick). A timer therefore counts from the
 * end of that run: never early, at most a slice late, and exact on a `VirtualClock`.
 *
 * While timers fall due at `BUSY_PER_MS` or more per ms, each may go off late by a
 * sixteenth of its delay, at most the clock's `timerSlackMs`, so that one wake-up of the
 * event loop fires several ms of timers (a wake-up costs as much as dozens of timer
 * ticks): the alarm goes off when the first timer reaches that limit, and fires every
 * timer due by then. A 1 s periodic tick may wait the whole slack; a 20 ms receive
 * timeout at most 1 ms. A timer is never early.
 */
export class TimerService {
  /** Each slot's entries in the order set; `null` where one was cancelled or fired. */
  private readonly slots: (TimerEntry | null)[][] = new Array(WHEEL_SIZE + 1).fill(NO_ENTRIES);
  /** Arrays of emptied slots, all `null`, for the next slots to fill. */
  private readonly spare: (TimerEntry | null)[][] = [];
  /** How many places of each slot's array are in use (pending or emptied). */
  private readonly filled = new Int32Array(WHEEL_SIZE + 1);
  /** Pending timers in each slot. */
  private readonly live = new Int32Array(WHEEL_SIZE + 1);
  /** The least ms any timer in each slot may go off late (see the class doc). */
  private readonly tolerance: Float64Array;
  /** The first place of the overdue slot not yet fired. */
  private overdueHead = 0;
  /** The next slot (ms) to process; every earlier one has fired. */
  private cursor: number;
  /** The ms the last alarm fired up to. */
  private lastEnd: number;
  private inWheel = 0;
  private overdue = 0;
  /**
   * Set from an alarm until every timer due by `alarmEnd` has fired (see `fireDue`):
   * timers set meanwhile for the ms being fired are overdue, and no alarm is armed.
   */
  private draining = false;
  /** The ms the running alarm fires up to. */
  private alarmEnd = 0;
  /** Where the slot at `cursor` stopped firing, when a chunk ended inside it. */
  private slotPos = 0;
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
  private staged: (TimerEntry | null)[] = [];
  /** Each staged timer's delay, at its index in `staged`. */
  private stagedDelays = new Float64Array(STAGED_KEPT);
  private stagedCount = 0;
  private stagedLive = 0;
  /** Timers the running alarm has fired so far. */
  private firedThisAlarm = 0;
  /** Set when the last alarm fired many timers: timers may go off late (see the class doc). */
  private busy = false;
  private readonly slack: number;
  /** What `warm` read, kept so that the compiler cannot drop the reads. */
  warmth = 0;
  /**
   * Entries fired by the last chunk and kept on their owners' lists for reuse (see
   * `fire`); the next chunk frees those not reused meanwhile.
   */
  private kept: (TimerEntry | null)[] = [];
  private keptCount = 0;

  constructor(
    private readonly clock: Clock,
    private readonly waker: TimerWaker,
    private readonly deliver: (entry: TimerEntry, owner: OwnedTimers | null) => void,
  ) {
    this.slots[OVERDUE] = [];
    this.cursor = Math.floor(clock.now());
    this.lastEnd = this.cursor;
    this.slack = clock.timerSlackMs ?? 0;
    this.tolerance = new Float64Array(WHEEL_SIZE + 1).fill(this.slack);
  }

  /** True when timers wait for `placeStaged`. */
  get hasStaged(): boolean {
    return this.stagedLive > 0;
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
    // A process that sets a timer while handling the tick of its last one (a periodic
    // tick re-armed from its handler) takes that timer's entry again, still on its list.
    const head = owner === null ? null : owner.timersHead;
    const reuse = head !== null && head.state === FREE && !this.closed;
    const entry = reuse ? head : this.allocate();
    const ref = new TimerRef(entry, entry.generation);
    if (this.closed) return ref;
    // A reused entry most often holds the same message already (the same tick): a store
    // into an old object costs a write barrier (a load of its page header and of the
    // value's), a compare does not. An owned timer's `dest` is its owner's PID, implied.
    if (owner === null) entry.dest = dest;
    else if (entry.dest !== undefined) entry.dest = undefined;
    if (entry.message !== message) entry.message = message;
    if (entry.callback !== callback) entry.callback = callback;
    entry.weak = weak;
    this.pending++;
    if (!weak) this.hold();
    if (reuse) owner!.timerCount++;
    else if (owner !== null) this.own(entry, owner);
    this.stage(entry, delay);
    return ref;
  }

  /** Places every staged timer: each is due its delay after `now`. */
  placeStaged(now: number): void {
    const staged = this.staged;
    const delays = this.stagedDelays;
    const count = this.stagedCount;
    this.stagedCount = this.stagedLive = 0;
    for (let i = 0; i < count; i++) {
      const entry = staged[i]!;
      if (entry === null) continue;
      staged[i] = null;
      this.place(entry, delays[i]!, now);
    }
    // A burst (100k timers armed in one run) leaves no arrays of that size behind.
    if (count > STAGED_KEPT) {
      this.staged = [];
      this.stagedDelays = new Float64Array(STAGED_KEPT);
    }
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
    const state = entry.state;
    if (state === IN_WHEEL) this.unlinkSlot(entry);
    else if (state === IN_OVERFLOW) removeHeap(this.overflow, entry);
    else if (state === STAGED) this.unlinkStaged(entry);
    else return false;
    this.retire(entry);
    this.recycle(entry);
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
    if (entry.state === STAGED) return Math.ceil(this.stagedDelays[entry.index]!);
    return Math.max(0, entry.at - Math.ceil(this.clock.now()));
  }

  /** Cancels every timer owned by a process that exits, and frees a fired entry it kept. */
  cancelOwned(owner: OwnedTimers): void {
    for (let entry = owner.timersHead; entry !== null; entry = owner.timersHead) {
      if (!this.cancel(entry)) this.disown(entry);
    }
  }

  /** Drops every timer and the clock alarm; with `close`, accepts no timer after. */
  clear(close = false): void {
    if (close) this.closed = true;
    for (let slot = 0; slot <= OVERDUE; slot++) {
      const entries = this.slots[slot]!;
      for (let i = 0; i < this.filled[slot]!; i++) {
        const entry = entries[i]!;
        entries[i] = null;
        if (entry !== null) this.retire(entry);
      }
      this.live[slot] = 0;
      this.empty(slot);
    }
    this.overdueHead = this.inWheel = this.overdue = 0;
    for (const entry of this.overflow.splice(0)) this.retire(entry);
    for (let i = 0; i < this.stagedCount; i++) {
      const entry = this.staged[i]!;
      this.staged[i] = null;
      if (entry !== null) this.retire(entry);
    }
    this.stagedCount = this.stagedLive = 0;
    this.pending = 0;
    this.dropKept();
    if (close) this.holds = 0;
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.draining = false;
    this.slotPos = 0;
    this.clock.clearAlarm();
  }

  private readonly onAlarm = (): void => {
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.waker.beginSlice();
    this.firedThisAlarm = 0;
    this.alarmEnd = Math.floor(this.clock.now());
    this.draining = true;
    if (this.keptCount !== 0) this.dropKept();
    this.fireOverdue();
    this.fireMore();
  };

  /**
   * Fires the timers due by `alarmEnd`, in order, about `CHUNK` at a time: after each
   * chunk it goes on in a microtask queued behind the scheduler's run, so the processes
   * those timers woke run first, while what firing touched of them is still in the CPU's
   * cache (firing a thousand timers, then running a thousand processes, misses on each
   * twice).
   */
  private readonly fireDue = (): void => {
    if (!this.draining) return; // cleared meanwhile
    // The processes the last chunk woke have run by now (this runs behind them).
    if (this.keptCount !== 0) this.dropKept();
    this.fireMore();
  };

  /** Fires a chunk; queues `fireDue` behind the processes it woke, unless it was the last. */
  private fireMore(): void {
    try {
      if (!this.fireChunk()) void resolved.then(this.fireDue);
    } catch (error) {
      // Firing never throws; should it, the timers left keep their places and an alarm.
      this.draining = false;
      this.arm(this.cursor);
      throw error;
    }
  }

  /** Fires the next chunk of due timers; true once none is left. */
  private fireChunk(): boolean {
    const end = this.alarmEnd;
    let budget = CHUNK;
    while (this.cursor <= end) {
      if (this.inWheel === 0) {
        // Nothing in the wheel: jump to the first far timer, or past `end`, and look again
        // (a far timer moved in for a later ms must wait for it).
        const far = this.overflow[0];
        this.cursor = far === undefined || far.at > end ? end + 1 : Math.max(this.cursor, far.at);
        this.migrate();
        continue;
      }
      const slot = this.cursor & WHEEL_MASK;
      if (this.live[slot] !== 0) budget = this.fireSlot(slot, budget);
      if (budget <= 0) return false;
      this.cursor++;
      this.slotPos = 0;
      if (this.overdue !== 0) this.fireOverdue();
      this.migrate();
    }
    this.draining = false;
    this.afterAlarm(end);
    return true;
  }

  /** Marks the queue busy or not, and arms the next alarm. */
  private afterAlarm(end: number): void {
    this.busy = this.firedThisAlarm >= BUSY_PER_MS * Math.max(1, end - this.lastEnd);
    this.lastEnd = end;
    if (this.pending === 0) {
      this.clear();
      return;
    }
    // An alarm that went off early (a Node timer can, by up to a ms) has fired what was
    // due; the rest keep their own limits, all at or after the one it was set for.
    const next = this.nextAlarm();
    if (next !== undefined) this.arm(next);
  }

  /**
   * Fires a slot's timers in order, from `slotPos`, at most `budget` places of them;
   * returns the budget left, or 0 when it stopped inside the slot. Timers set meanwhile
   * for the same ms wait as overdue.
   */
  private fireSlot(slot: number, budget: number): number {
    const entries = this.slots[slot]!;
    const count = this.filled[slot]!;
    const from = this.slotPos;
    const to = Math.min(count, from + budget);
    this.warm(entries, from, to);
    for (let i = from; i < to; i++) {
      const entry = entries[i]!;
      if (entry === null) continue;
      entries[i] = null;
      this.fire(entry);
    }
    this.slotPos = to;
    if (to < count) return 0;
    if (this.live[slot] === 0) this.empty(slot);
    return budget - (to - from);
  }

  /**
   * Fires the overdue timers there were when it started, in the order they were set.
   * Those set while it runs wait for the next round, so a callback that keeps setting
   * 0 ms timers cannot hold the event loop.
   */
  private fireOverdue(): void {
    const entries = this.slots[OVERDUE]!;
    const count = this.filled[OVERDUE]!;
    while (this.overdueHead < count) {
      const entry = entries[this.overdueHead]!;
      entries[this.overdueHead++] = null;
      if (entry !== null) this.fire(entry);
    }
    if (this.live[OVERDUE] === 0) this.filled[OVERDUE] = this.overdueHead = 0;
  }

  /**
   * Reads every timer of a slot and its owner before any of them fires. With 100k
   * periodic processes each is out of cache by its next tick; these reads do not depend
   * on one another, so the CPU overlaps their misses, and firing then finds the owners
   * in cache instead of missing on each in turn.
   *
   * One pass per level of pointers: the entries first, then their owners, then what the
   * owners point to (`OwnedTimers.warm` at each depth: a GenServer's loop, then its
   * module). In one pass each object's reads wait for the miss on the object before it,
   * so the CPU has only the few chains its reorder window holds in flight; a pass that
   * reads one level finds the level before it in cache and overlaps all its misses.
   * (Replays of 100k tickers sleeping between alarms: the warm-up roughly halves the CPU
   * per tick against none. A profile of the two-pass warm-up, owners with their loops and
   * modules in one pass, had most of its samples on the loops' and modules' misses.)
   */
  private warm(entries: (TimerEntry | null)[], from: number, to: number): void {
    let sum = 0;
    for (let i = from; i < to; i++) {
      const entry = entries[i];
      if (entry == null) continue;
      // The line with its owner, and the last field firing and re-arming it touch, which
      // may sit on another line.
      if (entry.owner !== null) sum++;
      if (entry.at !== 0) sum++;
    }
    for (let depth = 0; depth < WARM_DEPTH; depth++) {
      for (let i = from; i < to; i++) {
        const owner = entries[i]?.owner;
        if (owner != null) sum += owner.warm(depth);
      }
    }
    this.warmth = sum;
  }

  /**
   * Fires one timer. The entry of an owned timer stays on its owner's list, free, until
   * the next chunk: a process that sets its next timer while it handles this one (a
   * periodic tick) takes the same entry again (see `add`) instead of one from the pool,
   * so a tick touches no other entry and no pool, and unlinks and links nothing.
   */
  private fire(entry: TimerEntry): void {
    this.firedThisAlarm++;
    const owner = entry.owner;
    const slot = entry.slot;
    this.live[slot]!--;
    if (slot === OVERDUE) this.overdue--;
    else this.inWheel--;
    if (owner === null) {
      this.retire(entry);
      this.deliver(entry, owner);
      this.recycle(entry);
      return;
    }
    this.expire(entry);
    if (entry.callback === null && !owner.alive) entry.dest = owner.pid;
    if (this.keptCount === this.kept.length) this.kept.push(entry);
    else this.kept[this.keptCount] = entry;
    this.keptCount++;
    // It keeps its destination and message until reused or freed (see `dropKept`).
    this.deliver(entry, owner);
  }

  /** Frees the entries `fire` kept that were not reused (still free, still owned). */
  private dropKept(): void {
    const kept = this.kept;
    for (let i = 0; i < this.keptCount; i++) {
      const entry = kept[i]!;
      kept[i] = null;
      if (entry.state === FREE && entry.owner !== null) {
        this.disown(entry);
        this.recycle(entry);
      }
    }
    this.keptCount = 0;
  }

  /**
   * When the alarm should go off: when the first timer is due or, while the queue is busy,
   * when the first timer has waited all it may (see the class doc).
   */
  private nextAlarm(): number | undefined {
    if (this.overdue > 0) {
      const entries = this.slots[OVERDUE]!;
      for (let i = this.overdueHead; ; i++) if (entries[i] != null) return entries[i]!.at;
    }
    if (this.inWheel > 0) {
      let alarm = Number.POSITIVE_INFINITY;
      // Every slot holds timers due in its ms, so none after `alarm` can lower it.
      for (let ms = this.cursor; ms < alarm; ms++) {
        const slot = ms & WHEEL_MASK;
        if (this.live[slot] !== 0)
          alarm = Math.min(alarm, this.busy ? ms + this.tolerance[slot]! : ms);
      }
      return alarm;
    }
    const far = this.overflow[0];
    return far === undefined ? undefined : this.busy ? far.at + this.slack : far.at;
  }

  /** Moves far timers that now fall within the wheel's span into it. */
  private migrate(): void {
    const overflow = this.overflow;
    while (overflow.length > 0 && overflow[0]!.at - this.cursor < WHEEL_SIZE) {
      const entry = overflow[0]!;
      removeHeap(overflow, entry);
      this.toSlot(entry, entry.at & WHEEL_MASK, this.slack);
    }
  }

  private stage(entry: TimerEntry, delay: number): void {
    const index = this.stagedCount++;
    if (index === this.stagedDelays.length) this.growStaged();
    entry.state = STAGED;
    entry.index = index;
    this.staged[index] = entry;
    this.stagedDelays[index] = delay;
    if (this.stagedLive++ === 0) this.waker.wake();
  }

  private growStaged(): void {
    const delays = new Float64Array(this.stagedDelays.length * 2);
    delays.set(this.stagedDelays);
    this.stagedDelays = delays;
  }

  private unlinkStaged(entry: TimerEntry): void {
    this.staged[entry.index] = null;
    if (--this.stagedLive === 0) this.stagedCount = 0;
  }

  /** Puts a staged timer in the wheel or the far-timer heap, due `delay` ms after `now`. */
  private place(entry: TimerEntry, delay: number, now: number): void {
    if (this.inWheel === 0 && this.overdue === 0 && this.overflow.length === 0) {
      this.cursor = Math.max(this.cursor, Math.floor(now));
    }
    const at = Math.ceil(now + delay);
    entry.at = at;
    let tolerance = 0;
    if (at < (this.draining ? this.cursor + 1 : this.cursor)) {
      this.toSlot(entry, OVERDUE, 0);
    } else if (at - this.cursor < WHEEL_SIZE) {
      tolerance = Math.min(this.slack, Math.floor(delay / (1 << TOLERANCE_SHIFT)));
      this.toSlot(entry, at & WHEEL_MASK, tolerance);
    } else {
      tolerance = this.slack;
      this.toOverflow(entry);
    }
    const latest = this.busy ? at + tolerance : at;
    if (!this.draining && latest < this.alarmAt) this.arm(latest);
  }

  private toSlot(entry: TimerEntry, slot: number, tolerance: number): void {
    if (tolerance < this.tolerance[slot]!) this.tolerance[slot] = tolerance;
    let entries = this.slots[slot]!;
    if (entries === NO_ENTRIES) entries = this.slots[slot] = this.spare.pop() ?? [];
    const index = this.filled[slot]!;
    entries[index] = entry;
    this.filled[slot] = index + 1;
    this.live[slot]!++;
    entry.state = IN_WHEEL;
    entry.slot = slot;
    entry.index = index;
    if (slot === OVERDUE) this.overdue++;
    else this.inWheel++;
  }

  /** Forgets the places and the tolerance of a slot whose timers are all gone. */
  private empty(slot: number): void {
    this.filled[slot] = 0;
    this.tolerance[slot] = this.slack;
    const entries = this.slots[slot]!;
    if (slot === OVERDUE || entries === NO_ENTRIES) return;
    this.slots[slot] = NO_ENTRIES;
    if (this.spare.length < SPARE_LIMIT) this.spare.push(entries);
  }

  private toOverflow(entry: TimerEntry): void {
    entry.state = IN_OVERFLOW;
    entry.seq = this.seq++;
    pushHeap(this.overflow, entry);
  }

  private unlinkSlot(entry: TimerEntry): void {
    const slot = entry.slot;
    this.slots[slot]![entry.index] = null;
    if (--this.live[slot]! === 0 && slot !== OVERDUE) this.empty(slot);
    if (slot === OVERDUE) this.overdue--;
    else this.inWheel--;
  }

  /** The timer is no longer pending: its refs go stale and its owner forgets it. */
  private retire(entry: TimerEntry): void {
    this.expire(entry);
    this.disown(entry);
  }

  /**
   * The timer is no longer pending: its refs go stale, and its owner no longer counts it
   * (but keeps it on its list until `disown`).
   */
  private expire(entry: TimerEntry): void {
    entry.state = FREE;
    entry.generation++;
    this.pending--;
    if (!entry.weak) this.release();
    if (entry.owner !== null) entry.owner.timerCount--;
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
  }

  private allocate(): TimerEntry {
    const entry = this.free;
    if (entry === null) return new TimerEntry();
    this.free = entry.nextFree;
    entry.nextFree = null;
    this.freeCount--;
    return entry;
  }

  private recycle(entry: TimerEntry): void {
    entry.dest = entry.message = undefined;
    entry.callback = null;
    if (this.freeCount >= POOL_LIMIT) return;
    entry.nextFree = this.free;
    this.free = entry;
    this.freeCount++;
  }

  /**
   * Sets the clock's alarm for `at`, or sooner: never more than `MAX_TIMER_MS` ahead of
   * the wheel's position (at most 1 ms past the clock's time), so that no clock is asked
   * to wait longer than a Node timer can; that alarm finds nothing due and arms again.
   */
  private arm(at: number): void {
    this.alarmAt = Math.min(at, this.cursor - 1 + MAX_TIMER_MS);
    this.clock.setAlarm(this.alarmAt, this.onAlarm);
  }
}
