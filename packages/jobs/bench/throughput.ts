/**
 * The end-to-end throughput rows alone, for profiling: `@actorkit/jobs` and the minimal
 * queue alternating in one process at one durability, with jobs/s and CPU per job (user +
 * system of the process, which on a shared machine is steadier than jobs/s). Bundle it
 * first (the sources, as the two-process children are: see `test/bundle.ts`), then run it,
 * under `--cpu-prof` to see where a job's time goes:
 *
 *   node -e "import('esbuild').then((e) => e.build({ entryPoints: ['bench/throughput.ts'],
 *     outfile: 'node_modules/.cache/jobs-bench/throughput.mjs', bundle: true, platform: 'node',
 *     format: 'esm', conditions: ['actorkit-source'], external: ['better-sqlite3'] }))"
 *   DURABILITY=process ROUNDS=5 node --cpu-prof node_modules/.cache/jobs-bench/throughput.mjs
 *
 * Two builds side by side (a change's A/B): bundle each (a copy of `src/` from `git archive`
 * for the one before), then run the two bundles alternately, a few rounds each, and compare
 * their ratios to the minimal queue (see `bench/results/2026-12-06-gc-churn.md`).
 *
 * A/B of a database setting or index in the same run: `VARIANT_SQL='DROP INDEX …'` adds a
 * `variant` row, the store with that SQL run on its connection once opened, alternating with
 * the store as it is and the minimal queue (each against the minimal queue at the end).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '@actorkit/core';
import Database from 'better-sqlite3';
import { median, until } from '../../core/bench/measure.js';
import { defineWorker, job, Queue, SqliteStore } from '../src/index.js';
import { finishedCheck } from './finished-check.js';
import { MinimalQueue } from './minimal-queue.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURABILITY = (process.env.DURABILITY ?? 'process') as 'process' | 'machine';
const ONLY = process.env.ONLY;
const BATCH = 1000;
const CONCURRENCY = 50;

interface Result {
  rate: number;
  cpuPerJob: number;
}

/** Times `run`; what it returns, a check of its outcome, runs after the timing. */
async function measure(run: (dir: string) => Promise<(() => void) | void>): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-throughput-'));
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const check = await run(dir);
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    check?.();
    return { rate: JOBS / (elapsed / 1000), cpuPerJob: (used.user + used.system) / JOBS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function actorkit(variant?: string): Promise<Result> {
  return measure(async (dir) => {
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path, durability: DURABILITY });
    // The A/B variant (VARIANT_SQL): statements run on the store's own connection first.
    if (variant !== undefined) (store as unknown as { db: Database.Database }).db.exec(variant);
    const runtime = new Runtime();
    let performed = 0;
    const Noop = defineWorker({ name: 'noop', perform: () => void performed++ });
    if (process.env.COUNT_BATCHES) countBatches(store);
    await Queue.start({ runtime, store, workers: [Noop], concurrency: CONCURRENCY, node: 'bench' });
    const finished = finishedCheck(path);
    for (let i = 0; i < JOBS; i += BATCH) {
      await store.enqueue(Array.from({ length: BATCH }, (_, n) => job(Noop, { n: i + n })));
    }
    await until(() => performed >= JOBS);
    while (!finished.allFinished()) await sleep(0);
    await runtime.stop();
    await store.close();
    return () => finished.close(JOBS);
  });
}

/** Counts settle and claim calls and their sizes (COUNT_BATCHES=1): how well outcomes batch. */
function countBatches(store: SqliteStore): void {
  const calls = { settleAndClaim: 0, settled: 0, claimed: 0, claim: 0, claimedAlone: 0, settle: 0 };
  const settleAndClaim = store.settleAndClaim.bind(store);
  store.settleAndClaim = async (outcomes, request) => {
    const result = await settleAndClaim(outcomes, request);
    calls.settleAndClaim++;
    calls.settled += outcomes.length;
    calls.claimed += result.claimed.length;
    return result;
  };
  const claim = store.claim.bind(store);
  store.claim = async (request) => {
    const result = await claim(request);
    calls.claim++;
    calls.claimedAlone += result.length;
    return result;
  };
  const settle = store.settle.bind(store);
  store.settle = async (outcomes) => {
    calls.settle++;
    return settle(outcomes);
  };
  process.once('beforeExit', () => console.log(calls));
}

function minimal(): Promise<Result> {
  return measure(async (dir) => {
    const queue = new MinimalQueue(
      join(dir, 'jobs.db'),
      DURABILITY === 'machine' ? 'FULL' : 'NORMAL',
    );
    for (let i = 0; i < JOBS; i += BATCH) {
      queue.enqueue(Array.from({ length: BATCH }, (_, n) => ({ n: i + n })));
      await Promise.resolve();
    }
    await queue.drain(() => undefined);
    queue.close();
  });
}

const VARIANT_SQL = process.env.VARIANT_SQL;
const systems: Record<string, () => Promise<Result>> =
  VARIANT_SQL === undefined
    ? { actorkit: () => actorkit(), minimal }
    : { actorkit: () => actorkit(), variant: () => actorkit(VARIANT_SQL), minimal };
const names = ONLY === undefined ? Object.keys(systems) : [ONLY];
const results = new Map<string, Result[]>(names.map((n) => [n, []]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const result = await systems[name]!();
    if (round > 0) results.get(name)!.push(result); // round 0 warms up
  }
}
for (const [name, runs] of results) {
  const rate = median(runs.map((r) => r.rate));
  const cpu = median(runs.map((r) => r.cpuPerJob));
  console.log(
    `${name.padEnd(9)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} jobs/s  ${cpu.toFixed(1)} µs CPU/job`,
  );
}
const baseline = results.get('minimal');
if (baseline !== undefined) {
  for (const name of names.filter((n) => n !== 'minimal')) {
    const a = results.get(name)!;
    const rate = median(a.map((r) => r.rate)) / median(baseline.map((r) => r.rate));
    const cpu = median(baseline.map((r) => r.cpuPerJob)) / median(a.map((r) => r.cpuPerJob));
    console.log(`${name} / minimal ${rate.toFixed(2)}x jobs/s, ${cpu.toFixed(2)}x by CPU`);
  }
}
