/**
 * Cross-node messaging against single-thread actorkit, in one run (issue #17's targets:
 * >= 2M msgs/s one-way send of small objects, >= 200k round trips/s ping-pong, on this
 * 2-core machine). Reports msgs/s and the ratio to the single-thread figure of the same
 * shape. Run: pnpm --filter @actorkit/nodes bench  (from source: workers register tsx)
 */
import { type Pid, Runtime } from '@actorkit/core';
import { startNodes } from '../src/nodes.js';

const SENDS = Number(process.env.SENDS ?? 2_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 200_000);
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

async function oneWay(runtime: Runtime, sink: Pid, total: number): Promise<number> {
  const done = waiter(runtime);
  runtime.send(sink, { expect: total, reportTo: done.pid });
  const start = performance.now();
  spawnProducer(runtime, sink, total);
  await done.got;
  return total / ((performance.now() - start) / 1000);
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

function fmt(rate: number): string {
  return `${(rate / 1e6).toFixed(2)}M/s`;
}

async function main(): Promise<void> {
  // Single thread: both ends on one runtime.
  const single = new Runtime();
  const { sink, ponger } = await import('./bench-processes.js');
  const localSink = single.spawn(sink);
  const localPonger = single.spawn(ponger);
  await oneWay(single, single.spawn(sink), SENDS / 10); // warm-up
  const singleSend = await oneWay(single, localSink, SENDS);
  await pingPong(single, localPonger, ROUNDS / 10);
  const singlePing = await pingPong(single, localPonger, ROUNDS);
  await single.stop();

  // Two nodes: the main thread and one worker.
  // WORKER_ARGS: extra Node options for the worker (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const extra = process.env.WORKER_ARGS?.split(' ').filter(Boolean) ?? [];
  const nodes = await startNodes({
    workers: 1,
    ...(extra.length > 0 ? { execArgv: ['--conditions=actorkit-source', ...extra] } : {}),
  });
  const remoteSink = await nodes.spawn(1, processes, 'sink');
  const warmSink = await nodes.spawn(1, processes, 'sink');
  const remotePonger = await nodes.spawn(1, processes, 'ponger');
  await oneWay(nodes.runtime, warmSink, SENDS / 10);
  const crossSend = await oneWay(nodes.runtime, remoteSink, SENDS);
  await pingPong(nodes.runtime, remotePonger, ROUNDS / 10);
  const crossPing = await pingPong(nodes.runtime, remotePonger, ROUNDS);
  await nodes.stop();

  const rows = [
    ['one-way send, small objects', singleSend, crossSend, '>= 2M/s'],
    ['ping-pong round trips', singlePing, crossPing, '>= 0.2M/s'],
  ] as const;
  console.log('| workload | single thread | across 2 nodes | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const [name, a, b, target] of rows) {
    console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)}x | ${target} |`);
  }
}

await main();
