import { InvalidArgumentError } from './errors.js';
import { assertOptionalNumber, assertOptions } from './internal/options.js';
import { copyRing, RING_MAX, Spill } from './message-queue.js';
import { type MessageTag, tagId, tagOf, wrap } from './message-tag.js';

const INITIAL_SIZE = 8;

/**
 * What a bounded mailbox does with a message that arrives when it is full:
 * - `'drop-newest'`: the arriving message is dropped;
 * - `'drop-oldest'`: the oldest queued message is dropped to make room;
 * - `'reject'`: the send throws `MailboxFullError`, so the sender knows and can back off.
 * Every drop is counted and emitted as a `mailboxOverflow` event.
 */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

/**
 * Mailbox settings for `spawn`. Unbounded FIFO unless `capacity` is given. An unknown
 * key, or a value of the wrong type (a capacity of `1.5` or `'3'`), throws
 * `InvalidArgumentError`.
 */
export interface MailboxOptions {
  /** Maximum queued messages: an integer >= 1, or Infinity. @default Infinity */
  capacity?: number;
  /** What happens when full. @default 'drop-newest' */
  overflow?: OverflowPolicy;
}

const MAILBOX_KEYS = ['capacity', 'overflow'];

function assertMailboxOptions(options: MailboxOptions): void {
  assertOptions(options, 'mailbox', 'a mailbox', MAILBOX_KEYS);
  assertOptionalNumber(options.capacity, 'mailbox.capacity', {
    min: 1,
    integer: true,
    infinite: true,
  });
  const overflow = options.overflow;
  if (overflow !== undefined && !['drop-newest', 'drop-oldest', 'reject'].includes(overflow)) {
    throw new InvalidArgumentError(
      'mailbox.overflow',
      "'drop-newest', 'drop-oldest' or 'reject'",
      overflow,
    );
  }
}

/** @internal What `Mailbox.push` did with a message. */
export const PushResult = {
  Queued: 0,
  /** Queued, after dropping the oldest message (see `Mailbox.takeEvicted`). */
  QueuedDroppedOldest: 1,
  Dropped: 2,
  Rejected: 3,
} as const;
/** @internal */
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

/** How a bounded mailbox is bounded, and what it dropped. */
class Bounds {
  dropped = 0;
  /** The message evicted by the last `QueuedDroppedOldest` push (wrapped, if it was tagged). */
  evicted: unknown = undefined;
  /** Where in the queue that message was (see `Process.onEvicted`). */
  evictedAt = 0;
  /**
   * The queued messages that were pushed with `force` (the runtime's signals, a
   * GenServer's system requests): they sit beside the capacity, so they neither take a
   * user message's place nor are evicted for one. Null while there are none.
   */
  forced: Set<unknown> | null = null;

  constructor(
    readonly capacity: number,
    readonly overflow: OverflowPolicy,
  ) {}

  /** Queued messages that count against the capacity: all but the forced ones. */
  counted(length: number): number {
    return this.forced === null ? length : length - this.forced.size;
  }

  /** `message` left the queue: if it was forced, it no longer sits beside the capacity. */
  left(message: unknown): void {
    const forced = this.forced;
    if (forced?.delete(message) && forced.size === 0) this.forced = null;
  }
}

/**
 * What a mailbox needs beyond a plain ring, allocated only when it needs it: the tags of
 * queued tagged messages (one byte per ring slot), the chunks of a flood that outgrew the
 * ring, a bounded mailbox's bounds. While a mailbox has none of these (`extra` is null,
 * the common case) a push is a store into the ring and a shift a load, with no other check.
 */
class Extra {
  /** Tags, slot for slot beside the ring; null while no queued message in the ring has one. */
  tags: Uint8Array | null = null;
  /** Messages queued behind a full ring of `RING_MAX` slots; null when none are. */
  spill: Spill | null = null;

  constructor(readonly bounds: Bounds | null) {}

  /** True when the mailbox needs none of this any more (see `Mailbox.unextra`). */
  get empty(): boolean {
    return this.tags === null && this.spill === null && this.bounds === null;
  }
}

/**
 * @internal A process's mailbox: FIFO, with removal from the middle for selective
 * receive. A lone message waits in a field, and the ring is allocated when a second
 * waits beside it, so idle and one-at-a-time processes (timer ticks, calls) touch only
 * this object. `Process` extends it, so that a delivery touches one object, not two: with
 * 100k processes ticking, cache misses are most of a tick's cost.
 *
 * One object holds the ring, so that the common mailbox (unbounded, its messages
 * untagged) pushes and shifts with one check of `extra` and a store or a load: a
 * producer → consumer flood spent most of its per-message gap to plain Node in a second
 * queue object and the checks for bounds, tags and spill chunks. Everything else (tags,
 * chunks, bounds) lives in `Extra` and goes through the general path.
 */
export class Mailbox {
  // Fields a delivery touches come first (see `Process`).
  length = 0;
  /** The tag of the message the last `shift` returned; undefined for a plain message. */
  shiftedTag: MessageTag | undefined = undefined;
  /**
   * The messages from `head` on, once two waited at once (null until then, and the lone
   * message is in `single`): all `length` of them, less those in `extra.spill`.
   */
  private ring: unknown[] | null = null;
  private head = 0;
  /** Null for an unbounded mailbox without tagged or spilled messages: the fast path. */
  private extra: Extra | null;
  /** The message, when it is the only one and the ring is not allocated yet. */
  private single: unknown = undefined;
  private singleTag: MessageTag | undefined = undefined;

  constructor(options?: MailboxOptions) {
    if (options === undefined) {
      this.extra = null;
      return;
    }
    assertMailboxOptions(options);
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    const overflow = options.overflow ?? 'drop-newest';
    this.extra =
      capacity === Number.POSITIVE_INFINITY ? null : new Extra(new Bounds(capacity, overflow));
  }

  /** Maximum queued messages. */
  get capacity(): number {
    return this.extra?.bounds?.capacity ?? Number.POSITIVE_INFINITY;
  }

  /** What happens to a message that arrives when the mailbox is full. */
  get overflow(): OverflowPolicy {
    return this.extra?.bounds?.overflow ?? 'drop-newest';
  }

  /** Messages a bounded mailbox dropped or rejected. */
  get dropped(): number {
    return this.extra?.bounds?.dropped ?? 0;
  }

  /** Where in the queue the message the last `QueuedDroppedOldest` push evicted was. */
  get evictedAt(): number {
    return this.extra?.bounds?.evictedAt ?? 0;
  }

  /** Returns, and forgets, the message the last `QueuedDroppedOldest` push evicted. */
  takeEvicted(): unknown {
    const bounds = this.extra!.bounds!;
    const evicted = bounds.evicted;
    bounds.evicted = undefined;
    return evicted;
  }

  /**
   * Queues `message`, with its `tag` if any. `force` (for the runtime's own signals and
   * a GenServer's system requests) queues it whatever the capacity, beside it: a forced
   * message neither counts against the capacity nor is evicted by `'drop-oldest'`.
   */
  push(message: unknown, force = false, tag?: MessageTag): PushResult {
    if (tag === undefined && this.tryPush(message)) return PushResult.Queued;
    return this.pushSlow(message, force, tag);
  }

  /**
   * Queues an untagged `message` if this is a plain mailbox (unbounded, nothing tagged or
   * spilled) with room in its ring or single slot, the common case: a store and no other
   * check. Returns false, having done nothing, when `push` must take it.
   */
  tryPush(message: unknown): boolean {
    if (this.extra !== null) return false;
    const ring = this.ring;
    const length = this.length;
    if (ring === null) {
      if (length !== 0) return false;
      this.single = message;
      this.singleTag = undefined;
    } else {
      if (length === ring.length) return false;
      ring[(this.head + length) & (ring.length - 1)] = message;
    }
    this.length = length + 1;
    return true;
  }

  /** Removes and returns the oldest message as it was pushed; its tag is in `shiftedTag`. */
  shift(): unknown {
    if (this.extra !== null) return this.shiftSlow(this.extra);
    const ring = this.ring;
    this.length--;
    // Tags are stored only when one is there: a field of an old object costs each store
    // of a value that may be an object a write barrier (loads of page headers, which all
    // share one cache set), and most messages have no tag.
    if (ring === null) {
      const message = this.single;
      const tag = this.singleTag;
      if (tag !== undefined) {
        this.shiftedTag = tag;
        this.singleTag = undefined;
      } else if (this.shiftedTag !== undefined) {
        this.shiftedTag = undefined;
      }
      this.single = undefined;
      return message;
    }
    const head = this.head;
    const message = ring[head];
    ring[head] = undefined;
    this.head = (head + 1) & (ring.length - 1);
    if (this.shiftedTag !== undefined) this.shiftedTag = undefined;
    return message;
  }

  /** The message at `index`, wrapped in its tag if it has one. */
  at(index: number): unknown {
    const ring = this.ring;
    if (ring === null) return wrap(this.single, this.singleTag);
    const extra = this.extra;
    if (extra === null) return ring[(this.head + index) & (ring.length - 1)];
    if (extra.spill !== null && index >= this.length - extra.spill.count) this.flatten(extra);
    const slot = (this.head + index) & (this.ring!.length - 1);
    const tags = extra.tags;
    return wrap(this.ring![slot], tags === null ? undefined : tagOf(tags[slot]!));
  }

  /** Index of the first message from `start` on that `match` accepts, or -1. */
  findIndex(match: (message: unknown) => boolean, start: number): number {
    for (let i = start; i < this.length; i++) {
      if (match(this.at(i))) return i;
    }
    return -1;
  }

  /** Removes and returns the message at `index` (wrapped in its tag), keeping the others in order. */
  removeAt(index: number): unknown {
    if (this.ring === null || index === 0) return wrap(this.shift(), this.shiftedTag);
    const message = this.at(index);
    const ring = this.ring;
    const extra = this.extra;
    const tags = extra === null ? null : extra.tags;
    const mask = ring.length - 1;
    const inRing = this.length - (extra?.spill?.count ?? 0);
    for (let i = index; i < inRing - 1; i++) {
      const to = (this.head + i) & mask;
      const from = (this.head + i + 1) & mask;
      ring[to] = ring[from];
      if (tags !== null) tags[to] = tags[from]!;
    }
    const last = (this.head + inRing - 1) & mask;
    ring[last] = undefined;
    if (tags !== null) tags[last] = 0;
    this.length--;
    // A forced message has no tag, so it comes back as it was pushed.
    extra?.bounds?.left(message);
    return message;
  }

  /** Removes every message `match` accepts (used by `demonitor` with `flush`). */
  removeAll(match: (message: unknown) => boolean): number {
    let removed = 0;
    for (let i = this.findIndex(match, 0); i !== -1; i = this.findIndex(match, i)) {
      this.removeAt(i);
      removed++;
    }
    return removed;
  }

  /** Empties the mailbox, returning what it held (oldest first, tagged ones wrapped). */
  drain(): unknown[] {
    const messages: unknown[] = [];
    while (this.length > 0) messages.push(this.removeAt(0));
    this.reset();
    return messages;
  }

  /**
   * Empties the mailbox at once and returns how many messages it held: nothing is
   * copied or visited, however long the queue (the garbage collector frees it later).
   */
  discard(): number {
    const count = this.length;
    this.length = 0;
    this.single = undefined;
    this.singleTag = undefined;
    this.reset();
    const bounds = this.extra?.bounds;
    if (bounds !== undefined && bounds !== null) bounds.forced = null;
    return count;
  }

  /** The general push: a bounded mailbox, a tagged message, a full or unallocated ring. */
  private pushSlow(message: unknown, force: boolean, tag: MessageTag | undefined): PushResult {
    let result: PushResult = PushResult.Queued;
    const bounds = this.extra?.bounds;
    if (bounds !== undefined && bounds !== null) {
      if (force) {
        (bounds.forced ??= new Set()).add(message);
      } else if (bounds.counted(this.length) >= bounds.capacity) {
        bounds.dropped++;
        if (bounds.overflow === 'drop-newest') return PushResult.Dropped;
        if (bounds.overflow === 'reject') return PushResult.Rejected;
        const oldest = this.oldestCounted(bounds);
        bounds.evictedAt = oldest;
        bounds.evicted = this.removeAt(oldest);
        result = PushResult.QueuedDroppedOldest;
      }
    }
    if (this.ring === null) {
      if (this.length === 0) {
        this.single = message;
        this.singleTag = tag;
        this.length = 1;
        return result;
      }
      this.unsingle();
    }
    this.enqueue(this.ring!, message, tag);
    return result;
  }

  /** Queues `message` at the back of the ring (grown if it can be) or of the spill. */
  private enqueue(ring: unknown[], message: unknown, tag: MessageTag | undefined): void {
    const extra = this.extra;
    const spill = extra === null ? null : extra.spill;
    if (spill !== null) {
      spill.push(message, tag, this.length++);
      return;
    }
    let into = ring;
    if (this.length === ring.length) {
      if (ring.length >= RING_MAX) {
        this.extraOf().spill = new Spill();
        this.enqueue(ring, message, tag);
        return;
      }
      into = this.grow(ring);
    }
    const slot = (this.head + this.length) & (into.length - 1);
    into[slot] = message;
    if (tag !== undefined) this.tagsOf(into.length)[slot] = tagId(tag);
    this.length++;
  }

  /** The general shift: tags, spilled chunks or bounds. */
  private shiftSlow(extra: Extra): unknown {
    const ring = this.ring;
    let message: unknown;
    this.length--;
    if (ring === null) {
      message = this.single;
      this.shiftedTag = this.singleTag;
      this.single = undefined;
      this.singleTag = undefined;
    } else {
      const head = this.head;
      message = ring[head];
      ring[head] = undefined;
      const tags = extra.tags;
      if (tags === null) {
        this.shiftedTag = undefined;
      } else {
        this.shiftedTag = tagOf(tags[head]!);
        tags[head] = 0;
      }
      this.head = (head + 1) & (ring.length - 1);
      const spill = extra.spill;
      if (spill !== null && this.length === spill.count) this.refill(extra, spill, ring);
    }
    extra.bounds?.left(message);
    return message;
  }

  /** The ring ran dry: the oldest chunk, its messages in slots 0…count-1, becomes the ring. */
  private refill(extra: Extra, spill: Spill, emptied: unknown[]): void {
    const chunk = spill.take(emptied);
    this.ring = chunk.items;
    extra.tags = chunk.tags;
    this.head = 0;
    if (spill.count === 0) {
      extra.spill = null;
      this.unextra(extra);
    }
  }

  /** Moves every spilled message into one ring, so selective receive can index the whole queue. */
  private flatten(extra: Extra): void {
    const spill = extra.spill!;
    const ring = this.ring!;
    const inRing = this.length - spill.count;
    let size = ring.length;
    while (size < this.length) size *= 2;
    const items = copyRing(ring, this.head, inRing, new Array(size));
    const tags = new Uint8Array(size);
    if (extra.tags !== null) copyRing(extra.tags, this.head, inRing, tags);
    spill.moveInto(items, tags, inRing);
    this.ring = items;
    extra.tags = tags;
    extra.spill = null;
    this.head = 0;
  }

  /** Doubles the ring (and its tags), the messages moved to its start; returns it. */
  private grow(ring: unknown[]): unknown[] {
    const bigger = copyRing(ring, this.head, this.length, new Array(ring.length * 2));
    const tags = this.extra?.tags;
    if (tags !== undefined && tags !== null) {
      this.extra!.tags = copyRing(tags, this.head, this.length, new Uint8Array(tags.length * 2));
    }
    this.head = 0;
    this.ring = bigger;
    return bigger;
  }

  /** Moves the single message into a new ring, where a second one is about to join it. */
  private unsingle(): void {
    const ring: unknown[] = new Array(INITIAL_SIZE);
    ring[0] = this.single;
    if (this.singleTag !== undefined) this.tagsOf(INITIAL_SIZE)[0] = tagId(this.singleTag);
    this.single = undefined;
    this.singleTag = undefined;
    this.ring = ring;
    this.head = 0;
  }

  /** The ring's tags, allocated (`size` slots, as the ring) on the first tagged message. */
  private tagsOf(size: number): Uint8Array {
    const extra = this.extraOf();
    return (extra.tags ??= new Uint8Array(size));
  }

  private extraOf(): Extra {
    return (this.extra ??= new Extra(null));
  }

  /** Back on the fast path once nothing but a plain ring is left. */
  private unextra(extra: Extra): void {
    if (extra.empty) this.extra = null;
  }

  /** Forgets the ring, its tags and spilled chunks (the mailbox is empty). */
  private reset(): void {
    this.ring = null;
    this.head = 0;
    const extra = this.extra;
    if (extra === null) return;
    extra.tags = null;
    extra.spill = null;
    this.unextra(extra);
  }

  /** Index of the oldest message that counts against the capacity (not a forced one). */
  private oldestCounted(bounds: Bounds): number {
    const forced = bounds.forced;
    if (forced === null) return 0;
    return this.findIndex((message) => !forced.has(message), 0);
  }
}
