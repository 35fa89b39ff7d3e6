/**
 * Cross-node messaging against single-thread actorkit, in one run (issue #17's targets:
 * >= 2M msgs/s one-way send of small objects, >= 200k round trips/s ping-pong, on this
 * 2-core machine). For each transport (`'ring'`, the default, and `'port'`) it reports
 * msgs/s and round trips/s with their ratio to the single-thread figure of the same
 * shape, the sending thread's peak heap growth during the one-way flood (the backlog a
 * producer faster than the link leaves on its side), and the CPU the whole process (all
 * its threads) burns while the nodes sit idle.
 *
 * Run: pnpm --filter @actorkit/nodes bench  (from source: workers register tsx).
 * SENDS (default 2M), ROUNDS (200k), TRANSPORTS (`ring,port`), IDLE_MS (1000), SPIN_MS (the
 * ring transport's `spinMs`; unset: its default, held back by the load gate) change it;
 * WORKER_ARGS adds Node options to the worker (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
 */
import { loadavg } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { type Pid, Runtime } from '@actorkit/core';
import { startNodes } from '../src/nodes.js';
import type { TransportKind } from '../src/ring-mesh.js';
import { floor } from './sab-floor.js';
import { spinOptions } from './spin-options.js';

const SENDS = Number(process.env.SENDS ?? 2_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 200_000);
const IDLE_MS = Number(process.env.IDLE_MS ?? 1000);
const TRANSPORTS = (process.env.TRANSPORTS ?? 'ring,port').split(',') as TransportKind[];
const BURST = 1000;
const processes = new URL('./bench-processes.ts', import.meta.url);

/** A handler producer: BURST small objects per turn to `to` until `total` are sent. */
function spawnProducer(runtime: Runtime, to: Pid, total: number): void {
  let sent = 0;
  const self = runtime.spawn<'go'>({
    handle(_message, ctx) {
      const end = Math.min(total, sent + BURST);
      for (; sent < end; sent++) ctx.send(to, { i: sent, text: 'hello' });
      if (sent < total) ctx.send(self, 'go');
    },
  });
  runtime.send(self, 'go');
}

/** A process on `runtime` that resolves with the first message it gets. */
function waiter(runtime: Runtime): { pid: Pid; got: Promise<unknown> } {
  let resolve!: (value: unknown) => void;
  const got = new Promise((r) => (resolve = r));
  const pid = runtime.spawn({ handle: (message) => resolve(message) });
  return { pid, got };
}

/**
 * Samples this thread's heap every 5 ms until stopped; the peak above where it began.
 * (`v8.getHeapStatistics`, not `process.memoryUsage`, which also reads the RSS from the
 * OS and cost the producer a few percent.)
 */
function heapSampler(): () => number {
  const used = () => getHeapStatistics().used_heap_size;
  const base = used();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, 5);
  return () => {
    clearInterval(timer);
    return Math.max(peak, used()) - base;
  };
}

async function oneWay(runtime: Runtime, sink: Pid, total: number) {
  const done = waiter(runtime);
  runtime.send(sink, { expect: total, reportTo: done.pid });
  const heap = heapSampler();
  const start = performance.now();
  spawnProducer(runtime, sink, total);
  await done.got;
  const rate = total / ((performance.now() - start) / 1000);
  return { rate, heap: heap() };
}

async function pingPong(runtime: Runtime, ponger: Pid, rounds: number): Promise<number> {
  const done = waiter(runtime);
  const start = performance.now();
  let n = 0;
  const pinger = runtime.spawn<number>({
    handle(_message, ctx) {
      if (++n === rounds) ctx.send(done.pid, 'done');
      else ctx.send(ponger, { from: ctx.self, n });
    },
  });
  runtime.send(ponger, { from: pinger, n: 0 });
  await done.got;
  return rounds / ((performance.now() - start) / 1000);
}

/** CPU of the whole process (every thread), as % of one core, over `ms` of sitting idle. */
async function idleCpu(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = process.cpuUsage();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / (performance.now() - start)) * 100;
}

const M = (rate: number) => `${(rate / 1e6).toFixed(2)}M/s`;
const MB = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function single() {
  const runtime = new Runtime();
  const { sink, ponger } = await import('./bench-processes.js');
  const localPonger = runtime.spawn(ponger);
  await oneWay(runtime, runtime.spawn(sink), SENDS / 10); // warm-up
  const send = await oneWay(runtime, runtime.spawn(sink), SENDS);
  await pingPong(runtime, localPonger, ROUNDS / 10);
  const ping = await pingPong(runtime, localPonger, ROUNDS);
  await runtime.stop();
  return { send, ping };
}

async function across(transport: TransportKind) {
  const { spinMs } = spinOptions();
  const extra = process.env.WORKER_ARGS?.split(' ').filter(Boolean) ?? [];
  const nodes = await startNodes({
    workers: 1,
    transport,
    ...(spinMs === undefined ? {} : { spinMs }),
    ...(extra.length > 0 ? { execArgv: ['--conditions=actorkit-source', ...extra] } : {}),
  });
  const remotePonger = await nodes.spawn(1, processes, 'ponger');
  await oneWay(nodes.runtime, await nodes.spawn(1, processes, 'sink'), SENDS / 10);
  const send = await oneWay(nodes.runtime, await nodes.spawn(1, processes, 'sink'), SENDS);
  await pingPong(nodes.runtime, remotePonger, ROUNDS / 10);
  const ping = await pingPong(nodes.runtime, remotePonger, ROUNDS);
  const idle = await idleCpu(IDLE_MS);
  await nodes.stop();
  return { send, ping, idle };
}

async function main(): Promise<void> {
  console.log(`load average before: ${load()}`);
  // The floor: two threads bouncing a counter through a SharedArrayBuffer, no actorkit.
  const bare = await floor(ROUNDS / 2);
  const base = await single();
  const rows: string[] = [];
  const pings: number[] = [];
  rows.push(
    `| single thread | ${M(base.send.rate)} | — | ${MB(base.send.heap)} | ${M(base.ping)} | — | — |`,
  );
  for (const kind of TRANSPORTS) {
    const r = await across(kind);
    pings.push(r.ping);
    rows.push(
      `| 2 nodes, '${kind}' | ${M(r.send.rate)} | ${(r.send.rate / base.send.rate).toFixed(2)}x | ${MB(r.send.heap)} | ${M(r.ping)} | ${(r.ping / base.ping).toFixed(3)}x | ${r.idle.toFixed(1)}% |`,
    );
  }
  console.log(`load average after: ${load()}`);
  console.log(
    '| run | one-way msgs/s | ratio | sender peak heap | ping-pong round trips/s | ratio | idle CPU (all threads) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('targets: one-way >= 2M/s, ping-pong >= 0.2M/s across 2 nodes');
  console.log(
    `bare SAB ping-pong floor (no actorkit), round trips/s: both spin ${M(bare.spin)}, main spins/worker Atomics.wait ${M(bare['spin-main'])}, both Atomics.wait ${M(bare.wait)}, main waitAsync/worker wait ${M(bare['wait-async'])}`,
  );
  for (const [i, kind] of TRANSPORTS.entries()) {
    const ping = pings[i]!;
    console.log(
      `'${kind}' ping-pong against the floor: ${(ping / bare.spin).toFixed(3)}x both-spin, ${(ping / bare['wait-async']).toFixed(2)}x waitAsync`,
    );
  }
}

await main();
