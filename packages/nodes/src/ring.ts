/**
 * A single-producer, single-consumer ring of frames in a `SharedArrayBuffer`: one
 * direction of the link between two nodes (`RingTransport` holds two per peer). The
 * producer writes frames at its tail and publishes them all at once (one atomic store, a
 * wake-up only if the consumer sleeps); the consumer reads from its head and hands the
 * room back the same way. Nothing is posted, cloned or allocated on the producer's side.
 *
 * Only compact frames fit: arrays of primitives (numbers, strings, booleans, null,
 * undefined), which is what the node layer's hot frames are (a flat record's values, a
 * PID as two numbers, see `records.ts`). Anything else is `NOT_COMPACT`, for the caller to
 * send another way; a `PORT` marker holds its place in the ring's order.
 *
 * Layout: a header of `Int32` cells (the head and the tail on cache lines of their own,
 * the two sleep flags), then `capacity` bytes (a power of two). Head and tail count bytes
 * from the start, wrapping at 2^32. A frame is `[u32 bytes][u8 count][values]`, padded to
 * 4 bytes; a frame never wraps: where it would not fit before the end, a `u32 0` says
 * "continue at the start". A value is a tag byte and its payload.
 *
 * @example
 * const sab = createRing(1 << 16);
 * const out = new RingWriter(sab);   // on the producing thread
 * const inn = new RingReader(sab);   // on the consuming thread
 * out.write([11, 7, 0, 'hello']); out.publish();
 * inn.read((frame) => console.log(frame), 100); // [11, 7, 0, 'hello']
 */

/** Header cells (Int32 indexes). */
const HEAD = 0;
const TAIL = 16;
/** 1 while the consumer sleeps (waits for data); the producer clears it and notifies. */
export const DATA_WAIT = 32;
/** 1 while the producer waits for room; the consumer clears it and notifies. */
export const ROOM_WAIT = 33;
const HEADER_BYTES = 256;

/** What {@link RingWriter.write} did. */
export const WROTE = 1;
export const FULL = 0;
export const NOT_COMPACT = -1;

/** A frame's count byte for the marker "the next port batch goes here". */
const PORT_COUNT = 255;
/** Most values a compact frame holds. */
const MAX_VALUES = 254;

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_LATIN1 = 6;
const T_UTF16 = 7;

/** What {@link RingReader.read} hands over for a `PORT` marker. */
export const PORT_MARKER: unique symbol = Symbol('actorkit.ringPortMarker');

/** A new ring of `capacity` data bytes (a power of two, >= 1024). */
export function createRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 1024 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`A ring's capacity is a power of two >= 1024 bytes, got ${capacity}.`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

/** The two sides share these views of one buffer. */
class RingView {
  readonly cells: Int32Array;
  readonly bytes: Buffer;
  readonly view: DataView;
  readonly capacity: number;
  readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.mask = this.capacity - 1;
    this.bytes = Buffer.from(buffer, HEADER_BYTES, this.capacity);
    this.view = new DataView(buffer, HEADER_BYTES, this.capacity);
  }

  /** Bytes written and not yet read, as the tail and head stand now. */
  used(): number {
    return (Atomics.load(this.cells, TAIL) - Atomics.load(this.cells, HEAD)) >>> 0;
  }
}

/** The producing side of a ring: one thread only. */
export class RingWriter extends RingView {
  /** Where the next frame goes (published or not). */
  private tail: number;
  /** The head as last read: room is known to be at least what it leaves. */
  private head: number;
  /** The largest frame that fits (a quarter of the ring): bigger ones are `NOT_COMPACT`. */
  readonly maxFrame: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.tail = Atomics.load(this.cells, TAIL) >>> 0;
    this.head = Atomics.load(this.cells, HEAD) >>> 0;
    this.maxFrame = this.capacity >>> 2;
  }

  /** Bytes written since the last `publish`. */
  get unpublished(): number {
    return (this.tail - (Atomics.load(this.cells, TAIL) >>> 0)) >>> 0;
  }

  /**
   * Writes `frame` if it is compact and there is room: `WROTE`; `FULL` when it is compact
   * but the ring has no room for it now; `NOT_COMPACT` when it holds anything but
   * primitives (or is too big). The consumer sees it at the next `publish`.
   */
  write(frame: readonly unknown[]): number {
    const count = frame.length;
    if (count > MAX_VALUES) return NOT_COMPACT;
    let bound = 5;
    for (let i = 0; i < count; i++) {
      const value = frame[i];
      const type = typeof value;
      if (type === 'number') bound += 9;
      else if (type === 'string') bound += 5 + 2 * (value as string).length;
      else if (type === 'boolean' || value === undefined || value === null) bound += 1;
      else return NOT_COMPACT;
    }
    if (bound > this.maxFrame) return NOT_COMPACT;
    const at = this.reserve((bound + 3) & ~3);
    if (at < 0) return FULL;
    let pos = at + 5;
    const view = this.view;
    for (let i = 0; i < count; i++) pos = this.value(view, pos, frame[i]);
    const size = (pos - at + 3) & ~3;
    view.setUint32(at, size, true);
    view.setUint8(at + 4, count);
    this.tail = (this.tail + size) >>> 0;
    return WROTE;
  }

  /** Writes a `PORT` marker: true, or false when there is no room. */
  writeMarker(): boolean {
    const at = this.reserve(8);
    if (at < 0) return false;
    this.view.setUint32(at, 8, true);
    this.view.setUint8(at + 4, PORT_COUNT);
    this.tail = (this.tail + 8) >>> 0;
    return true;
  }

  /**
   * Makes what was written visible to the consumer, and wakes it if it sleeps. Returns
   * true when it woke it.
   */
  publish(): boolean {
    const cells = this.cells;
    Atomics.store(cells, TAIL, this.tail | 0);
    if (Atomics.load(cells, DATA_WAIT) === 0) return false;
    Atomics.store(cells, DATA_WAIT, 0);
    Atomics.notify(cells, DATA_WAIT);
    return true;
  }

  /** Bytes free now (reads the consumer's head). */
  free(): number {
    this.head = Atomics.load(this.cells, HEAD) >>> 0;
    return this.capacity - ((this.tail - this.head) >>> 0);
  }

  /**
   * Asks the consumer to wake this side once at least half the ring is free; returns
   * false (and asks nothing) when it already is.
   */
  askForRoom(): boolean {
    Atomics.store(this.cells, ROOM_WAIT, 1);
    if (this.free() >= this.capacity >>> 1) {
      Atomics.store(this.cells, ROOM_WAIT, 0);
      return false;
    }
    return true;
  }

  /**
   * The offset of `size` contiguous bytes at the tail (after a wrap marker if the end of
   * the ring is too near), or -1 when there is no room.
   */
  private reserve(size: number): number {
    const offset = this.tail & this.mask;
    const toEnd = this.capacity - offset;
    const need = toEnd < size ? toEnd + size : size;
    if (this.capacity - ((this.tail - this.head) >>> 0) < need && this.free() < need) return -1;
    if (toEnd >= size) return offset;
    this.view.setUint32(offset, 0, true);
    this.tail = (this.tail + toEnd) >>> 0;
    return 0;
  }

  private value(view: DataView, pos: number, value: unknown): number {
    switch (typeof value) {
      case 'number':
        if ((value | 0) === value && !Object.is(value, -0)) {
          view.setUint8(pos, T_INT);
          view.setInt32(pos + 1, value, true);
          return pos + 5;
        }
        view.setUint8(pos, T_FLOAT);
        view.setFloat64(pos + 1, value, true);
        return pos + 9;
      case 'string':
        return this.string(view, pos, value);
      case 'boolean':
        view.setUint8(pos, value ? T_TRUE : T_FALSE);
        return pos + 1;
      default:
        view.setUint8(pos, value === null ? T_NULL : T_UNDEFINED);
        return pos + 1;
    }
  }

  private string(view: DataView, pos: number, value: string): number {
    const length = value.length;
    const bytes = this.bytes;
    const start = pos + 5;
    if (length <= 32) {
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        bytes[start + i] = code;
      }
      if (i === length) {
        view.setUint8(pos, T_LATIN1);
        view.setUint32(pos + 1, length, true);
        return start + length;
      }
    }
    // UTF-16 code units as they are: lone surrogates survive, as in structured clone.
    const written = bytes.write(value, start, 'utf16le');
    view.setUint8(pos, T_UTF16);
    view.setUint32(pos + 1, written, true);
    return start + written;
  }
}

/** The consuming side of a ring: one thread only. */
export class RingReader extends RingView {
  private head: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.head = Atomics.load(this.cells, HEAD) >>> 0;
  }

  /** True when a published frame waits. */
  readable(): boolean {
    return Atomics.load(this.cells, TAIL) >>> 0 !== this.head;
  }

  /**
   * Hands published frames to `take`, oldest first, at most `max` of them, and gives
   * their room back. A `PORT` marker is handed over as {@link PORT_MARKER}; when `take`
   * returns false for it, reading stops there and the marker stays, to be read again.
   * Returns how many frames were taken. `take` must not throw: the room of the frames
   * read before a throw would not be given back, and they would be read again.
   */
  read(take: (frame: unknown[] | typeof PORT_MARKER) => boolean | undefined, max: number): number {
    const cells = this.cells;
    const tail = Atomics.load(cells, TAIL) >>> 0;
    const view = this.view;
    let head = this.head;
    let taken = 0;
    while (head !== tail && taken < max) {
      const at = head & this.mask;
      const size = view.getUint32(at, true);
      if (size === 0) {
        head = (head + (this.capacity - at)) >>> 0;
        continue;
      }
      const count = view.getUint8(at + 4);
      if (count === PORT_COUNT) {
        if (take(PORT_MARKER) === false) break;
      } else {
        // The frame's room may be given back before `take` runs: it has been copied out.
        take(this.frame(view, at + 5, count));
      }
      head = (head + size) >>> 0;
      taken++;
    }
    if (head !== this.head) this.release(head);
    return taken;
  }

  /**
   * Asks the producer to wake this side when it publishes; returns false (and asks
   * nothing) when a frame is already readable.
   */
  askForData(): boolean {
    Atomics.store(this.cells, DATA_WAIT, 1);
    if (this.readable()) {
      Atomics.store(this.cells, DATA_WAIT, 0);
      return false;
    }
    return true;
  }

  private release(head: number): void {
    this.head = head;
    const cells = this.cells;
    Atomics.store(cells, HEAD, head | 0);
    if (Atomics.load(cells, ROOM_WAIT) === 1 && this.used() <= this.capacity >>> 1) {
      Atomics.store(cells, ROOM_WAIT, 0);
      Atomics.notify(cells, ROOM_WAIT);
    }
  }

  private frame(view: DataView, pos: number, count: number): unknown[] {
    const frame = new Array<unknown>(count);
    const bytes = this.bytes;
    for (let i = 0; i < count; i++) {
      const tag = view.getUint8(pos);
      switch (tag) {
        case T_INT:
          frame[i] = view.getInt32(pos + 1, true);
          pos += 5;
          break;
        case T_FLOAT:
          frame[i] = view.getFloat64(pos + 1, true);
          pos += 9;
          break;
        case T_LATIN1: {
          const length = view.getUint32(pos + 1, true);
          const start = pos + 5;
          frame[i] =
            length <= 16
              ? ascii(bytes, start, length)
              : bytes.toString('latin1', start, start + length);
          pos = start + length;
          break;
        }
        case T_UTF16: {
          const length = view.getUint32(pos + 1, true);
          frame[i] = bytes.toString('utf16le', pos + 5, pos + 5 + length);
          pos += 5 + length;
          break;
        }
        default:
          frame[i] =
            tag === T_TRUE ? true : tag === T_FALSE ? false : tag === T_NULL ? null : undefined;
          pos += 1;
      }
    }
    return frame;
  }
}

/** A short ASCII string, read byte by byte (cheaper than a call into the platform). */
function ascii(bytes: Buffer, start: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[start + i]!);
  return text;
}
