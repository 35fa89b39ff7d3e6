/**
 * How late a 1 ms `setInterval` on the main thread fires while the main node plays
 * ping-pong with a worker node: the ring transport answers within spins, in chains of
 * microtasks, and gives the event loop its turn every 0.5 ms; this says what timers and
 * I/O on the main thread wait meanwhile. Reports round trips/s and the lateness p50 /
 * p99 / max, with the spin as configured (`SPIN_MS`, as in `nodes.bench.ts`; `SPIN_MS=0`
 * is the no-spin baseline of the same machine).
 *
 * Run: node --conditions=actorkit-source --import tsx bench/lateness.bench.ts  (ROUNDS, 200k)
 */
import { loadavg } from 'node:os';
import { startNodes } from '../src/nodes.js';
import { spinOptions } from './spin-options.js';

const ROUNDS = Number(process.env.ROUNDS ?? 200_000);
const processes = new URL('./bench-processes.ts', import.meta.url);

const { spinMs } = spinOptions();
const nodes = await startNodes({ workers: 1, ...(spinMs === undefined ? {} : { spinMs }) });
const ponger = await nodes.spawn(1, processes, 'ponger');
const runtime = nodes.runtime;

async function run(rounds: number): Promise<string> {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let n = 0;
  const pinger = runtime.spawn<number>({
    handle(_message, ctx) {
      if (++n === rounds) resolve();
      else ctx.send(ponger, { from: ctx.self, n });
    },
  });
  const lateness: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lateness.push(now - last - 1);
    last = now;
  }, 1);
  const start = performance.now();
  runtime.send(ponger, { from: pinger, n: 0 });
  await done;
  const rate = rounds / ((performance.now() - start) / 1000);
  clearInterval(timer);
  lateness.sort((a, b) => a - b);
  const at = (q: number) =>
    lateness[Math.min(lateness.length - 1, Math.floor(lateness.length * q))]!;
  return `${(rate / 1e6).toFixed(2)}M round trips/s; 1 ms timer late by p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${lateness.at(-1)!.toFixed(2)} ms (${lateness.length} ticks)`;
}

console.log(
  `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await run(ROUNDS / 10); // warm-up
console.log(await run(ROUNDS));
await nodes.stop();
