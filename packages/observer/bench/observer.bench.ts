/**
 * The observer benchmark: message throughput of a runtime with no observer, beside the
 * same workload with an observer attached but no browser connected (the promise: no
 * measurable cost). A third case, with a dashboard connected, shows what watching costs.
 * Each case runs once to warm up, then `BENCH_RUNS` times (default 5), interleaved; the
 * table shows medians and the ratio to the case without an observer.
 *
 * Run with `pnpm --filter @actorkit/observer bench`. The table goes to stdout and to
 * `bench/results/latest.md`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
    const stream = await fetch(`${observer.url}/api/events`, { signal: controller.signal });
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
const cases: Case[] = ['no observer', 'observer, no browser', 'observer, dashboard connected'];
const results = new Map<Case, number[]>(cases.map((c) => [c, []]));
for (const c of cases) await measure(c);
for (let run = 0; run < RUNS; run++) {
  for (const c of cases) results.get(c)!.push(await measure(c));
}
const base = median(results.get('no observer')!);
const lines = [
  `# Observer benchmark`,
  '',
  `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} · ${RUNS} runs, medians`,
  `Workload: ${CASTS.toLocaleString('en')} casts to 4 supervised GenServers, then ${PINGS.toLocaleString('en')} ping-pongs between two processes.`,
  '',
  '| case | messages/s | ratio to no observer |',
  '|---|---:|---:|',
  ...cases.map((c) => {
    const m = median(results.get(c)!);
    return `| ${c} | ${Math.round(m).toLocaleString('en')} | ${(m / base).toFixed(3)} |`;
  }),
  '',
  'The promise is the second line: within 5% (ratio ≥ 0.95) of the first. Runs vary by a few % on a shared machine.',
];
const table = lines.join('\n');
console.log(table);
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('latest.md', dir), `${table}\n`);
