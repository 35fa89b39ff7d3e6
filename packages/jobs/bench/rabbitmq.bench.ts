/**
 * The RabbitMQ bench: end-to-end throughput of durable jobs on a private broker (publish
 * with confirms in batches of 1,000 → no-op perform → ack) with the `RabbitMqStore` and,
 * in the same run, a hand-written raw amqplib baseline (`rabbitmq-raw.ts`) on the same
 * kind of queue: the producer in this process, the workers in 1 and 2 OS processes
 * (`rabbitmq-child.ts`), on quorum and classic durable queues; enqueue→start latency at a
 * steady 1,000 jobs/s (producer and worker in this process, enqueues not awaited one by
 * one: a quorum confirm takes longer than a millisecond); and, for orientation, the
 * SQLite store at 'machine' and BullMQ on a private redis-server (AOF everysec) with the
 * same jobs in one process, as `jobs.bench.ts` runs them.
 *
 * Beside jobs/s it reports the CPU each job cost the producer, the worker processes and
 * the broker (its Erlang VM, from /proc): on a shared machine those are steadier than
 * rates, and they are what an estimate for a cluster is built from. Each workload runs
 * once to warm up, then `BENCH_RUNS` times (default 3), rotating which system goes first;
 * the tables show medians and ratios. Only 127.0.0.1: the broker is the tests' private
 * one (`startBroker` from `@actorkit/test-support`), started here and stopped at the end.
 *
 * Run with `pnpm --filter @actorkit/jobs bench:rabbitmq`. Without Debian's
 * `rabbitmq-server` (`bash scripts/install-rabbitmq.sh`) it says so and exits. The tables
 * go to stdout and, for a whole run, to `bench/results/rabbitmq-latest.md`.
 * `BENCH_ONLY=throughput`, `latency` or `peers` runs one part (printed only);
 * `BENCH_PROFILE=<dir>` runs one store round (`BENCH_PROFILE_SYSTEM=raw`: the baseline's)
 * with the producer and the worker under the CPU profiler, writing their profiles to `<dir>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@actorkit/core';
import { type Broker, rabbitmqInstalled, startBroker } from '@actorkit/test-support';
import { connect } from 'amqplib';
import { build } from 'esbuild';
import { median, perSecond, signal, until } from '../../core/bench/measure.js';
// The modules themselves, not the package index: the bench needs neither the observer view nor the CLI.
import { job } from '../src/enqueue.js';
import { Queue } from '../src/queue.js';
import { RabbitMqStore } from '../src/rabbitmq/index.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { defineWorker } from '../src/worker.js';
import { bullmqLatency, bullmqThroughput } from './bullmq.js';
import { finishedCheck } from './finished-check.js';
import {
  declareRawQueue,
  deleteRawQueue,
  type QueueType,
  RawConsumer,
  RawProducer,
} from './rabbitmq-raw.js';
import { redisServerInstalled, startRedis } from './redis-server.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const ONLY = process.env.BENCH_ONLY;
const PROFILE = process.env.BENCH_PROFILE;
const PROFILE_SYSTEM = (process.env.BENCH_PROFILE_SYSTEM ?? 'store') as System;
const BATCH = 1000;
const CONCURRENCY = 50;
const LATENCY_SECONDS = 3;
const CLOCK_TICK_US = 10_000; // /proc/<pid>/stat counts in 1/100 s (CLK_TCK 100 on Linux)

type System = 'store' | 'raw';

/** A run's rate and the CPU (µs) each job cost the producer, the workers and the broker. */
interface Measured {
  rate: number;
  producer: number;
  workers: number;
  broker: number;
}

let runs = 0;

/** The Erlang VM of `broker`: its PID, found by its node name in its environment. */
function beamPid(broker: Broker): number {
  const node = `RABBITMQ_NODENAME=actorkit-${broker.port}@localhost\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The broker's VM boots rabbit; its start script runs short-lived VMs of its own.
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('beam.smp') || !cmdline.includes('rabbit\0boot')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(node)) return Number(entry);
    } catch {
      // a process that ended while we looked
    }
  }
  throw new Error(`no Erlang VM with node name ${node} found in /proc`);
}

/** µs of CPU (user + system) process `pid` has used. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_US;
}

function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const childScript = fileURLToPath(
  new URL('../node_modules/.cache/jobs-bench/rabbitmq-child.mjs', import.meta.url),
);

/**
 * Bundles `rabbitmq-child.ts` (and the workspace sources it imports) into plain JavaScript:
 * a tsx start costs seconds on a loaded machine. amqplib and better-sqlite3 stay external
 * (CommonJS that requires Node's modules; a native module).
 */
async function bundleChild(): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL('./rabbitmq-child.ts', import.meta.url))],
    outfile: childScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['actorkit-source'],
    external: ['amqplib', 'better-sqlite3'],
    logLevel: 'error',
  });
}

/** A worker process of `rabbitmq-child.ts`: its acked count and a way to ask for its CPU. */
class WorkerProcess {
  acked = 0;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private cpuWaiter: ((cpu: number) => void) | undefined;
  private onDone: () => void = () => {};

  constructor(env: Record<string, string>, execArgv: string[] = []) {
    this.child = spawn(process.execPath, [...execArgv, childScript], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const { done, finished } = signal();
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
    this.ready = Promise.race([
      finished,
      this.exited.then(() => {
        throw new Error(`the worker process exited before it was ready (${childScript})`);
      }),
    ]);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string; count?: number; cpu?: number };
      if (message.event === 'ready') done();
      else if (message.event === 'done') {
        this.acked = message.count!;
        this.onDone();
      } else if (message.event === 'cpu') this.cpuWaiter?.(message.cpu!);
    });
  }

  /** Calls `listener` each time the acked count changes. */
  watch(listener: () => void): void {
    this.onDone = listener;
  }

  cpu(): Promise<number> {
    return new Promise((resolve) => {
      this.cpuWaiter = resolve;
      this.child.stdin!.write('cpu\n');
    });
  }

  /** Asks it to close and exit (its `--cpu-prof` profile is written then). */
  async exit(): Promise<void> {
    this.child.stdin!.write('exit\n');
    await this.exited;
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Waits until queue `name` has `count` consumers (the workers are consuming). */
async function untilConsumers(url: string, name: string, count: number): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    while ((await channel.checkQueue(name)).consumerCount < count) await sleep(20);
  } finally {
    await connection.close();
  }
}

/** The producer side of a system: declares, publishes a batch with confirms, closes. */
interface Producer {
  /** The broker queue the workers consume. */
  queue: string;
  env: Record<string, string>;
  publish(from: number, count: number): Promise<unknown>;
  close(): Promise<void>;
  /** Deletes what the run declared on the broker. */
  cleanUp(): Promise<void>;
}

async function openProducer(broker: Broker, system: System, type: QueueType): Promise<Producer> {
  const run = ++runs;
  if (system === 'raw') {
    const queue = `bench.raw.${type}.${run}`;
    const connection = await connect(broker.url);
    await declareRawQueue(await connection.createChannel(), queue, type);
    await connection.close();
    const producer = await RawProducer.open(broker.url, queue);
    return {
      queue,
      env: { SYSTEM: 'raw', QUEUE: queue },
      publish: (from, count) => producer.publishBatch(from, count),
      close: () => producer.close(),
      cleanUp: () => deleteRawQueue(broker.url, [queue]),
    };
  }
  const prefix = `bench.store.${run}`;
  const store = new RabbitMqStore({ url: broker.url, prefix, queueType: type });
  await store.declareQueue('default');
  const Noop = defineWorker({ name: 'noop', perform: () => undefined });
  return {
    queue: `${prefix}.default`,
    env: { SYSTEM: 'store', PREFIX: prefix, QUEUE_TYPE: type },
    publish: (from, count) =>
      store.enqueue(Array.from({ length: count }, (_, n) => job(Noop, { n: from + n }))),
    close: () => store.close(),
    cleanUp: () =>
      deleteRawQueue(
        broker.url,
        [`${prefix}.default`, `${prefix}.default.dead`],
        [`${prefix}.dead`],
      ),
  };
}

/**
 * Jobs/s with the producer here and `workers` worker processes: the time runs from the
 * first publish until the workers acked every job; CPU per job of each side.
 */
async function endToEnd(
  broker: Broker,
  system: System,
  type: QueueType,
  workers: number,
  profile?: string,
): Promise<Measured> {
  const producer = await openProducer(broker, system, type);
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const children = Array.from(
    { length: workers },
    () =>
      new WorkerProcess(
        { ...producer.env, URL: broker.url, CONCURRENCY: String(CONCURRENCY) },
        execArgv,
      ),
  );
  try {
    await Promise.all(children.map((c) => c.ready));
    await untilConsumers(broker.url, producer.queue, workers);
    const { done, finished } = signal();
    for (const child of children) {
      child.watch(() => {
        if (children.reduce((sum, c) => sum + c.acked, 0) >= JOBS) done();
      });
    }
    const beam = beamPid(broker);
    const workersBefore = await Promise.all(children.map((c) => c.cpu()));
    const brokerBefore = cpuOf(beam);
    const producerBefore = ownCpu();
    const started = performance.now();
    for (let i = 0; i < JOBS; i += BATCH) await producer.publish(i, BATCH);
    const producerCpu = ownCpu() - producerBefore;
    await finished;
    const rate = perSecond(JOBS, started);
    const brokerCpu = cpuOf(beam) - brokerBefore;
    const workersAfter = await Promise.all(children.map((c) => c.cpu()));
    const workersCpu = workersAfter.reduce((sum, cpu, i) => sum + cpu - workersBefore[i]!, 0);
    return {
      rate,
      producer: producerCpu / JOBS,
      workers: workersCpu / JOBS,
      broker: brokerCpu / JOBS,
    };
  } finally {
    await Promise.all(children.map((c) => (profile ? c.exit() : c.kill())));
    await producer.close();
    await producer.cleanUp();
  }
}

type Latency = { p50: number; p99: number };

function percentiles(latencies: number[]): Latency {
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

/**
 * Calls `enqueue(at)` once per ms of the schedule for LATENCY_SECONDS (catching up if
 * behind), without awaiting each one; resolves once every enqueue resolved.
 */
async function steady(enqueue: (at: number) => Promise<unknown>): Promise<void> {
  const total = LATENCY_SECONDS * 1000;
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const ahead = started + i - performance.now();
    if (ahead > 0) await sleep(ahead);
    pending.push(enqueue(performance.now()));
  }
  await Promise.all(pending);
}

/** Enqueue→start latency in ms at a steady 1,000 jobs/s, producer and worker in this process. */
async function latency(broker: Broker, system: System, type: QueueType): Promise<Latency> {
  const total = LATENCY_SECONDS * 1000;
  const latencies: number[] = [];
  const stamp = ({ at }: { at: number }) => void latencies.push(performance.now() - at);
  const run = ++runs;
  if (system === 'raw') {
    const queue = `bench.raw.${type}.${run}`;
    const connection = await connect(broker.url);
    await declareRawQueue(await connection.createChannel(), queue, type);
    await connection.close();
    const consumer = await RawConsumer.start(broker.url, queue, CONCURRENCY, stamp, () => {});
    const producer = await RawProducer.open(broker.url, queue);
    try {
      await steady((at) => producer.publishOne({ at }));
      await until(() => latencies.length >= total);
    } finally {
      await producer.close();
      await consumer.close();
      await deleteRawQueue(broker.url, [queue]);
    }
    return percentiles(latencies);
  }
  const prefix = `bench.store.${run}`;
  const store = new RabbitMqStore({ url: broker.url, prefix, queueType: type });
  const runtime = new Runtime();
  const Stamp = defineWorker({ name: 'stamp', perform: stamp });
  try {
    await store.declareQueue('default');
    await Queue.start({
      runtime,
      store,
      workers: [Stamp],
      concurrency: CONCURRENCY,
      node: 'bench',
    });
    await untilConsumers(broker.url, `${prefix}.default`, 1);
    await steady((at) => store.enqueue([job(Stamp, { at })]));
    await until(() => latencies.length >= total);
  } finally {
    await runtime.stop();
    await store.close();
    await deleteRawQueue(
      broker.url,
      [`${prefix}.default`, `${prefix}.default.dead`],
      [`${prefix}.dead`],
    );
  }
  return percentiles(latencies);
}

/** The SQLite store in one process at 'machine', as `jobs.bench.ts` measures it. */
async function sqliteThroughput(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-bench-'));
  try {
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path, durability: 'machine' });
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SQLite store's enqueue→start latency at 'machine', enqueues not awaited one by one. */
async function sqliteLatency(): Promise<Latency> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-bench-'));
  try {
    const store = new SqliteStore({ path: join(dir, 'jobs.db'), durability: 'machine' });
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
    await steady((at) => store.enqueue([job(Stamp, { at })]));
    await until(() => latencies.length >= LATENCY_SECONDS * 1000);
    await runtime.stop();
    await store.close();
    return percentiles(latencies);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs each system once to warm up, then RUNS times rotating the order; each system's runs. */
async function compare<T>(systems: (() => Promise<T>)[]): Promise<T[][]> {
  for (const system of systems) await system();
  const results: T[][] = systems.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < systems.length; k++) {
      const which = (run + k) % systems.length;
      results[which]!.push(await systems[which]!());
    }
  }
  return results;
}

function medianOf(runs: Measured[]): Measured {
  return {
    rate: median(runs.map((r) => r.rate)),
    producer: median(runs.map((r) => r.producer)),
    workers: median(runs.map((r) => r.workers)),
    broker: median(runs.map((r) => r.broker)),
  };
}

function latencyOf(runs: Latency[]): Latency {
  return { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) };
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

const cpuColumns = (m: Measured) =>
  `${format(m.producer)} / ${format(m.workers)} / ${format(m.broker)}`;

async function throughputTable(broker: Broker): Promise<string> {
  const rows: string[] = [];
  for (const type of ['quorum', 'classic'] as const) {
    for (const workers of [1, 2]) {
      const label = `${type}, ${workers} worker process${workers > 1 ? 'es' : ''}`;
      const [store, raw] = await compare([
        () => endToEnd(broker, 'store', type, workers),
        () => endToEnd(broker, 'raw', type, workers),
      ]);
      const s = medianOf(store!);
      const r = medianOf(raw!);
      rows.push(
        `| ${label} | ${format(s.rate)} | ${format(r.rate)} | ${(s.rate / r.rate).toFixed(2)}x | ${cpuColumns(s)} | ${cpuColumns(r)} |`,
      );
    }
  }
  return [
    `| end to end, ${JOBS / 1000}k no-op jobs, batches of ${BATCH} confirmed, prefetch ${CONCURRENCY} | RabbitMqStore (jobs/s) | raw amqplib (jobs/s) | ratio (target ≥ 0.8x) | store CPU µs/job: producer / workers / broker | raw CPU µs/job: producer / workers / broker |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function latencyTable(broker: Broker): Promise<string> {
  const show = (l: Latency) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`;
  const rows: string[] = [];
  for (const type of ['quorum', 'classic'] as const) {
    const [store, raw] = await compare([
      () => latency(broker, 'store', type),
      () => latency(broker, 'raw', type),
    ]);
    const s = latencyOf(store!);
    const r = latencyOf(raw!);
    rows.push(`| ${type} | ${show(s)} | ${show(r)} | ${(s.p50 / r.p50).toFixed(2)}x |`);
  }
  return [
    `| enqueue→start at a steady 1k jobs/s for ${LATENCY_SECONDS} s, one process | RabbitMqStore | raw amqplib | p50 ratio (target ≤ 1.5x) |`,
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

async function peersTable(): Promise<string> {
  const sqlite = median((await compare([sqliteThroughput]))[0]!);
  const sqliteLat = latencyOf((await compare([sqliteLatency]))[0]!);
  let bullmq = 'not run: no redis-server on the PATH';
  let bullmqLat = bullmq;
  if (redisServerInstalled()) {
    const redis = await startRedis(true);
    try {
      const rate = median(
        (await compare([() => bullmqThroughput(redis, JOBS, BATCH, CONCURRENCY)]))[0]!,
      );
      const lat = latencyOf(
        (await compare([() => bullmqLatency(redis, LATENCY_SECONDS, CONCURRENCY)]))[0]!,
      );
      bullmq = format(rate);
      bullmqLat = `p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms`;
    } finally {
      await redis.stop();
    }
  }
  return [
    `| peers, one process, ${JOBS / 1000}k no-op jobs, concurrency ${CONCURRENCY} | end to end (jobs/s) | enqueue→start at 1k jobs/s |`,
    '| --- | ---: | ---: |',
    `| SqliteStore, durability 'machine' (fsync per commit) | ${format(sqlite)} | p50 ${sqliteLat.p50.toFixed(2)} ms, p99 ${sqliteLat.p99.toFixed(2)} ms |`,
    `| BullMQ on redis-server, AOF everysec (enqueues awaited one by one) | ${bullmq} | ${bullmqLat} |`,
  ].join('\n');
}

/** One round (the store's, or BENCH_PROFILE_SYSTEM=raw) with 1 worker, the producer (this process) and the worker under the CPU profiler. */
async function profileRound(broker: Broker, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const measured = await endToEnd(broker, PROFILE_SYSTEM, 'quorum', 1, dir);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(dir, 'producer.cpuprofile'), JSON.stringify(profile));
  session.disconnect();
  console.log(
    `profiled round: ${format(measured.rate)} jobs/s, CPU µs/job ${cpuColumns(measured)}`,
  );
}

async function main(): Promise<void> {
  if (!rabbitmqInstalled()) {
    console.warn(
      'No rabbitmq-server installed (bash scripts/install-rabbitmq.sh): nothing to run.',
    );
    return;
  }
  const parts: string[] = [];
  if (ONLY !== 'peers') await onBroker(parts);
  if (PROFILE !== undefined) return;
  if (ONLY === undefined || ONLY === 'peers') parts.push(await peersTable());
  const header = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, RabbitMQ 3.10 (private broker), ${RUNS} runs, ${new Date().toISOString()}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')} (1 / 5 / 15 min) at the end`;
  const text = `${header}\n\n${parts.join('\n\n')}`;
  console.log(text);
  if (ONLY !== undefined) return;
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  writeFileSync(
    new URL('rabbitmq-latest.md', results),
    `# @actorkit/jobs RabbitMQ bench\n\n${text}\n`,
  );
}

/** The parts that need the broker: one private broker for them all, stopped afterwards. */
async function onBroker(parts: string[]): Promise<void> {
  await bundleChild();
  const broker = await startBroker();
  try {
    if (PROFILE !== undefined) {
      await endToEnd(broker, PROFILE_SYSTEM, 'quorum', 1); // warm the broker up
      return await profileRound(broker, PROFILE);
    }
    if (ONLY === undefined || ONLY === 'throughput') parts.push(await throughputTable(broker));
    if (ONLY === undefined || ONLY === 'latency') parts.push(await latencyTable(broker));
  } finally {
    await broker.close();
  }
}

await main();
