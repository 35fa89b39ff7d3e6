/**
 * What placement and remote tasks cost, in one run: sequential spawns on a worker node
 * by node number (the baseline) against `roundRobin()`, `leastLoaded()` (one load
 * measure per 100 ms) and `leastLoaded({ maxAge: 0 })` (a measure per spawn), and a
 * remote task (`nodes.async` + `Task.await`) against a local `Task.async` + `Task.await`.
 * Reports ops/s and the ratio to the baseline of the same kind.
 *
 * Run: node --conditions=actorkit-source --import tsx packages/nodes/bench/placement.bench.ts
 * N (default 1000) changes the number of operations per row.
 */
import { loadavg } from 'node:os';
import { Task } from '@actorkit/genserver';
import { startNodes } from '../src/nodes.js';
import { leastLoaded, roundRobin } from '../src/placement.js';

const N = Number(process.env.N ?? 1000);
const processes = new URL('./placed-processes.ts', import.meta.url);

async function rate(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(100, N); i++) await run(); // warm-up
  const start = performance.now();
  for (let i = 0; i < N; i++) await run();
  return N / ((performance.now() - start) / 1000);
}

const nodes = await startNodes({ workers: 2 });
const rows: [string, number, number][] = [];
const spawnBase = await rate(() => nodes.spawn(1, processes, 'brief'));
rows.push(['spawn on node 1 (baseline)', spawnBase, 1]);
for (const [name, where] of [
  ['spawn, roundRobin()', roundRobin()],
  ['spawn, leastLoaded()', leastLoaded()],
  ['spawn, leastLoaded({ maxAge: 0 })', leastLoaded({ maxAge: 0 })],
] as const) {
  const r = await rate(() => nodes.spawn(where, processes, 'brief'));
  rows.push([name, r, r / spawnBase]);
}
const local = await rate(() => Task.await(Task.async(() => 2 * 21, { runtime: nodes.runtime })));
rows.push(['local Task.async + await (baseline)', local, 1]);
const remote = await rate(() => Task.await(nodes.async(1, processes, 'double', [21])));
rows.push(['nodes.async(1) + Task.await', remote, remote / local]);
await nodes.stop();

console.log(
  `placement bench, N=${N}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [name, ops, ratio] of rows) {
  console.log(
    `${name.padEnd(40)} ${Math.round(ops).toString().padStart(8)} ops/s  ${ratio.toFixed(3)}x`,
  );
}
