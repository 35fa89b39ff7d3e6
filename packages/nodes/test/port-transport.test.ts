import { afterEach, describe, expect, it } from 'vitest';
import { startEchoWorker } from './transport-support.js';

const started: Array<ReturnType<typeof startEchoWorker>> = [];
function start() {
  const pair = startEchoWorker();
  started.push(pair);
  return pair;
}

afterEach(async () => {
  for (const { worker, transport } of started.splice(0)) {
    transport.close();
    await worker.terminate();
  }
});

describe('PortTransport', () => {
  it('delivers frames to a worker thread and back in the order they were sent', async () => {
    const { transport, recorder } = start();
    for (let i = 0; i < 100; i++) transport.send(1, ['n', i]);
    await recorder.until(() => recorder.frames.length === 100);
    expect(recorder.frames.map((f) => (f as [string, [string, number]])[1][1])).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('sends the frames queued in one turn as one batch', async () => {
    const { transport, recorder } = start();
    for (let i = 0; i < 50; i++) transport.send(1, ['n', i]);
    await recorder.until(() => recorder.frames.length === 50);
    // A second turn: a new batch.
    transport.send(1, ['n', 50]);
    await recorder.until(() => recorder.frames.length === 51);
    const batchOf = recorder.frames.map((f) => (f as [string, unknown, number])[2]);
    expect(new Set(batchOf.slice(0, 50)).size).toBe(1);
    expect(batchOf[50]).toBe(batchOf[0]! + 1);
  });

  it('carries a flood of frames sent in one turn from a worker, in order', async () => {
    const { transport, recorder } = start();
    transport.send(1, ['flood', 20_000]);
    await recorder.until(() => recorder.frames.length === 20_000);
    expect(recorder.frames.every((f, i) => (f as [string, number])[1] === i)).toBe(true);
  });

  it('keeps at most a window of frames posted and unacknowledged, the rest waiting here', async () => {
    const { transport, recorder } = start();
    for (let i = 0; i < 100_000; i++) transport.send(1, ['n', i]);
    transport.flush();
    const backlog = transport.backlog(1);
    // Nothing can have been acknowledged yet: that takes a message back from the worker.
    expect(backlog.inFlight).toBeGreaterThan(0);
    expect(backlog.inFlight).toBeLessThanOrEqual(16_384 + 4096);
    expect(backlog.inFlight + backlog.waiting).toBe(100_000);
    // All arrive, in order: past the first window, only acknowledgements let them go.
    await recorder.until(() => recorder.frames.length === 100_000);
    expect(recorder.frames.every((f, i) => (f as [string, [string, number]])[1][1] === i)).toBe(
      true,
    );
  });

  it('reports the peer up once started', () => {
    const { recorder, transport } = start();
    expect(recorder.up).toEqual([1]);
    expect(transport.peers()).toEqual([1]);
  });

  it('reports the peer down once when its thread calls process.exit', async () => {
    const { transport, recorder } = start();
    transport.send(1, ['exit', 3]);
    await recorder.until(() => recorder.down.length > 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.down).toHaveLength(1);
    expect(recorder.down[0]!.peer).toBe(1);
    expect(transport.send(1, ['late'])).toBe(false);
    expect(transport.peers()).toEqual([]);
  });

  it('reports the peer down when its thread dies of an uncaught exception', async () => {
    const { transport, recorder } = start();
    transport.send(1, ['throw']);
    await recorder.until(() => recorder.down.length > 0);
    expect(recorder.down[0]!.peer).toBe(1);
  });

  it('reports the peer down when its thread is terminated', async () => {
    const { worker, recorder } = start();
    await worker.terminate();
    await recorder.until(() => recorder.down.length > 0);
    expect(recorder.down).toHaveLength(1);
  });

  it('drops what is queued for a peer that is disconnected, and reports nothing more', async () => {
    const { transport, recorder } = start();
    transport.send(1, ['n', 1]);
    transport.disconnect(1, 'test');
    transport.disconnect(1, 'again');
    expect(recorder.down).toEqual([{ peer: 1, reason: 'test' }]);
    expect(transport.send(1, ['n', 2])).toBe(false);
  });
});
