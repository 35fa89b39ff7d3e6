import { type MessageTag, tagId } from './message-tag.js';

/**
 * The largest ring of a mailbox; beyond it, messages queue in chunks (see `Spill`). Twice
 * the default turn budget: a consumer kept in step by fair turns holds about a budget and
 * a batch at most (1,900 messages with batches of 1,000), and such a mailbox must never
 * spill, as spilling takes every push and shift off the fast path (a 1,024-slot ring cost
 * the batch-1,000 flood a third more instructions per message).
 */
export const RING_MAX = 4096;
/**
 * The largest chunk: 256 KB of slots, past V8's large-object threshold, so the chunks of
 * a long flood are never copied by the young-generation collector.
 */
const CHUNK_MAX = 32_768;

/** @internal A full-size run of messages queued behind a full ring, oldest chunk first. */
export class Chunk {
  tags: Uint8Array | null = null;
  count = 0;
  next: Chunk | null = null;

  constructor(readonly items: unknown[]) {}
}

/** A chunk about as big as the queue already is: small for a burst, large for a flood. */
function chunkSize(queued: number): number {
  let size = RING_MAX;
  while (size < queued && size < CHUNK_MAX) size *= 2;
  return size;
}

/**
 * @internal The messages of a flood that queue behind a mailbox's full ring, in chunks
 * (growing with the queue, up to `CHUNK_MAX` slots); when the ring runs dry, the oldest
 * chunk becomes the ring. Nothing is copied to grow past `RING_MAX`: doubling a ring to
 * millions of slots touched several times the memory the messages need, and fresh
 * memory is costly (on this kind of machine a page fault per 4 KB dominated floods).
 */
export class Spill {
  /** Messages in the chunks. */
  count = 0;
  private head: Chunk | null = null;
  private tail: Chunk | null = null;
  /** An emptied ring kept for the next chunk, so a steady flood allocates nothing. */
  private spare: unknown[] | null = null;

  /** Queues `message` (with its `tag`) behind the others; `queued` is the mailbox's length. */
  push(message: unknown, tag: MessageTag | undefined, queued: number): void {
    let chunk = this.tail;
    if (chunk === null || chunk.count === chunk.items.length) {
      const next = new Chunk(this.takeSpare() ?? new Array(chunkSize(queued)));
      if (chunk === null) this.head = next;
      else chunk.next = next;
      chunk = this.tail = next;
    }
    chunk.items[chunk.count] = message;
    if (tag !== undefined) {
      (chunk.tags ??= new Uint8Array(chunk.items.length))[chunk.count] = tagId(tag);
    }
    chunk.count++;
    this.count++;
  }

  /**
   * Takes the oldest chunk (its messages in slots 0…count-1) to become the ring, keeping
   * `emptied`, the ring it replaces, for the next chunk if it is large enough.
   */
  take(emptied: unknown[]): Chunk {
    const chunk = this.head!;
    this.head = chunk.next;
    if (chunk.next === null) this.tail = null;
    if (emptied.length >= RING_MAX) this.spare = emptied;
    this.count -= chunk.count;
    return chunk;
  }

  /** Copies every spilled message (and tag) into `items` and `tags` from `at` on, and forgets them. */
  moveInto(items: unknown[], tags: Uint8Array, at: number): void {
    let n = at;
    for (let chunk: Chunk | null = this.head; chunk !== null; chunk = chunk.next) {
      for (let i = 0; i < chunk.count; i++) items[n + i] = chunk.items[i];
      if (chunk.tags !== null) tags.set(chunk.tags.subarray(0, chunk.count), n);
      n += chunk.count;
    }
    this.head = this.tail = null;
    this.count = 0;
  }

  private takeSpare(): unknown[] | null {
    const spare = this.spare;
    this.spare = null;
    return spare;
  }
}

/** @internal Copies the `length` items of `ring` from `head` on to the start of `into`; returns `into`. */
export function copyRing<A extends { readonly length: number; [index: number]: any }>(
  ring: A,
  head: number,
  length: number,
  into: A,
): A {
  const mask = ring.length - 1;
  for (let i = 0; i < length; i++) into[i] = ring[(head + i) & mask];
  return into;
}
