/**
 * The GenServer benchmark: sequential calls, casts, supervisor restarts, Task
 * async/await pairs and the memory of idle servers, each beside a plain-Node baseline
 * (a promise-returning method call on a class instance) in the same process. Each
 * workload runs once to warm up, then `BENCH_RUNS` times (default 3); the table shows
 * medians and the ratio actorkit / baseline.
 *
 * Then 100k periodic GenServers (`periodic-timers.ts`, issue #12 1b), bunched and spread,
 * beside a `setTimeout` per actor: each shape in a Node process of its own (this file,
 * same flags), `BENCH_RUNS` runs of each side alternating, no warm-up (ten seconds of
 * steady ticking is its own), measured for `BENCH_TIMER_SECONDS` (default 10) after one
 * unmeasured period, as core's benchmark measures its handler-process timers.
 *
 * The figures are for the built packages, `dist/`, which is what npm users run: this file
 * imports `@actorkit/genserver` and `@actorkit/core` by name, which resolve through their
 * `exports` to `dist/index.js`. Run from source through tsx, every class would carry
 * esbuild's keepNames `static { __name(this) }` block, on which V8 answers a false
 * `instanceof` through a slow generic path that users never pay.
 *
 * Run with `pnpm --filter @actorkit/genserver bench`: it builds core and genserver, then
 * runs this file. The table goes to stdout and to `bench/results/latest.md`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Pid, Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  Supervisor,
  Task,
} from '@actorkit/genserver';
import { median } from '../../core/bench/measure.js';
import { periodicGenServers, periodicTimeouts } from './periodic-timers.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIMER_SECONDS = Number(process.env.BENCH_TIMER_SECONDS ?? 10);
const TICKERS = 100_000;
const TICK_MS = 1_000;
const CALLS = 1_000_000;
const CASTS = 5_000_000;
const RESTARTS = 20_000;
const TASKS = 200_000;
const IDLE_SERVERS = 100_000;

type CounterCall = Call<'get', number>;

class Counter extends GenServer<number, CounterCall, 'inc'> {
  init(start: number) {
    return ok(start);
  }
  override handleCall(_request: CounterCall, _from: From, count: number) {
    return reply(count, count);
  }
  override handleCast(_request: 'inc', count: number) {
    return noreply(count + 1);
  }
}

/** The baseline: what the same counter is without a process. */
class PlainCounter {
  count = 0;
  async get(): Promise<number> {
    return this.count;
  }
  async inc(): Promise<void> {
    this.count++;
  }
}

class Fragile extends GenServer<null, Call<'crash', never>> {
  init() {
    return ok(null);
  }
  override handleCall(): never {
    throw new Error('crash');
  }
}

class PlainFragile {
  crash(): never {
    throw new Error('crash');
  }
}

interface Row {
  label: string;
  unit: 'per-second' | 'bytes' | 'ms';
  actorkit: () => Promise<number>;
  baseline: () => Promise<number>;
}

function perSecond(count: number, started: number): number {
  return (count / (performance.now() - started)) * 1000;
}

const rows: Row[] = [
  // First: later workloads leave garbage and pools that blur a heap measurement.
  {
    label: `heap per idle GenServer, ${IDLE_SERVERS / 1000}k servers (bytes)`,
    unit: 'bytes',
    async actorkit() {
      const runtime = new Runtime();
      const before = heap();
      const servers: Pid<any>[] = [];
      for (let i = 0; i < IDLE_SERVERS; i++)
        servers.push(await GenServer.start(Counter, i, { runtime }));
      const perServer = (heap() - before) / IDLE_SERVERS;
      await runtime.stop();
      return perServer;
    },
    async baseline() {
      const before = heap();
      const counters: PlainCounter[] = [];
      for (let i = 0; i < IDLE_SERVERS; i++) counters.push(new PlainCounter());
      const perCounter = (heap() - before) / IDLE_SERVERS;
      if (counters.length !== IDLE_SERVERS) throw new Error('unreachable');
      return perCounter;
    },
  },
  {
    label: `sequential GenServer.call, ${CALLS / 1e6}M round trips (calls/s)`,
    unit: 'per-second',
    async actorkit() {
      const runtime = new Runtime();
      const server = await GenServer.start(Counter, 0, { runtime });
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await GenServer.call(server, { type: 'get' });
      const rate = perSecond(CALLS, started);
      await runtime.stop();
      return rate;
    },
    async baseline() {
      const counter = new PlainCounter();
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await counter.get();
      return perSecond(CALLS, started);
    },
  },
  {
    label: `GenServer.cast, ${CASTS / 1e6}M casts then one call (casts/s)`,
    unit: 'per-second',
    async actorkit() {
      const runtime = new Runtime();
      const server = await GenServer.start(Counter, 0, { runtime });
      const started = performance.now();
      for (let i = 0; i < CASTS; i++) GenServer.cast(server, 'inc');
      const count = await GenServer.call(server, { type: 'get' }, Number.POSITIVE_INFINITY);
      const rate = perSecond(CASTS, started);
      if (count !== CASTS) throw new Error(`lost casts: ${count}`);
      await runtime.stop();
      return rate;
    },
    async baseline() {
      const counter = new PlainCounter();
      const started = performance.now();
      for (let i = 0; i < CASTS; i++) void counter.inc();
      await counter.get();
      return perSecond(CASTS, started);
    },
  },
  {
    label: `supervisor restarts, one_for_one, ${RESTARTS / 1000}k kill/restart cycles (restarts/s)`,
    unit: 'per-second',
    async actorkit() {
      const runtime = new Runtime();
      const sup = await Supervisor.start([[Fragile, undefined]], {
        runtime,
        maxRestarts: RESTARTS * 2,
        maxSeconds: 3600,
      });
      const [first] = await Supervisor.whichChildren(sup);
      let restarted = 0;
      const finished = new Promise<void>((resolve) => {
        runtime.events.on('report', (report) => {
          if (report.event !== 'child_restarted') return;
          if (++restarted === RESTARTS) resolve();
          else runtime.exit(report.pid as Pid<any>, 'kill');
        });
      });
      const started = performance.now();
      runtime.exit(first!.pid as Pid<any>, 'kill');
      await finished;
      const rate = perSecond(RESTARTS, started);
      await runtime.stop();
      return rate;
    },
    async baseline() {
      let instance = new PlainFragile();
      const started = performance.now();
      for (let i = 0; i < RESTARTS; i++) {
        try {
          await Promise.resolve().then(() => instance.crash());
        } catch {
          instance = new PlainFragile();
        }
      }
      return perSecond(RESTARTS, started);
    },
  },
  {
    label: `Task.async + Task.await, ${TASKS / 1000}k pairs (pairs/s)`,
    unit: 'per-second',
    async actorkit() {
      const runtime = new Runtime();
      const started = performance.now();
      for (let i = 0; i < TASKS; i++) await Task.await(Task.async(() => i, { runtime }));
      const rate = perSecond(TASKS, started);
      await runtime.stop();
      return rate;
    },
    async baseline() {
      const started = performance.now();
      for (let i = 0; i < TASKS; i++) await (async () => i)();
      return perSecond(TASKS, started);
    },
  },
];

type TickShape = 'bunched' | 'spread';

/** The rows one periodic-timer shape reports, in `measureTicks`' order. */
const tickRows = (shape: TickShape): { label: string; unit: 'percent' | 'ms' | 'MB' }[] => [
  {
    label: `${TICKERS / 1000}k periodic GenServers, 1 s sendAfter, ${shape}: CPU (% of one core)`,
    unit: 'percent',
  },
  {
    label: `${TICKERS / 1000}k periodic GenServers, 1 s sendAfter, ${shape}: mean lateness`,
    unit: 'ms',
  },
  {
    label: `${TICKERS / 1000}k periodic GenServers, 1 s sendAfter, ${shape}: p99 lateness`,
    unit: 'ms',
  },
  { label: `${TICKERS / 1000}k periodic GenServers, 1 s sendAfter, ${shape}: heap`, unit: 'MB' },
];

/** Set in the child process that measures one periodic-timer shape. */
const TICK_SHAPE = process.env.BENCH_TICK_SHAPE as TickShape | undefined;

/**
 * Measures one shape, `RUNS` runs of each side alternating, and prints the medians as
 * JSON: `[[actorkit…], [baseline…]]`, each in `tickRows`' order.
 */
async function measureTicksShape(shape: TickShape): Promise<void> {
  const timing = { tickMs: TICK_MS, timerSeconds: TIMER_SECONDS };
  const ours: number[][] = [];
  const theirs: number[][] = [];
  for (let run = 0; run < RUNS; run++) {
    heap();
    ours.push(await periodicGenServers(TICKERS, shape === 'spread', timing));
    heap();
    theirs.push(await periodicTimeouts(TICKERS, shape === 'spread', timing));
    process.stderr.write('.');
  }
  const medians = (runs: number[][]) => runs[0]!.map((_, i) => median(runs.map((r) => r[i]!)));
  console.log(JSON.stringify([medians(ours), medians(theirs)]));
}

/** Runs `measureTicksShape(shape)` in a fresh Node process; its table rows. */
function tickLines(shape: TickShape): string[] {
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
    env: { ...process.env, BENCH_TICK_SHAPE: shape },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`The ${shape} periodic timers failed (${child.status})`);
  const [ours, theirs] = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as number[][];
  return tickRows(shape).map(({ label, unit }, i) => {
    const [a, b] = [ours![i]!, theirs![i]!];
    return `| ${label} | ${format(a, unit)} | ${format(b, unit)} | ${(a / b).toFixed(2)}× |`;
  });
}

function heap(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function format(value: number, unit: Row['unit'] | 'percent' | 'MB'): string {
  if (unit === 'bytes') return `${Math.round(value)} B`;
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  if (unit === 'percent') return `${value.toFixed(1)}%`;
  if (unit === 'MB') return `${(value / 2 ** 20).toFixed(1)} MB`;
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : `${Math.round(value / 1000)}k/s`;
}

async function main(): Promise<void> {
  if (globalThis.gc === undefined) throw new Error('run with node --expose-gc');
  if (TICK_SHAPE !== undefined) return measureTicksShape(TICK_SHAPE);
  const only = process.env.BENCH_ONLY ?? '';
  const lines = [
    '| workload | actorkit | plain Node | actorkit / plain Node |',
    '|---|---:|---:|---:|',
  ];
  const started = performance.now();
  for (const row of rows.filter((r) => r.label.includes(only))) {
    await row.actorkit();
    await row.baseline();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      ours.push(await row.actorkit());
      theirs.push(await row.baseline());
      process.stderr.write('.');
    }
    const [a, b] = [median(ours), median(theirs)];
    lines.push(
      `| ${row.label} | ${format(a, row.unit)} | ${format(b, row.unit)} | ${(a / b).toFixed(2)}× |`,
    );
  }
  for (const shape of ['bunched', 'spread'] as const) {
    if (tickRows(shape)[0]!.label.includes(only)) lines.push(...tickLines(shape));
  }
  process.stderr.write('\n');
  const header = [
    '# @actorkit/genserver benchmark',
    '',
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version}`,
    `- cpu: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores)`,
    `- median of ${RUNS} runs per workload; periodic GenServers: each shape in a Node process of its own, measured over ${TIMER_SECONDS} s after a first, unmeasured second; built packages (dist/); total ${Math.round((performance.now() - started) / 1000)} s`,
    '',
  ];
  const table = [...header, ...lines, ''].join('\n');
  console.log(table);
  if (only === '') {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/latest.md', import.meta.url), table);
  }
}

await main();
