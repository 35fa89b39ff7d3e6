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
 * @internal A FIFO ring buffer with removal from the middle for selective receive.
 * The buffer is allocated on the first message, so idle processes cost little.
 */
export class Mailbox {
  private buffer: unknown[] | null = null;
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

  /** The message evicted by the last `QueuedDroppedOldest` push. */
  evicted: unknown;

  /** Queues `message`; `force` skips the capacity check (for the runtime's own signals). */
  push(message: unknown, force = false): PushResult {
    let result: PushResult = PushResult.Queued;
    if (this.length >= this.capacity && !force) {
      this.dropped++;
      if (this.overflow === 'drop-newest') return PushResult.Dropped;
      if (this.overflow === 'reject') return PushResult.Rejected;
      this.evicted = this.shift();
      result = PushResult.QueuedDroppedOldest;
    }
    let buffer = this.buffer;
    if (buffer === null) {
      buffer = this.buffer = new Array(INITIAL_SIZE);
    } else if (this.length === buffer.length) {
      buffer = this.grow(buffer);
    }
    buffer[(this.head + this.length) & (buffer.length - 1)] = message;
    this.length++;
    return result;
  }

  shift(): unknown {
    const buffer = this.buffer!;
    const message = buffer[this.head];
    buffer[this.head] = undefined;
    this.head = (this.head + 1) & (buffer.length - 1);
    this.length--;
    return message;
  }

  at(index: number): unknown {
    const buffer = this.buffer!;
    return buffer[(this.head + index) & (buffer.length - 1)];
  }

  /** Index of the first message from `start` on that `match` accepts, or -1. */
  findIndex(match: (message: unknown) => boolean, start: number): number {
    for (let i = start; i < this.length; i++) {
      if (match(this.at(i))) return i;
    }
    return -1;
  }

  /** Removes and returns the message at `index`, keeping the others in order. */
  removeAt(index: number): unknown {
    if (index === 0) return this.shift();
    const buffer = this.buffer!;
    const mask = buffer.length - 1;
    const message = buffer[(this.head + index) & mask];
    for (let i = index; i < this.length - 1; i++) {
      buffer[(this.head + i) & mask] = buffer[(this.head + i + 1) & mask];
    }
    buffer[(this.head + this.length - 1) & mask] = undefined;
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

  /** Empties the mailbox, returning what it held (oldest first). */
  drain(): unknown[] {
    const messages: unknown[] = [];
    while (this.length > 0) messages.push(this.shift());
    this.buffer = null;
    this.head = 0;
    return messages;
  }

  private grow(buffer: unknown[]): unknown[] {
    const bigger = new Array(buffer.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = buffer[(this.head + i) & (buffer.length - 1)];
    this.head = 0;
    this.buffer = bigger;
    return bigger;
  }
}
