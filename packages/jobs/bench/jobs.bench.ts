/**
 * The jobs benchmark: end-to-end throughput of durable jobs (enqueue in batches → no-op
 * perform → complete) at each durability level, in one process and in two OS processes
 * sharing the database, beside a hand-written minimal SQLite queue in the same run (the
 * ceiling for an embedded store) and BullMQ on a private `redis-server` (without
 * persistence against 'process', with AOF everysec against 'machine'), and enqueue→start
 * latency at a steady 1,000 jobs/s. Each workload runs once to warm up, then `BENCH_RUNS`
 * times (default 3), rotating which system goes first; the table shows medians and ratios.
 *
 * The one-process throughput rows make each timed run in a fresh child process (this file
 * again, with `--contender`), one child at a time, rotating which contender goes first
 * round by round: the child runs the workload `BENCH_CHILD_WARMUPS` times (default 2)
 * untimed, then once timed, and exits. Nothing else runs meanwhile, so no contender pays
 * for another's garbage, and no full collection stands between a warm-up and the timed run:
 * - Side by side in one process, a contender paid for the garbage of the one before it: V8
 *   collects and sweeps what a BullMQ run leaves (~50–100 MB) on its helper threads while
 *   the next run is timed, and on a 2-core machine those threads take a core from it
 *   (`bench/results/2026-12-06-contenders.md`).
 * - Long-lived children that forced two full collections after each run (so that an idle
 *   child's collector stayed quiet) undid their warm-up instead: V8 drops the maps of
 *   objects of which none is alive at two full collections, and deoptimizes the code built
 *   on them, so each run started cold. The queue, whose attempts' objects all die between
 *   runs, measured 9.7 µs of CPU a job back to back and 19.6 µs right after such a
 *   collection; the minimal queue, nearly all SQLite, 5.4 and 5.7
 *   (`bench/results/2026-12-06-cold-runs.md`).
 * `BENCH_CONTENDERS=shared` runs the contenders in this process, rotating, as before.
 *
 * `BENCH_ONLY=process,machine,two-process,latency` (any of them) runs only those rows and
 * writes no results file.
 *
 * The two-process children are new processes each run: they take `BENCH_TWO_PROCESS_WARMUP`
 * jobs (default half of `BENCH_JOBS`) untimed first, as the one-process rows' process has run
 * the workload before it is timed (0 times cold children).
 *
 * Databases are files in the OS temp folder, so 'machine' pays real fsyncs (its enqueues';
 * the minimal queue's, one per commit).
 * Without `redis-server` on the PATH (Debian: `apt-get install redis-server`) the BullMQ
 * columns say so and the rest runs. Run with `pnpm --filter @actorkit/jobs bench`: it builds
 * the packages, then runs this file against `dist/`. The table goes to stdout and to
 * `bench/results/latest.md`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '@actorkit/core';
import { defineWorker, job, Queue, SqliteStore } from '@actorkit/jobs';
import { median, perSecond, until } from '../../core/bench/measure.js';
import { bullmqLatency, bullmqThroughput } from './bullmq.js';
import { finishedCheck } from './finished-check.js';
import { MinimalQueue } from './minimal-queue.js';
import { type RedisServer, redisServerInstalled, startRedis } from './redis-server.js';
import { bundleChild, type Durability, twoProcesses } from './two-processes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const BATCH = 1000;
const CONCURRENCY = 50;
const LATENCY_SECONDS = 3;
/** Jobs the two children of a two-process run take before the timed ones (see `TwoProcessShape.warmup`). */
const TWO_PROCESS_WARMUP = Number(process.env.BENCH_TWO_PROCESS_WARMUP ?? JOBS / 2);

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-bench-'));
  try {
    return await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Jobs/s through a queue: enqueue JOBS in batches, run them with a no-op worker, until all are completed. */
function actorkitThroughput(durability: Durability): Promise<number> {
  return inTempDir(async (dir) => {
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path, durability });
    const runtime = new Runtime();
    let performed = 0;
    const Noop = defineWorker({ name: 'noop', perform: () => void performed++ });
    await Queue.start({ runtime, store, workers: [Noop], concurrency: CONCURRENCY, node: 'bench' });
    const finished = finishedCheck(path);
    const started = performance.now();
    for (let i = 0; i < JOBS; i += BATCH) {
      await store.enqueue(Array.from({ length: BATCH }, (_, n) => job(Noop, { n: i + n })));
    }
    await until(() => performed >= JOBS);
    while (!finished.allFinished()) await sleep(0);
    const rate = perSecond(JOBS, started);
    finished.close(JOBS);
    await runtime.stop();
    await store.close();
    return rate;
  });
}

/** The same shape through the minimal queue. */
function minimalThroughput(durability: Durability): Promise<number> {
  return inTempDir(async (dir) => {
    const queue = new MinimalQueue(
      join(dir, 'jobs.db'),
      durability === 'machine' ? 'FULL' : 'NORMAL',
      true,
      CONCURRENCY,
    );
    let performed = 0;
    const started = performance.now();
    for (let i = 0; i < JOBS; i += BATCH) {
      queue.enqueue(Array.from({ length: BATCH }, (_, n) => ({ n: i + n })));
      await Promise.resolve();
    }
    const done = await queue.drain(() => void performed++);
    if (done !== JOBS || performed !== JOBS)
      throw new Error(`minimal queue ran ${done} of ${JOBS}`);
    const rate = perSecond(JOBS, started);
    queue.close();
    return rate;
  });
}

/** Jobs/s with two OS processes draining one database (see `two-processes.ts`). */
function twoProcessRate(system: 'actorkit' | 'minimal', durability: Durability): Promise<number> {
  return inTempDir(async (dir) => {
    const result = await twoProcesses(system, durability, dir, {
      jobs: JOBS,
      batch: BATCH,
      concurrency: CONCURRENCY,
      warmup: TWO_PROCESS_WARMUP,
    });
    return result.rate;
  });
}

/**
 * Enqueue→start latency in ms (p50, p99) at a steady 1,000 enqueues a second, one job each,
 * and enqueue→resolved (`durable`: when the caller learns the job is committed, at
 * 'machine' synced). The enqueues come on schedule without waiting for each other, as
 * requests of many clients would: one caller awaiting each durable enqueue in turn cannot
 * pass one enqueue per fsync (~250/s at 4 ms), whatever the queue does.
 */
function actorkitLatency(durability: Durability): Promise<Latency> {
  return inTempDir(async (dir) => {
    const store = new SqliteStore({ path: join(dir, 'jobs.db'), durability });
    const runtime = new Runtime();
    const latencies: number[] = [];
    const Stamp = defineWorker({
      name: 'stamp',
      perform: ({ at }: { at: number }) => void latencies.push(performance.now() - at),
    });
    await Queue.start({
      runtime,
      store,
      workers: [Stamp],
      concurrency: CONCURRENCY,
      node: 'bench',
    });
    const total = LATENCY_SECONDS * 1000;
    const durable: number[] = [];
    const enqueues: Promise<unknown>[] = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      // One job per ms of the schedule: catch up if behind, wait if ahead.
      const due = started + i;
      const ahead = due - performance.now();
      if (ahead > 0) await sleep(ahead);
      const at = performance.now();
      const enqueued = store.enqueue([job(Stamp, { at })]);
      enqueues.push(enqueued.then(() => durable.push(performance.now() - at)));
    }
    await Promise.all(enqueues);
    await until(() => latencies.length >= total);
    await runtime.stop();
    await store.close();
    latencies.sort((a, b) => a - b);
    durable.sort((a, b) => a - b);
    return {
      p50: latencies[Math.floor(total * 0.5)]!,
      p99: latencies[Math.floor(total * 0.99)]!,
      durable: { p50: durable[Math.floor(total * 0.5)]!, p99: durable[Math.floor(total * 0.99)]! },
    };
  });
}

interface Row {
  label: string;
  actorkit: number;
  minimal: number;
  /** BullMQ's median, or why there is none. */
  bullmq: number | string;
}

/**
 * Runs each system once to warm up (unless `warmUp` is false: each run warms itself), then
 * RUNS times, rotating which goes first so none always gets the warmer disk cache; resolves
 * with each system's median.
 */
async function compare(systems: (() => Promise<number>)[], warmUp = true): Promise<number[]> {
  if (warmUp) for (const system of systems) await system();
  const results: number[][] = systems.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < systems.length; k++) {
      const which = (run + k) % systems.length;
      results[which]!.push(await systems[which]!());
    }
  }
  return results.map(median);
}

const NO_REDIS = 'not run: no redis-server on the PATH';

/** Runs `body` with a private redis-server (AOF at 'machine'), stopped afterwards whatever happens; undefined without one. */
async function withRedis<T>(
  durability: Durability,
  body: (redis: RedisServer | undefined) => Promise<T>,
): Promise<T> {
  if (!redisServerInstalled()) return body(undefined);
  const redis = await startRedis(durability === 'machine');
  try {
    return await body(redis);
  } finally {
    await redis.stop();
  }
}

/** A contender of the one-process throughput rows. */
type Contender = 'actorkit' | 'minimal' | 'bullmq';

/** One run of `contender` (BullMQ on the redis-server at `redisPort`), in jobs/s. */
function runContender(
  contender: Contender,
  durability: Durability,
  redisPort: number,
): Promise<number> {
  switch (contender) {
    case 'actorkit':
      return actorkitThroughput(durability);
    case 'minimal':
      return minimalThroughput(durability);
    case 'bullmq': {
      const redis = { port: redisPort, appendonly: durability === 'machine', stop: async () => {} };
      return bullmqThroughput(redis, JOBS, BATCH, CONCURRENCY);
    }
  }
}

/** Untimed runs a contender's child makes before its timed one (`BENCH_CHILD_WARMUPS`). */
const CHILD_WARMUPS = Number(process.env.BENCH_CHILD_WARMUPS ?? 2);

/**
 * The child's side of `isolated` (`--contender <name> <durability> <redis port>`): runs the
 * contender `CHILD_WARMUPS` times untimed, then once more, and writes that run's jobs/s.
 */
async function contenderChild([name, durability, port]: string[]): Promise<void> {
  for (let run = 0; run < CHILD_WARMUPS; run++) {
    await runContender(name as Contender, durability as Durability, Number(port));
  }
  const rate = await runContender(name as Contender, durability as Durability, Number(port));
  process.stdout.write(`${rate}\n`);
}

/** One timed run of `contender` in a fresh child process (see `contenderChild`). */
function runInChild(contender: Contender, durability: Durability, redisPort: number) {
  const args = [...process.execArgv, process.argv[1]!, '--contender', contender, durability];
  const child = spawn(process.execPath, [...args, String(redisPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const rate = Number(output.trim());
      if (code === 0 && Number.isFinite(rate)) resolve(rate);
      else reject(new Error(`the ${contender} contender exited with ${code}: ${output.trim()}`));
    });
  });
}

/**
 * Each contender's median over RUNS runs, each run in a fresh child process of its own
 * (see the module documentation), one at a time, rotating which goes first as `compare`
 * does, so that a change in the machine's load meets every contender alike.
 */
function isolated(
  contenders: readonly Contender[],
  durability: Durability,
  redis: RedisServer | undefined,
): Promise<number[]> {
  const port = redis?.port ?? 0;
  return compare(
    contenders.map((contender) => () => runInChild(contender, durability, port)),
    false,
  );
}

/**
 * The one-process throughput row at `durability`: each contender in its own child process
 * (`BENCH_CONTENDERS=shared`: all in this process, rotating, as before 2026-12-06 09:00 UTC).
 */
function throughputRow(durability: Durability): Promise<Row> {
  return withRedis(durability, async (redis) => {
    let actorkit: number | undefined;
    let minimal: number | undefined;
    let bullmq: number | undefined;
    if (process.env.BENCH_CONTENDERS === 'shared') {
      const systems = [() => actorkitThroughput(durability), () => minimalThroughput(durability)];
      if (redis) systems.push(() => bullmqThroughput(redis, JOBS, BATCH, CONCURRENCY));
      [actorkit, minimal, bullmq] = await compare(systems);
    } else {
      const all: Contender[] = redis ? ['actorkit', 'minimal', 'bullmq'] : ['actorkit', 'minimal'];
      [actorkit, minimal, bullmq] = await isolated(all, durability, redis);
    }
    return {
      label: `end to end, ${JOBS / 1000}k no-op jobs, concurrency ${CONCURRENCY}, durability '${durability}' (jobs/s)`,
      actorkit: actorkit!,
      minimal: minimal!,
      bullmq: bullmq ?? NO_REDIS,
    };
  });
}

async function twoProcessRow(durability: Durability): Promise<Row> {
  const [actorkit, minimal] = await compare([
    () => twoProcessRate('actorkit', durability),
    () => twoProcessRate('minimal', durability),
  ]);
  return {
    label: `2 OS processes on one database, ${JOBS / 1000}k no-op jobs (after ${TWO_PROCESS_WARMUP / 1000}k untimed), concurrency ${CONCURRENCY} each, durability '${durability}' (jobs/s)`,
    actorkit: actorkit!,
    minimal: minimal!,
    bullmq: 'not measured (one process only)',
  };
}

type Latency = { p50: number; p99: number; durable?: { p50: number; p99: number } };

/** Median p50 and p99 over RUNS runs, after one to warm up. */
async function latencyOf(measure: () => Promise<Latency>): Promise<Latency> {
  await measure();
  const runs: Latency[] = [];
  for (let run = 0; run < RUNS; run++) runs.push(await measure());
  const result: Latency = {
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
  const durable = runs.flatMap((r) => (r.durable === undefined ? [] : [r.durable]));
  if (durable.length > 0) {
    result.durable = {
      p50: median(durable.map((d) => d.p50)),
      p99: median(durable.map((d) => d.p99)),
    };
  }
  return result;
}

function latencyRow(durability: Durability): Promise<string> {
  return withRedis(durability, async (redis) => {
    const ours = await latencyOf(() => actorkitLatency(durability));
    const theirs = redis
      ? await latencyOf(() => bullmqLatency(redis, LATENCY_SECONDS, CONCURRENCY))
      : undefined;
    const show = (l: Latency) =>
      `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms` +
      (l.durable === undefined
        ? ''
        : ` (enqueue resolved: p50 ${l.durable.p50.toFixed(2)} ms, p99 ${l.durable.p99.toFixed(2)} ms)`);
    return `| enqueue→start at 1k jobs/s, durability '${durability}' | ${show(ours)} | ${theirs ? show(theirs) : NO_REDIS} |`;
  });
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

function tableRow(r: Row): string {
  const bullmq = typeof r.bullmq === 'number' ? format(r.bullmq) : r.bullmq;
  const vsBullmq = typeof r.bullmq === 'number' ? `${(r.actorkit / r.bullmq).toFixed(2)}x` : '';
  return `| ${r.label} | ${format(r.actorkit)} | ${format(r.minimal)} | ${(r.actorkit / r.minimal).toFixed(2)}x | ${bullmq} | ${vsBullmq} |`;
}

/**
 * The row groups to run: `BENCH_ONLY=process,machine,two-process,latency` (any of them) runs
 * only those and writes no results file; unset runs all.
 */
const ONLY = process.env.BENCH_ONLY?.split(',').map((id) => id.trim());
const wanted = (id: string) => ONLY === undefined || ONLY.includes(id);

async function main(): Promise<void> {
  if (!redisServerInstalled()) {
    console.warn(
      'No redis-server on the PATH: the BullMQ columns are skipped (Debian: apt-get install redis-server).',
    );
  }
  const rows: Row[] = [];
  for (const durability of ['process', 'machine'] as const)
    if (wanted(durability)) rows.push(await throughputRow(durability));
  if (wanted('two-process')) {
    await bundleChild();
    for (const durability of ['process', 'machine'] as const)
      rows.push(await twoProcessRow(durability));
  }
  const latency: string[] = [];
  if (wanted('latency')) {
    for (const durability of ['process', 'machine'] as const)
      latency.push(await latencyRow(durability));
  }
  const table = [
    "| workload | @actorkit/jobs | minimal SQLite queue | ratio | BullMQ (Redis: no persistence at 'process', AOF everysec at 'machine') | ratio |",
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(tableRow),
    '',
    '| latency (in-process enqueue wakes the queue), median of runs | @actorkit/jobs | BullMQ |',
    '| --- | ---: | ---: |',
    ...latency,
  ].join('\n');
  const header = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${RUNS} runs, ${new Date().toISOString()}`;
  console.log(`${header}\n\n${table}`);
  if (ONLY !== undefined) return;
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  writeFileSync(new URL('latest.md', results), `# @actorkit/jobs bench\n\n${header}\n\n${table}\n`);
}

const contender = process.argv.indexOf('--contender');
if (contender >= 0) await contenderChild(process.argv.slice(contender + 1));
else await main();
