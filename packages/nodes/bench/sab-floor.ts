/**
 * The floor under cross-node ping-pong: two threads bouncing a counter through one
 * `SharedArrayBuffer`, with no actorkit at all. Reports round trips/s for each way of
 * waiting for the other side: both spin (the hardware's floor: an atomic store seen by
 * the other core), the worker sleeps on `Atomics.wait` while the main thread spins, both
 * sleep on `Atomics.wait`, and the main thread on `Atomics.waitAsync` (what an event loop
 * that must stay responsive can do) against the worker's `Atomics.wait`.
 *
 * Run: node --import tsx packages/nodes/bench/sab-floor.ts   (ROUNDS, default 100k)
 * `nodes.bench.ts` runs `floor()` first and reports its ratios against it.
 */
import { Worker } from 'node:worker_threads';

/** Cells: 0 the counter (odd: the main thread's ping, even: the worker's pong), 1 the mode. */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const cells = new Int32Array(workerData.sab);
parentPort.on('message', ({ mode, rounds }) => {
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    const want = 2 * i + 1;
    if (mode === 'spin') { while (Atomics.load(cells, 0) !== want) {} }
    else { while (Atomics.load(cells, 0) !== want) Atomics.wait(cells, 0, want - 1); }
    Atomics.store(cells, 0, want + 1);
    Atomics.notify(cells, 0);
  }
  parentPort.postMessage('done');
});`;

/** How the main thread waits for each pong, and the worker for each ping. */
export type FloorMode = 'spin' | 'spin-main' | 'wait' | 'wait-async';

/** Round trips/s for `mode` over `rounds` round trips. */
export async function floorRun(mode: FloorMode, rounds: number): Promise<number> {
  const sab = new SharedArrayBuffer(64);
  const cells = new Int32Array(sab);
  const worker = new Worker(WORKER, { eval: true, workerData: { sab } });
  const done = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage({ mode: mode === 'spin' ? 'spin' : 'wait', rounds });
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    Atomics.store(cells, 0, 2 * i + 1);
    Atomics.notify(cells, 0);
    const want = 2 * i + 2;
    if (mode === 'spin' || mode === 'spin-main') {
      while (Atomics.load(cells, 0) !== want) {}
    } else if (mode === 'wait') {
      while (Atomics.load(cells, 0) !== want) Atomics.wait(cells, 0, want - 1);
    } else {
      while (Atomics.load(cells, 0) !== want) {
        const r = (Atomics as unknown as { waitAsync: typeof waitAsyncType }).waitAsync(
          cells,
          0,
          want - 1,
        );
        if (r.async) await r.value;
      }
    }
  }
  const rate = rounds / ((performance.now() - start) / 1000);
  await done;
  await worker.terminate();
  return rate;
}
declare function waitAsyncType(
  cells: Int32Array,
  index: number,
  value: number,
): { async: false; value: string } | { async: true; value: Promise<string> };

/** Every mode once (after a warm-up), as round trips/s. */
export async function floor(rounds: number): Promise<Record<FloorMode, number>> {
  const out = {} as Record<FloorMode, number>;
  for (const mode of ['spin', 'spin-main', 'wait', 'wait-async'] as FloorMode[]) {
    await floorRun(mode, rounds / 10);
    out[mode] = await floorRun(mode, rounds);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.env.ROUNDS ?? 100_000);
  const { loadavg } = await import('node:os');
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [mode, rate] of Object.entries(await floor(rounds))) {
    console.log(
      `${mode}: ${(rate / 1000).toFixed(1)}k round trips/s (${(1e6 / rate).toFixed(2)} us each)`,
    );
  }
}
