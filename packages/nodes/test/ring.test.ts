import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRing,
  DATA_WAIT,
  FULL,
  NOT_COMPACT,
  PORT_MARKER,
  RingReader,
  RingWriter,
  ROOM_WAIT,
  WROTE,
} from '../src/ring.js';
import { launchWorker } from '../src/worker-launch.js';

/** Reads everything published, markers as the string 'PORT'. */
function drain(reader: RingReader, max = Number.POSITIVE_INFINITY): unknown[] {
  const frames: unknown[] = [];
  reader.read((frame) => {
    frames.push(frame === PORT_MARKER ? 'PORT' : frame);
    return true;
  }, max);
  return frames;
}

const primitive = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', 'a', 'é') }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

describe('RingWriter / RingReader', () => {
  it('carries frames of primitives unchanged and in order, across many wrap-arounds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(primitive, { maxLength: 12 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (frames, every) => {
          const ring = createRing(1024);
          const writer = new RingWriter(ring);
          const reader = new RingReader(ring);
          const got: unknown[] = [];
          for (let i = 0; i < frames.length; i++) {
            const frame = frames[i]!;
            let wrote = writer.write(frame);
            if (wrote === NOT_COMPACT) continue; // a frame over a quarter of the ring
            if (wrote === FULL) {
              writer.publish();
              got.push(...drain(reader));
              wrote = writer.write(frame);
            }
            expect(wrote).toBe(WROTE);
            if (i % every === 0) {
              writer.publish();
              got.push(...drain(reader));
            }
          }
          writer.publish();
          got.push(...drain(reader));
          const expected = frames.filter(
            (f) => new RingWriter(createRing(1024)).write(f) === WROTE,
          );
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps -0, NaN, large and fractional numbers, and non-ASCII strings exact (lone surrogates too)', () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const frame = [
      -0,
      Number.NaN,
      2 ** 40,
      -1.5,
      2 ** 31,
      'héllo ✓',
      '😀',
      '',
      '\uD800 lone',
      'x\uDC00',
    ];
    expect(writer.write(frame)).toBe(WROTE);
    writer.publish();
    const [got] = drain(new RingReader(ring)) as unknown[][];
    expect(Object.is(got![0], -0)).toBe(true);
    expect(got).toEqual(frame);
  });

  it('refuses frames holding anything but primitives, and frames over a quarter of the ring', () => {
    const writer = new RingWriter(createRing(1024));
    expect(writer.write([1, { a: 1 }])).toBe(NOT_COMPACT);
    expect(writer.write([[1]])).toBe(NOT_COMPACT);
    expect(writer.write([1n])).toBe(NOT_COMPACT);
    // A string's bound is two bytes a character: 120 of them fit a quarter of 1 KiB.
    expect(writer.write(['x'.repeat(130)])).toBe(NOT_COMPACT);
    expect(writer.write(['x'.repeat(120)])).toBe(WROTE);
  });

  it('says FULL when there is no room, and writes again once the reader made room', () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    let written = 0;
    while (writer.write([written, 'abcdefgh']) === WROTE) written++;
    expect(written).toBeGreaterThan(20);
    expect(writer.write([0, 'abcdefgh'])).toBe(FULL);
    writer.publish();
    // Room for a frame's bound (not only its size), at the tail or after a wrap.
    expect(drain(reader, 4)).toEqual([0, 1, 2, 3].map((i) => [i, 'abcdefgh']));
    expect(writer.write([written, 'abcdefgh'])).toBe(WROTE);
    writer.publish();
    const rest = drain(reader) as [number][];
    expect(rest.map((f) => f[0])).toEqual(Array.from({ length: written - 3 }, (_, i) => i + 4));
  });

  it('hides frames until they are published', () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    writer.write([1]);
    expect(reader.readable()).toBe(false);
    expect(writer.unpublished).toBeGreaterThan(0);
    writer.publish();
    expect(reader.readable()).toBe(true);
  });

  it('stops at a port marker the taker is not ready for, and reads it again later', () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    writer.write([1]);
    expect(writer.writeMarker()).toBe(true);
    writer.write([2]);
    writer.publish();
    const seen: unknown[] = [];
    let ready = false;
    const take = (frame: unknown[] | typeof PORT_MARKER) => {
      if (frame === PORT_MARKER && !ready) return false;
      seen.push(frame === PORT_MARKER ? 'PORT' : frame);
      return true;
    };
    expect(reader.read(take, 100)).toBe(1);
    expect(seen).toEqual([[1]]);
    expect(reader.read(take, 100)).toBe(0);
    ready = true;
    expect(reader.read(take, 100)).toBe(2);
    expect(seen).toEqual([[1], 'PORT', [2]]);
  });

  it('wakes a sleeping reader on publish, and a writer waiting for room once half the ring is free', async () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const cells = new Int32Array(ring);
    expect(reader.askForData()).toBe(true);
    const data = (Atomics as any).waitAsync(cells, DATA_WAIT, 1);
    expect(data.async).toBe(true);
    writer.write([1]);
    expect(writer.publish()).toBe(true);
    expect(await data.value).toBe('ok');
    expect(writer.publish()).toBe(false); // nobody sleeps now
    drain(reader);
    while (writer.write(['0123456789']) === WROTE) {}
    writer.publish();
    expect(writer.askForRoom()).toBe(true);
    const room = (Atomics as any).waitAsync(cells, ROOM_WAIT, 1);
    drain(reader, 5);
    expect(Atomics.load(cells, ROOM_WAIT)).toBe(1); // not half free yet
    drain(reader);
    expect(await room.value).toBe('ok');
    expect(writer.free()).toBeGreaterThanOrEqual(512);
  });

  it('carries frames from another thread, which wakes this one', async () => {
    const ring = createRing(1 << 12);
    const reader = new RingReader(ring);
    const worker = launchWorker({
      entry: new URL('./fixtures/ring-writer.ts', import.meta.url),
      data: { ring, count: 5000 },
    });
    const got: number[] = [];
    const cells = new Int32Array(ring);
    while (got.length < 5000) {
      for (const frame of drain(reader) as [number, string][]) got.push(frame[0]);
      if (got.length < 5000 && reader.askForData()) {
        const wait = (Atomics as any).waitAsync(cells, DATA_WAIT, 1);
        if (wait.async) await wait.value;
      }
    }
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await worker.terminate();
  });
});
