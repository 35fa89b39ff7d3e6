/**
 * The observer benchmark, three tables:
 *
 * 1. Message throughput of a runtime with no observer, beside the same workload with an
 *    observer attached but no browser connected (the promise: no measurable cost), and
 *    with a dashboard connected. Each case runs once to warm up, then `BENCH_RUNS` times
 *    (default 5), interleaved; medians and the ratio to the case without an observer.
 * 2. A stalled dashboard for a minute (`stalled-client.ts`, `BENCH_STALL_SECONDS`): the
 *    heap after GC every 10 s, beside a dashboard that reads.
 * 3. Scale (`scale.ts`): with 1k, 100k and 1M idle processes in the node, ping-pong
 *    throughput and the event loop's p99 delay with a dashboard open, beside none, on the
 *    same runtime, interleaved (`BENCH_SCALES`, `BENCH_SCALE_SECONDS` default 6,
 *    `BENCH_SCALE_RUNS` default 5).
 *
 * `BENCH_SECTIONS=throughput,stalled,scale` picks sections. Run with
 * `pnpm --filter @actorkit/observer bench`; the tables go to stdout and to
 * `bench/results/latest.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  Supervisor,
} from '@actorkit/genserver';
import { startObserver } from '../src/index.js';
import { measureScale, type Reading } from './scale.js';
import { measureStalled } from './stalled-client.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CASTS = 2_000_000;
const PINGS = 500_000;

class Counter extends GenServer<number, Call<'get', number>, 'inc'> {
  init() {
    return ok(0);
  }
  override handleCall(_r: Call<'get', number>, _f: From, n: number) {
    return reply(n, n);
  }
  override handleCast(_r: 'inc', n: number) {
    return noreply(n + 1);
  }
}

/** Casts to 4 supervised GenServers, then pings between two processes: messages/s. */
async function workload(runtime: Runtime): Promise<number> {
  const sup = await Supervisor.start(
    [0, 1, 2, 3].map((i) => ({
      id: `c${i}`,
      start: ({ runtime, self }: any) =>
        GenServer.startLink(Counter, undefined, { runtime, link: self }),
    })),
    { runtime },
  );
  const children = await Supervisor.whichChildren(sup, { runtime });
  const servers = children.map((c) => c.pid as any);
  const started = performance.now();
  for (let i = 0; i < CASTS; i++) GenServer.cast(servers[i & 3], 'inc');
  await Promise.all(servers.map((s) => GenServer.call(s, { type: 'get' })));
  const done = new Promise<void>((resolve) => {
    const pong = runtime.spawn<{ from: any; n: number }>({
      handle: (m, ctx) => {
        const { from, n } = m as { from: any; n: number };
        ctx.send(from, n);
      },
    });
    runtime.spawn(async (ctx) => {
      for (let n = 0; n < PINGS; n++) {
        ctx.send(pong, { from: ctx.self, n });
        await ctx.receive();
      }
      resolve();
    });
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await Supervisor.stop(sup);
  return (CASTS + 2 * PINGS) / seconds;
}

type Case = 'no observer' | 'observer, no browser' | 'observer, dashboard connected';

async function measure(kind: Case): Promise<number> {
  const runtime = new Runtime();
  const observer =
    kind === 'no observer' ? undefined : await startObserver(runtime, { sampleInterval: 1000 });
  const controller = new AbortController();
  if (kind === 'observer, dashboard connected' && observer !== undefined) {
    const stream = await fetch(`${observer.url}/api/events`, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${observer.token}` },
    });
    void stream.body?.pipeTo(new WritableStream()).catch(() => {});
  }
  globalThis.gc?.();
  try {
    return await workload(runtime);
  } finally {
    controller.abort();
    await observer?.close();
    await runtime.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sections = new Set((process.env.BENCH_SECTIONS ?? 'throughput,stalled,scale').split(','));
const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function throughputTable(): Promise<string[]> {
  const cases: Case[] = ['no observer', 'observer, no browser', 'observer, dashboard connected'];
  const results = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (const c of cases) await measure(c);
  for (let run = 0; run < RUNS; run++) {
    for (const c of cases) results.get(c)!.push(await measure(c));
  }
  const base = median(results.get('no observer')!);
  return [
    '## Throughput',
    '',
    `Workload: ${CASTS.toLocaleString('en')} casts to 4 supervised GenServers, then ${PINGS.toLocaleString('en')} ping-pongs between two processes. ${RUNS} runs, medians.`,
    '',
    '| case | messages/s | ratio to no observer |',
    '|---|---:|---:|',
    ...cases.map((c) => {
      const m = median(results.get(c)!);
      return `| ${c} | ${fmt(m)} | ${(m / base).toFixed(3)} |`;
    }),
    '',
    'The promise is the second line: within 5% (ratio ≥ 0.95) of the first. Runs vary by a few % on a shared machine.',
  ];
}

async function scaleTable(): Promise<string[]> {
  const scales = (process.env.BENCH_SCALES ?? '1000,100000,1000000').split(',').map(Number);
  const seconds = Number(process.env.BENCH_SCALE_SECONDS ?? 6);
  const runs = Number(process.env.BENCH_SCALE_RUNS ?? 5);
  const load = loadavg()[0]!.toFixed(1);
  const rows: string[] = [];
  for (const n of scales) {
    const row = await measureScale(n, seconds, runs);
    console.error(`scale ${n}: ${JSON.stringify(row)}`);
    const ratio = (f: (r: Reading) => number) => (f(row.dashboard) / f(row.none)).toFixed(3);
    rows.push(
      `| ${fmt(n)} | ${fmt(row.none.messagesPerCpuSec)} | ${fmt(row.dashboard.messagesPerCpuSec)} | ${ratio((r) => r.messagesPerCpuSec)} | ${ratio((r) => r.messagesPerSec)} | ${row.none.lagP99Ms.toFixed(1)} ms | ${row.dashboard.lagP99Ms.toFixed(1)} ms | ${row.slices.longestSliceMs.toFixed(1)} ms | ${row.slices.slicesOver10Ms} of ${fmt(row.slices.slices)} | ${row.samples} (${row.walks} walks) |`,
    );
  }
  return [
    '## Scale: a dashboard open on a node of N processes',
    '',
    `N idle processes, and a ping-pong between two more for ${seconds} s; ${runs} runs of each case, interleaved on one runtime, medians. The dashboard is an event-stream client in another process, measured once it has its first sample. Throughput per CPU-second of the node's process (the wall-clock ratio beside it is what a busy shared machine disturbs most); lag: the event loop's p99 delay (monitorEventLoopDelay, 1 ms resolution), GC pauses included. Load average ${load} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores.`,
    '',
    '| processes | ping-pong msgs per CPU-s, no observer | with dashboard | ratio | ratio, wall clock | lag p99, no observer | with dashboard | longest observer slice | slices over 10 ms | samples received |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    "Targets at 100k processes: lag p99 ≤ 10 ms and throughput ratio ≥ 0.95. A sample goes out every second; the per-process figures in it (queued messages, messages/s, the busiest rows) come from a walk over every process in slices of 2 ms of work (plus one step), paced to take 2% of the loop: with many processes a walk takes longer (fewer walks), not longer to block. The slice columns are the observer's own report, by the wall clock: a slice stretched past 10 ms was stretched by a garbage collection or by the machine running another process meanwhile.",
  ];
}

async function stalledTable(): Promise<string[]> {
  const seconds = Number(process.env.BENCH_STALL_SECONDS ?? 60);
  const { stalled, baseline } = await measureStalled(seconds);
  const times = stalled.map((_, i) => `${i * 10} s`);
  const mb = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' | ');
  return [
    '## A stalled dashboard',
    '',
    `3,000 processes sampled every second for ${seconds} s with one dashboard whose socket is open and never read (kept past the stall timeout), beside one that reads. Heap used after a full GC, MB, from 5 s after the stream opened.`,
    '',
    `| dashboard | ${times.join(' | ')} | growth |`,
    `|---|${times.map(() => '---:').join('|')}|---:|`,
    `| stalled | ${mb(stalled)} | ${(stalled.at(-1)! - stalled[0]!).toFixed(1)} MB |`,
    `| reading | ${mb(baseline)} | ${(baseline.at(-1)! - baseline[0]!).toFixed(1)} MB |`,
    '',
    'Before #15 the stalled line grew from 15 to 37 MB in 60 s (about 1.3 GB an hour).',
  ];
}

const lines = [
  '# Observer benchmark',
  '',
  `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`,
];
if (sections.has('throughput')) lines.push('', ...(await throughputTable()));
// The stalled minute before the scale rows: a node of a million processes leaves garbage
// behind that would blur its first heap reading.
if (sections.has('stalled')) lines.push('', ...(await stalledTable()));
if (sections.has('scale')) lines.push('', ...(await scaleTable()));
const table = lines.join('\n');
console.log(table);
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('latest.md', dir), `${table}\n`);
