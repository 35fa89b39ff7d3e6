import { type MessageTag, tagId, tagOf, wrap } from './message-tag.js';

const INITIAL_SIZE = 8;
/** The ring's largest size; beyond it, messages queue in chunks. */
const RING_MAX = 1024;
/**
 * The largest chunk: 256 KB of slots, past V8's large-object threshold, so the chunks of
 * a long flood are never copied by the young-generation collector.
 */
const CHUNK_MAX = 32_768;

/** A full-size run of messages queued behind a full ring, oldest chunk first. */
class Chunk {
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
 * @internal The messages of a mailbox that holds more than one: a FIFO ring buffer with
 * removal from the middle for selective receive, each message with its tag, if any. The
 * ring doubles up to `RING_MAX` slots; a flood beyond that queues in chunks behind it
 * (growing with the queue, up to `CHUNK_MAX`), and when the ring runs dry the oldest
 * chunk becomes the ring. Nothing is copied to grow past `RING_MAX`: doubling a ring to
 * millions of slots touched several times the memory the messages need, and fresh
 * memory is costly (on this kind of machine a page fault per 4 KB dominated floods).
 */
export class MessageQueue {
  length = 0;
  /** The tag of the message the last `shift` returned; undefined for a plain message. */
  shiftedTag: MessageTag | undefined = undefined;
  private buffer: unknown[] = new Array(INITIAL_SIZE);
  /** Tags, slot for slot beside `buffer`; allocated on the first tagged message. */
  private tags: Uint8Array | null = null;
  private head = 0;
  /** Messages in the ring; the rest (`length - inRing`) are in the chunks. */
  private inRing = 0;
  private spillHead: Chunk | null = null;
  private spillTail: Chunk | null = null;
  /** An emptied ring kept for the next chunk. */
  private spare: unknown[] | null = null;

  push(message: unknown, tag: MessageTag | undefined): void {
    this.length++;
    let buffer = this.buffer;
    if (this.inRing === buffer.length || this.spillTail !== null) {
      if (buffer.length >= RING_MAX || this.spillTail !== null) {
        this.spill(message, tag);
        return;
      }
      buffer = this.grow(buffer);
    }
    const slot = (this.head + this.inRing) & (buffer.length - 1);
    buffer[slot] = message;
    if (tag !== undefined) (this.tags ??= new Uint8Array(buffer.length))[slot] = tagId(tag);
    this.inRing++;
  }

  /** Removes and returns the oldest message as it was pushed; its tag is in `shiftedTag`. */
  shift(): unknown {
    const buffer = this.buffer;
    const head = this.head;
    const message = buffer[head];
    buffer[head] = undefined;
    const tags = this.tags;
    if (tags === null) {
      this.shiftedTag = undefined;
    } else {
      this.shiftedTag = tagOf(tags[head]!);
      tags[head] = 0;
    }
    this.head = (head + 1) & (buffer.length - 1);
    this.length--;
    if (--this.inRing === 0 && this.spillHead !== null) this.refill();
    return message;
  }

  /** The message at `index`, wrapped in its tag if it has one. */
  at(index: number): unknown {
    if (index >= this.inRing) this.flatten();
    const buffer = this.buffer;
    const slot = (this.head + index) & (buffer.length - 1);
    return wrap(buffer[slot], this.tags === null ? undefined : tagOf(this.tags[slot]!));
  }

  /** Removes and returns the message at `index` (wrapped in its tag), keeping the others in order. */
  removeAt(index: number): unknown {
    const message = this.at(index);
    if (index === 0) {
      this.shift();
      return message;
    }
    const buffer = this.buffer;
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
      (chunk.tags ??= new Uint8Array(chunk.items.length))[chunk.count] = tagId(tag);
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
    if (this.buffer.length >= RING_MAX) this.spare = this.buffer;
    this.buffer = chunk.items;
    this.tags = chunk.tags;
    this.head = 0;
    this.inRing = chunk.count;
  }

  /** Moves every chunk into one ring, so selective receive can index the whole queue. */
  private flatten(): void {
    if (this.spillHead === null) return;
    let size = this.buffer.length;
    while (size < this.length) size *= 2;
    const buffer = copyRing(this.buffer, this.head, this.inRing, new Array(size));
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
