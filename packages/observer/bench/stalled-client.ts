/**
 * The stalled-client row of the observer bench (issue #15): a dashboard whose socket is
 * open but never read, for a minute, on a node of 3,000 processes sampled every second.
 * Before the fix every sample was queued for it (15 → 37 MB of heap in 60 s); now only
 * the latest waits. The heap is read after a full GC every 10 s (from 5 s after the
 * stream opened), beside the same minute with a dashboard that reads.
 */
import { connect } from 'node:net';
import { Runtime } from '@actorkit/core';
import { startObserver } from '../src/index.js';

export interface StalledRow {
  seconds: number;
  /** Heap used (MB, after GC) every 10 s, with the stalled client. */
  stalled: number[];
  /** The same with a dashboard that reads. */
  baseline: number[];
}

const heapMb = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};

async function minute(seconds: number, withClient: boolean): Promise<number[]> {
  const runtime = new Runtime();
  for (let i = 0; i < 3000; i++) runtime.spawn({ handle() {} });
  // Kept for the whole minute: the stall timeout is longer than the run.
  const observer = await startObserver(runtime, { streamStallTimeout: (seconds + 60) * 1000 });
  // The observer samples only while a dashboard is open: the baseline keeps one that reads.
  const socket = connect(observer.port, '127.0.0.1');
  socket.write(
    `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${observer.port}\r\nAuthorization: Bearer ${observer.token}\r\n\r\n`,
  );
  if (withClient) socket.pause();
  else socket.resume();
  // Readings start once the stream runs and the first samples went out.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const heap: number[] = [];
  try {
    for (let t = 0; t <= seconds; t += 10) {
      heap.push(heapMb());
      if (t < seconds) await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  } finally {
    socket.destroy();
    await observer.close();
    await runtime.stop();
  }
  return heap;
}

/** Measures a minute (or `seconds`) with a stalled dashboard, and one with a reading one. */
export async function measureStalled(seconds: number): Promise<StalledRow> {
  const stalled = await minute(seconds, true);
  const baseline = await minute(seconds, false);
  return { seconds, stalled, baseline };
}
