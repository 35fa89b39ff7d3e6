import { InvalidArgumentError } from './errors.js';

/**
 * What a bounded mailbox does with a message that arrives when it is full:
 * - `'drop-newest'`: the arriving message is dropped;
 * - `'drop-oldest'`: the oldest queued message is dropped to make room;
 * - `'reject'`: the send throws `MailboxFullError`, so the sender knows and can back off.
 * Every drop is counted and emitted as a `mailboxOverflow` event.
 */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

/** Mailbox settings for `spawn`. Unbounded FIFO unless `capacity` is given. */
export interface MailboxOptions {
  /** Maximum queued messages. @default Infinity */
  capacity?: number;
  /** What happens when full. @default 'drop-newest' */
  overflow?: OverflowPolicy;
}

/** @internal What `Mailbox.push` did with a message. */
export const PushResult = {
  Queued: 0,
  /** Queued, after dropping the oldest message (see `Mailbox.evicted`). */
  QueuedDroppedOldest: 1,
  Dropped: 2,
  Rejected: 3,
} as const;
/** @internal */
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

const INITIAL_SIZE = 8;

/**
 * A tag carried beside a message (see `Runtime.sendTagged`): the class that
 * wraps the message for a receiver that does not read tags. A GenServer's casts travel
 * as the bare request tagged `CastEnvelope`, so a flood of casts allocates nothing.
 */
export type MessageTag = new (message: unknown) => unknown;

/** @internal `message` as a reader that does not read tags sees it. */
export function wrap(message: unknown, tag: MessageTag | undefined): unknown {
  return tag === undefined ? message : new tag(message);
}

// Queued tags are stored as one byte each (an index into `tagClasses`), in typed arrays
// the garbage collector never scans: a flood of casts costs a ninth more memory, not double.
const tagIds = new Map<MessageTag, number>();
const tagClasses: (MessageTag | undefined)[] = [undefined];

function idOf(tag: MessageTag): number {
  let id = tagIds.get(tag);
  if (id === undefined) {
    if (tagClasses.length === 256) throw new RangeError('More than 255 message tags.');
    id = tagClasses.push(tag) - 1;
    tagIds.set(tag, id);
  }
  return id;
}

/** A full-size run of messages queued behind a full ring, oldest chunk first. */
class Chunk {
  tags: Uint8Array | null = null;
  count = 0;
  next: Chunk | null = null;

  constructor(readonly items: unknown[]) {}
}

/** The ring's largest size; beyond it, messages queue in chunks. */
const RING_MAX = 1024;
/**
 * The largest chunk: 256 KB of slots, past V8's large-object threshold, so the chunks of
 * a long flood are never copied by the young-generation collector.
 */
const CHUNK_MAX = 32_768;

/** A chunk about as big as the queue already is: small for a burst, large for a flood. */
function chunkSize(queued: number): number {
  let size = RING_MAX;
  while (size < queued && size < CHUNK_MAX) size *= 2;
  return size;
}

/**
 * @internal A FIFO ring buffer with removal from the middle for selective receive.
 * A lone message waits in a field; the ring is allocated for a second, so idle and
 * one-at-a-time processes (timer ticks, calls) cost little and touch less memory. The
 * ring doubles up to `RING_MAX` slots; a flood beyond that queues in chunks behind it
 * (growing with the queue, up to `CHUNK_MAX`), and when the ring runs dry the oldest
 * chunk becomes the ring. Nothing is copied to grow past `RING_MAX`: doubling a ring to
 * millions of slots touched several times the memory the messages need, and fresh
 * memory is costly (on this kind of machine a page fault per 4 KB dominated floods).
 */
export class Mailbox {
  private buffer: unknown[] | null = null;
  /** Tags, slot for slot beside `buffer`; allocated on the first tagged message. */
  private tags: Uint8Array | null = null;
  private head = 0;
  /** Messages in the ring; the rest (`length - inRing`) are in the chunks. */
  private inRing = 0;
  private spillHead: Chunk | null = null;
  private spillTail: Chunk | null = null;
  /** An emptied ring kept for the next chunk. */
  private spare: unknown[] | null = null;
  /** The message, when it is the only one: most mailboxes hold one at a time. */
  private single: unknown = undefined;
  private singleTag: MessageTag | undefined = undefined;
  length = 0;
  dropped = 0;
  readonly capacity: number;
  readonly overflow: OverflowPolicy;

  constructor(options?: MailboxOptions) {
    this.capacity = options?.capacity ?? Number.POSITIVE_INFINITY;
    this.overflow = options?.overflow ?? 'drop-newest';
    if (!(this.capacity >= 1)) {
      throw new InvalidArgumentError('mailbox.capacity', 'a number >= 1', options?.capacity);
    }
    if (!['drop-newest', 'drop-oldest', 'reject'].includes(this.overflow)) {
      throw new InvalidArgumentError(
        'mailbox.overflow',
        "'drop-newest', 'drop-oldest' or 'reject'",
        this.overflow,
      );
    }
  }

  /** The message evicted by the last `QueuedDroppedOldest` push (wrapped, if it was tagged). */
  evicted: unknown;
  /** The tag of the message the last `shift` returned; undefined for a plain message. */
  shiftedTag: MessageTag | undefined = undefined;

  /**
   * Queues `message`, with its `tag` if any; `force` skips the capacity check (for the
   * runtime's own signals).
   */
  push(message: unknown, force = false, tag?: MessageTag): PushResult {
    let result: PushResult = PushResult.Queued;
    if (this.length >= this.capacity && !force) {
      this.dropped++;
      if (this.overflow === 'drop-newest') return PushResult.Dropped;
      if (this.overflow === 'reject') return PushResult.Rejected;
      this.evicted = this.removeAt(0);
      result = PushResult.QueuedDroppedOldest;
    }
    if (++this.length === 1) {
      // One message at a time (a timer tick, a call) never touches the ring.
      this.single = message;
      this.singleTag = tag;
      return result;
    }
    if (this.length === 2 && this.inRing === 0) this.unsingle();
    this.pushRing(message, tag);
    return result;
  }

  private pushRing(message: unknown, tag: MessageTag | undefined): void {
    let buffer = this.buffer;
    if (buffer === null) {
      buffer = this.buffer = new Array(INITIAL_SIZE);
    } else if (this.inRing === buffer.length || this.spillTail !== null) {
      if (buffer.length >= RING_MAX || this.spillTail !== null) {
        this.spill(message, tag);
        return;
      }
      buffer = this.grow(buffer);
    }
    const slot = (this.head + this.inRing) & (buffer.length - 1);
    buffer[slot] = message;
    if (tag !== undefined) (this.tags ??= new Uint8Array(buffer.length))[slot] = idOf(tag);
    this.inRing++;
  }

  /** Moves the single message into the ring, where a second one is about to join it. */
  private unsingle(): void {
    const message = this.single;
    const tag = this.singleTag;
    this.single = undefined;
    this.singleTag = undefined;
    this.pushRing(message, tag);
  }

  /** Removes and returns the oldest message as it was pushed; its tag is in `shiftedTag`. */
  shift(): unknown {
    if (this.length === 1 && this.inRing === 0) {
      const message = this.single;
      this.shiftedTag = this.singleTag;
      this.single = undefined;
      this.singleTag = undefined;
      this.length = 0;
      return message;
    }
    const buffer = this.buffer!;
    const head = this.head;
    const message = buffer[head];
    buffer[head] = undefined;
    const tags = this.tags;
    if (tags === null) {
      this.shiftedTag = undefined;
    } else {
      this.shiftedTag = tagClasses[tags[head]!];
      tags[head] = 0;
    }
    this.head = (head + 1) & (buffer.length - 1);
    this.length--;
    if (--this.inRing === 0 && this.spillHead !== null) this.refill();
    return message;
  }

  /** The message at `index`, wrapped in its tag if it has one. */
  at(index: number): unknown {
    if (index >= this.inRing) {
      if (this.length === 1) this.unsingle();
      else this.flatten();
    }
    const buffer = this.buffer!;
    const slot = (this.head + index) & (buffer.length - 1);
    return wrap(buffer[slot], this.tags === null ? undefined : tagClasses[this.tags[slot]!]);
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
    const message = this.at(index);
    if (index === 0) {
      this.shift();
      return message;
    }
    const buffer = this.buffer!;
    const tags = this.tags;
    const mask = buffer.length - 1;
    for (let i = index; i < this.inRing - 1; i++) {
      const to = (this.head + i) & mask;
      const from = (this.head + i + 1) & mask;
      buffer[to] = buffer[from];
      if (tags !== null) tags[to] = tags[from]!;
    }
    const last = (this.head + this.inRing - 1) & mask;
    buffer[last] = undefined;
    if (tags !== null) tags[last] = 0;
    this.inRing--;
    this.length--;
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
    this.buffer = this.spare = null;
    this.tags = null;
    this.head = 0;
    return messages;
  }

  private grow(buffer: unknown[]): unknown[] {
    const { head, inRing, tags } = this;
    const bigger = copyRing(buffer, head, inRing, new Array(buffer.length * 2));
    if (tags !== null) this.tags = copyRing(tags, head, inRing, new Uint8Array(tags.length * 2));
    this.head = 0;
    this.buffer = bigger;
    return bigger;
  }

  private spill(message: unknown, tag: MessageTag | undefined): void {
    let chunk = this.spillTail;
    if (chunk === null || chunk.count === chunk.items.length) {
      const next = new Chunk(this.takeSpare() ?? new Array(chunkSize(this.length)));
      if (chunk === null) this.spillHead = next;
      else chunk.next = next;
      chunk = this.spillTail = next;
    }
    chunk.items[chunk.count] = message;
    if (tag !== undefined) {
      (chunk.tags ??= new Uint8Array(chunk.items.length))[chunk.count] = idOf(tag);
    }
    chunk.count++;
  }

  private takeSpare(): unknown[] | null {
    const spare = this.spare;
    this.spare = null;
    return spare;
  }

  /** The ring ran dry: the oldest chunk, its messages in slots 0…count-1, becomes the ring. */
  private refill(): void {
    const chunk = this.spillHead!;
    this.spillHead = chunk.next;
    if (chunk.next === null) this.spillTail = null;
    // The empty ring takes the next spill, so a steady flood allocates nothing.
    if (this.buffer!.length >= RING_MAX) this.spare = this.buffer;
    this.buffer = chunk.items;
    this.tags = chunk.tags;
    this.head = 0;
    this.inRing = chunk.count;
  }

  /** Moves every chunk into one ring, so selective receive can index the whole queue. */
  private flatten(): void {
    if (this.spillHead === null) return;
    let size = this.buffer!.length;
    while (size < this.length) size *= 2;
    const buffer = copyRing(this.buffer!, this.head, this.inRing, new Array(size));
    const tags = new Uint8Array(size);
    if (this.tags !== null) copyRing(this.tags, this.head, this.inRing, tags);
    let n = this.inRing;
    for (let chunk: Chunk | null = this.spillHead; chunk !== null; chunk = chunk.next) {
      for (let i = 0; i < chunk.count; i++) buffer[n + i] = chunk.items[i];
      if (chunk.tags !== null) tags.set(chunk.tags.subarray(0, chunk.count), n);
      n += chunk.count;
    }
    this.buffer = buffer;
    this.tags = tags;
    this.head = 0;
    this.inRing = n;
    this.spillHead = this.spillTail = null;
  }
}

/** Copies the `length` items of `ring` from `head` on to the start of `into`; returns `into`. */
function copyRing<A extends { readonly length: number; [index: number]: any }>(
  ring: A,
  head: number,
  length: number,
  into: A,
): A {
  const mask = ring.length - 1;
  for (let i = 0; i < length; i++) into[i] = ring[(head + i) & mask];
  return into;
}
