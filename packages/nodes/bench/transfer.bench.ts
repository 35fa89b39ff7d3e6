/**
 * Moving ArrayBuffers to another node with `transfer()` against copying them (a plain
 * send), in one run: one-way sends of a buffer to a process on a worker node, at a few
 * sizes, as messages/s and MB/s, and the ratio transfer / copy. Each send gets a fresh
 * buffer in both modes (a transfer detaches the one it sends), made before the clock.
 *
 * Run: node --conditions=actorkit-source --import tsx bench/transfer.bench.ts
 * MB (default 256) is the volume sent per size and mode.
 */
import { loadavg } from 'node:os';
import type { Pid } from '@actorkit/core';
import { startNodes } from '../src/nodes.js';
import { transfer } from '../src/transfer.js';

const VOLUME = Number(process.env.MB ?? 256) * 1024 * 1024;
const SIZES = [64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
const processes = new URL('./transfer-processes.ts', import.meta.url);

const nodes = await startNodes({ workers: 1 });
try {
  const sink = await nodes.spawn(1, processes, 'sink');
  const run = (size: number, move: boolean): Promise<number> =>
    new Promise((resolve) => {
      const count = Math.max(4, Math.floor(VOLUME / size));
      const buffers = Array.from({ length: count }, () => new Uint8Array(size).fill(1));
      nodes.runtime.spawn(async (ctx) => {
        const start = performance.now();
        for (const bytes of buffers) {
          const message = { bytes };
          ctx.send(sink as Pid<any>, move ? transfer(message, [bytes.buffer]) : message);
          // A turn now and then, so the port batches stay a few buffers each.
          await new Promise((r) => setImmediate(r));
        }
        ctx.send(sink as Pid<any>, { from: ctx.self, done: true });
        await ctx.receive();
        resolve((count / (performance.now() - start)) * 1000);
      });
    });
  console.log(`load ${loadavg()[0]!.toFixed(2)}, ${VOLUME / 1024 / 1024} MB per size and mode`);
  console.log(
    '| size | copy msgs/s | transfer msgs/s | copy MB/s | transfer MB/s | transfer / copy |',
  );
  console.log(
    '| ---- | ----------- | --------------- | --------- | ------------- | --------------- |',
  );
  for (const size of SIZES) {
    await run(size, false); // warm-up
    const copy = await run(size, false);
    const moved = await run(size, true);
    const mb = size / 1024 / 1024;
    console.log(
      `| ${size / 1024} KiB | ${copy.toFixed(0)} | ${moved.toFixed(0)} | ${(copy * mb).toFixed(0)} | ${(moved * mb).toFixed(0)} | ${(moved / copy).toFixed(2)}x |`,
    );
  }
} finally {
  await nodes.stop();
}
