/**
 * The two-process rows alone, for profiling: `@actorkit/jobs` and the minimal queue
 * alternating, two child processes on one database at one durability, with jobs/s and the
 * CPU time per job of the parent (enqueues, watching) and of the children (bundled, as in
 * the bench; the parent runs the sources):
 *
 *   DURABILITY=process ROUNDS=5 node --conditions=actorkit-source --import tsx bench/two-process-throughput.ts
 *
 * A child's CPU profile: `CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../../core/bench/measure.js';
import {
  bundleChild,
  type Durability,
  type TwoProcessResult,
  twoProcesses,
} from './two-processes.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
/** WARMUP=0 times cold children (see `TwoProcessShape.warmup`). */
const SHAPE = {
  jobs: JOBS,
  batch: 1000,
  concurrency: 50,
  warmup: Number(process.env.WARMUP ?? JOBS / 2),
};
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURABILITY = (process.env.DURABILITY ?? 'process') as Durability;
const ONLY = process.env.ONLY as 'actorkit' | 'minimal' | undefined;

async function run(system: 'actorkit' | 'minimal'): Promise<TwoProcessResult> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-two-'));
  try {
    return await twoProcesses(system, DURABILITY, dir, SHAPE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await bundleChild();
const names = ONLY === undefined ? (['actorkit', 'minimal'] as const) : [ONLY];
const results = new Map<string, TwoProcessResult[]>(names.map((n) => [n, []]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const result = await run(name);
    if (round > 0) results.get(name)!.push(result); // round 0 warms up
  }
}
const rates = new Map<string, number>();
for (const [name, runs] of results) {
  const rate = median(runs.map((r) => r.rate));
  rates.set(name, rate);
  const parent = median(runs.map((r) => r.parentCpuPerJob));
  const children = median(runs.map((r) => r.childrenCpuPerJob));
  console.log(
    `${name.padEnd(9)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} jobs/s  CPU/job: parent ${parent.toFixed(1)} µs, children ${children.toFixed(1)} µs  (rates ${runs.map((r) => Math.round(r.rate)).join(', ')})`,
  );
}
if (rates.size === 2) {
  console.log(`ratio     ${(rates.get('actorkit')! / rates.get('minimal')!).toFixed(2)}x jobs/s`);
}
