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

/**
 * @internal A FIFO ring buffer with removal from the middle for selective receive.
 * The buffer is allocated on the first message, so idle processes cost little.
 */
export class Mailbox {
  private buffer: unknown[] | null = null;
  /** Tags, slot for slot beside `buffer`; allocated on the first tagged message. */
  private tags: (MessageTag | undefined)[] | null = null;
  private head = 0;
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
    let buffer = this.buffer;
    if (buffer === null) {
      buffer = this.buffer = new Array(INITIAL_SIZE);
    } else if (this.length === buffer.length) {
      buffer = this.grow(buffer);
    }
    const slot = (this.head + this.length) & (buffer.length - 1);
    buffer[slot] = message;
    if (tag !== undefined) (this.tags ??= new Array(buffer.length))[slot] = tag;
    this.length++;
    return result;
  }

  /** Removes and returns the oldest message as it was pushed; its tag is in `shiftedTag`. */
  shift(): unknown {
    const buffer = this.buffer!;
    const head = this.head;
    const message = buffer[head];
    buffer[head] = undefined;
    const tags = this.tags;
    if (tags !== null) {
      this.shiftedTag = tags[head];
      tags[head] = undefined;
    }
    this.head = (head + 1) & (buffer.length - 1);
    this.length--;
    return message;
  }

  /** The message at `index`, wrapped in its tag if it has one. */
  at(index: number): unknown {
    const buffer = this.buffer!;
    const slot = (this.head + index) & (buffer.length - 1);
    const tag = this.tags?.[slot];
    return tag === undefined ? buffer[slot] : new tag(buffer[slot]);
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
    for (let i = index; i < this.length - 1; i++) {
      const to = (this.head + i) & mask;
      const from = (this.head + i + 1) & mask;
      buffer[to] = buffer[from];
      if (tags !== null) tags[to] = tags[from];
    }
    const last = (this.head + this.length - 1) & mask;
    buffer[last] = undefined;
    if (tags !== null) tags[last] = undefined;
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
    this.buffer = null;
    this.tags = null;
    this.head = 0;
    return messages;
  }

  private grow(buffer: unknown[]): unknown[] {
    const bigger = copyRing(buffer, this.head, this.length);
    if (this.tags !== null) this.tags = copyRing(this.tags, this.head, this.length);
    this.head = 0;
    this.buffer = bigger;
    return bigger;
  }
}

/** The `length` items of `ring` from `head` on, at the start of a ring twice its size. */
function copyRing<T>(ring: T[], head: number, length: number): T[] {
  const bigger = new Array<T>(ring.length * 2);
  const mask = ring.length - 1;
  for (let i = 0; i < length; i++) bigger[i] = ring[(head + i) & mask]!;
  return bigger;
}
