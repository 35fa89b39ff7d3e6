import { MessageChannel, type Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRing } from '../src/ring.js';
import { RingTransport, type RingTransportOptions } from '../src/ring-transport.js';
import type { Frame } from '../src/transport.js';
import { launchWorker } from '../src/worker-launch.js';
import { Recorder } from './transport-support.js';

/** A recorder that also counts `drained` reports. */
class FlowRecorder extends Recorder {
  drains = 0;
  drained(): void {
    this.drains++;
  }
}

const open: RingTransport[] = [];
const workers: Worker[] = [];

afterEach(async () => {
  for (const transport of open.splice(0)) transport.close();
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
});

/**
 * Node 0 here, node 1 an echo in a real worker thread; both spin up to `spinMs`. With
 * `idle`, both handlers say they have nothing else to run, so each side waits for the
 * answer right after publishing.
 */
function echoWorker(spinMs: number, idle = false) {
  const { port1, port2 } = new MessageChannel();
  const toWorker = createRing(1 << 16);
  const fromWorker = createRing(1 << 16);
  const worker = launchWorker({
    entry: new URL('./fixtures/ring-echo.ts', import.meta.url),
    data: { port: port2, out: fromWorker, inn: toWorker, spinMs, idle },
    transferList: [port2],
  });
  workers.push(worker);
  const transport = new RingTransport(0, { spinMs });
  const recorder = new FlowRecorder();
  if (idle) Object.assign(recorder, { idle: () => true });
  transport.start(recorder);
  transport.addPeer(1, port1, toWorker, fromWorker);
  worker.on('exit', () => transport.disconnect(1, 'exited'));
  open.push(transport);
  return { transport, recorder, worker };
}

/** Nodes 0 and 1 on this thread, linked by rings of `bytes` and a MessageChannel. */
function pair(bytes = 1 << 16, options: RingTransportOptions = {}) {
  const { port1, port2 } = new MessageChannel();
  const ab = createRing(bytes);
  const ba = createRing(bytes);
  const a = new RingTransport(0, options);
  const b = new RingTransport(1, options);
  const ra = new FlowRecorder();
  const rb = new FlowRecorder();
  a.start(ra);
  b.start(rb);
  a.addPeer(1, port1, ab, ba);
  b.addPeer(0, port2, ba, ab);
  open.push(a, b);
  return { a, b, ra, rb };
}

/** A frame for the ring (primitives) or, with an object inside, for the port. */
const frame = fc.oneof(
  fc.tuple(fc.constant('ring'), fc.integer(), fc.string({ maxLength: 8 })),
  fc.tuple(fc.constant('port'), fc.record({ n: fc.integer() })),
  fc.tuple(fc.constant('big'), fc.constant('x'.repeat(20_000))),
);

describe('RingTransport', () => {
  it('keeps frames in the order they were sent across the ring and the port, whatever the mix and the turns (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(frame, { maxLength: 30 }), { minLength: 1, maxLength: 8 }),
        async (turns) => {
          const { a, rb } = pair(1024); // small: a turn often fills it
          const sent: Frame[] = [];
          for (const turn of turns) {
            for (const f of turn) {
              const numbered = [sent.length, ...f];
              sent.push(numbered);
              a.send(1, numbered);
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          await rb.until(() => rb.frames.length === sent.length);
          expect(rb.frames).toEqual(sent);
          a.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is busy while its ring is full, and reports drained once the peer made room, nothing lost or reordered', async () => {
    const { a, ra, rb } = pair(1024);
    for (let i = 0; i < 500; i++) a.send(1, [i, 'some text']);
    expect(a.busy(1)).toBe(true);
    await rb.until(() => rb.frames.length === 500);
    await ra.until(() => ra.drains === 1);
    expect(a.busy(1)).toBe(false);
    expect(rb.frames.map((f) => (f as number[])[0])).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it.each([
    ['without spinning', { spinMs: 0 }],
    ['spinning (whatever the load)', { spinMs: 0.05 }],
  ])('answers back and forth, %s', async (_name, options) => {
    const { a, b, ra, rb } = pair(1 << 16, options);
    let replies = 0;
    for (let round = 0; round < 200; round++) {
      a.send(1, [round]);
      await rb.until(() => rb.frames.length === round + 1);
      b.send(0, [round, 'back']);
      await ra.until(() => ra.frames.length === round + 1);
      replies++;
    }
    expect(replies).toBe(200);
    expect(ra.frames.at(-1)).toEqual([199, 'back']);
  });

  it.each([
    ['without spinning', 0],
    ['spinning', 0.05],
  ])('answers a peer in another thread back and forth, %s', async (_name, spinMs) => {
    const { transport, recorder } = echoWorker(spinMs);
    for (let round = 0; round < 2000; round++) {
      transport.send(1, [round, 'ping']);
      await recorder.until(() => recorder.frames.length === round + 1);
    }
    expect(recorder.frames).toEqual(Array.from({ length: 2000 }, (_, i) => [i, 'ping']));
  });

  it('answers a peer in another thread back and forth when both wait for the answer right after sending, in order across ring and port', async () => {
    const { transport, recorder } = echoWorker(0.05, true);
    const sent: unknown[][] = [];
    for (let round = 0; round < 2000; round++) {
      const frame = round % 7 === 0 ? [round, { boxed: round }] : [round, 'ping'];
      sent.push(frame);
      transport.send(1, frame);
      await recorder.until(() => recorder.frames.length === round + 1);
    }
    expect(recorder.frames).toEqual(sent);
  });

  it('reports a peer thread terminated mid-traffic down once, and drops what is sent to it after', async () => {
    const { transport, recorder, worker } = echoWorker(0.05);
    for (let i = 0; i < 5000; i++) transport.send(1, [i, { boxed: i }]); // both paths
    await recorder.until(() => recorder.frames.length > 100);
    await worker.terminate();
    await recorder.until(() => recorder.down.length === 1);
    expect(recorder.down).toEqual([{ peer: 1, reason: expect.anything() }]);
    const echoed = recorder.frames.map((f) => (f as [number])[0]);
    expect(echoed).toEqual(Array.from({ length: echoed.length }, (_, i) => i));
    expect(transport.send(1, [1])).toBe(false);
    expect(transport.busy(1)).toBe(false);
  });

  it('reports the peer down when its port closes, after delivering what it had published', async () => {
    const { a, b, rb } = pair();
    for (let i = 0; i < 10; i++) a.send(1, [i]);
    a.flush();
    a.close();
    await rb.until(() => rb.down.length === 1);
    expect(rb.frames).toEqual(Array.from({ length: 10 }, (_, i) => [i]));
    expect(rb.down).toEqual([{ peer: 0, reason: 'noconnection' }]);
    expect(b.send(0, [1])).toBe(false);
    expect(b.busy(0)).toBe(false);
  });

  it('refuses unknown options and negative spins with InvalidArgumentError', () => {
    expect(() => new RingTransport(0, { spin: 1 } as never)).toThrow(/spinMs/);
    expect(() => new RingTransport(0, { spinMs: -1 })).toThrow(/finite number of ms >= 0/);
  });
});
