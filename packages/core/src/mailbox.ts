import { InvalidArgumentError } from './errors.js';
import { assertOptionalNumber, assertOptions } from './internal/options.js';
import { MessageQueue } from './message-queue.js';
import { type MessageTag, wrap } from './message-tag.js';

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
 * @internal A process's mailbox: FIFO, with removal from the middle for selective
 * receive. A lone message waits in a field and the queue is allocated for a second, so
 * idle and one-at-a-time processes (timer ticks, calls) touch only this object.
 * `Process` extends it, so that a delivery touches one object, not two: with 100k
 * processes ticking, cache misses are most of a tick's cost.
 */
export class Mailbox {
  // Fields a delivery touches come first (see `Process`).
  length = 0;
  /** The tag of the message the last `shift` returned; undefined for a plain message. */
  shiftedTag: MessageTag | undefined = undefined;
  /** The message, when it is the only one: most mailboxes hold one at a time. */
  private single: unknown = undefined;
  private singleTag: MessageTag | undefined = undefined;
  /** The messages, when more than one waits (the single message moves in first). */
  private queue: MessageQueue | null = null;
  /** Null for an unbounded mailbox, the default. */
  private readonly bounds: Bounds | null;

  constructor(options?: MailboxOptions) {
    if (options === undefined) {
      this.bounds = null;
      return;
    }
    assertMailboxOptions(options);
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    const overflow = options.overflow ?? 'drop-newest';
    this.bounds = capacity === Number.POSITIVE_INFINITY ? null : new Bounds(capacity, overflow);
  }

  /** Maximum queued messages. */
  get capacity(): number {
    return this.bounds?.capacity ?? Number.POSITIVE_INFINITY;
  }

  /** What happens to a message that arrives when the mailbox is full. */
  get overflow(): OverflowPolicy {
    return this.bounds?.overflow ?? 'drop-newest';
  }

  /** Messages a bounded mailbox dropped or rejected. */
  get dropped(): number {
    return this.bounds?.dropped ?? 0;
  }

  /** Where in the queue the message the last `QueuedDroppedOldest` push evicted was. */
  get evictedAt(): number {
    return this.bounds?.evictedAt ?? 0;
  }

  /** Returns, and forgets, the message the last `QueuedDroppedOldest` push evicted. */
  takeEvicted(): unknown {
    const bounds = this.bounds!;
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
    let result: PushResult = PushResult.Queued;
    const bounds = this.bounds;
    if (bounds !== null) {
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
    if (this.length++ === 0) {
      this.single = message;
      this.singleTag = tag;
      return result;
    }
    const queue = this.queue ?? (this.queue = new MessageQueue());
    if (queue.length === 0) this.unsingle(queue);
    queue.push(message, tag);
    return result;
  }

  /** Removes and returns the oldest message as it was pushed; its tag is in `shiftedTag`. */
  shift(): unknown {
    const queue = this.queue;
    this.length--;
    if (queue === null || queue.length === 0) {
      const message = this.single;
      this.shiftedTag = this.singleTag;
      this.single = undefined;
      this.singleTag = undefined;
      if (this.bounds !== null) this.bounds.left(message);
      return message;
    }
    const message = queue.shift();
    this.shiftedTag = queue.shiftedTag;
    if (this.bounds !== null) this.bounds.left(message);
    return message;
  }

  /** The message at `index`, wrapped in its tag if it has one. */
  at(index: number): unknown {
    const queue = this.queue;
    if (queue === null || queue.length === 0) return wrap(this.single, this.singleTag);
    return queue.at(index);
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
    const queue = this.queue;
    if (queue === null || queue.length === 0) return wrap(this.shift(), this.shiftedTag);
    this.length--;
    const message = queue.removeAt(index);
    // A forced message has no tag, so it comes back as it was pushed.
    if (this.bounds !== null) this.bounds.left(message);
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
    this.queue = null;
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
    this.queue = null;
    if (this.bounds !== null) this.bounds.forced = null;
    return count;
  }

  /** Index of the oldest message that counts against the capacity (not a forced one). */
  private oldestCounted(bounds: Bounds): number {
    const forced = bounds.forced;
    if (forced === null) return 0;
    return this.findIndex((message) => !forced.has(message), 0);
  }

  /** Moves the single message into the queue, where a second one is about to join it. */
  private unsingle(queue: MessageQueue): void {
    queue.push(this.single, this.singleTag);
    this.single = undefined;
    this.singleTag = undefined;
  }
}
