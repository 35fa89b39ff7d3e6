/**
 * The scale rows of the observer bench (issue #15): with N idle processes in the node,
 * ping-pong throughput between two processes and the event loop's p99 delay, with a
 * dashboard connected (an event-stream client in a child process, reading, measured once
 * it has its first sample) beside none, in the same run on the same runtime, interleaved.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type Pid, Runtime } from '@actorkit/core';
import { type Observer, startObserver } from '../src/index.js';

/**
 * One measurement: messages/s of the ping-pong (per second of wall time, and per second
 * of this process's CPU time, which other processes on a busy machine disturb less),
 * and the loop's p99 delay in ms.
 */
export interface Reading {
  messagesPerSec: number;
  messagesPerCpuSec: number;
  lagP99Ms: number;
}

/** What a scale row reports: medians of each case, and what the dashboard's sampler did. */
export interface ScaleRow {
  processes: number;
  none: Reading;
  dashboard: Reading;
  /** Samples the dashboard received during its measured runs (after its first). */
  samples: number;
  /** Walks over every process behind them (new per-process figures). */
  walks: number;
  /** The observer's slices over the dashboard runs (its own report, by the wall clock). */
  slices: { slices: number; longestSliceMs: number; slicesOver10Ms: number };
}

/** Ping-pongs between two processes for `seconds`, measuring the event loop meanwhile. */
async function pingPong(runtime: Runtime, seconds: number): Promise<Reading> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let stop = false;
  let pings = 0;
  const pong = runtime.spawn<{ from: Pid<number>; n: number }>({
    handle: (m, ctx) => {
      const { from, n } = m as { from: Pid<number>; n: number };
      ctx.send(from, n);
    },
  });
  const done = new Promise<void>((resolve) => {
    runtime.spawn(async (ctx) => {
      while (!stop) {
        ctx.send(pong, { from: ctx.self as Pid<number>, n: pings });
        await ctx.receive();
        pings++;
      }
      resolve();
    });
  });
  histogram.enable();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stop = true;
  await done;
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  histogram.disable();
  runtime.exit(pong, 'kill');
  // The histogram records the time between ticks of a 1 ms timer: the delay is the excess.
  return {
    messagesPerSec: (2 * pings) / elapsed,
    messagesPerCpuSec: (2 * pings) / ((used.user + used.system) / 1e6),
    lagP99Ms: Math.max(0, histogram.percentile(99) / 1e6 - 1),
  };
}

/**
 * A dashboard in another process: it reads /api/events and counts the samples, and the
 * walks behind them (a sample's `walkedAt` changes when a walk over every process ended).
 */
function dashboard(observer: Observer): {
  child: ChildProcess;
  samples: () => number;
  walks: () => number;
} {
  const script = `
    const http = require('node:http');
    http.get(process.argv[1], { headers: { authorization: 'Bearer ' + process.argv[2] } }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      let walkedAt;
      res.on('data', (chunk) => {
        text += chunk;
        const frames = text.split('\\n\\n');
        text = frames.pop();
        for (const frame of frames) {
          if (!frame.startsWith('event: sample\\n')) continue;
          const { totals } = JSON.parse(frame.slice(frame.indexOf('data: ') + 6));
          process.stdout.write(totals.walkedAt === walkedAt ? 's' : 'w');
          walkedAt = totals.walkedAt;
        }
      });
    });`;
  const child = spawn(
    process.execPath,
    ['-e', script, `${observer.url}/api/events`, observer.token],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let samples = 0;
  let walks = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const c of chunk.toString()) {
      samples++;
      if (c === 'w') walks++;
    }
  });
  return { child, samples: () => samples, walks: () => walks };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Measures one scale row: `runs` times each case, interleaved (none, dashboard, …), on one
 * runtime holding `processes` idle processes, `seconds` each.
 */
export async function measureScale(
  processes: number,
  seconds: number,
  runs: number,
): Promise<ScaleRow> {
  const runtime = new Runtime();
  for (let i = 0; i < processes; i++) runtime.spawn({ handle() {} });
  const none: Reading[] = [];
  const watched: Reading[] = [];
  let samples = 0;
  let walks = 0;
  const slices = { slices: 0, longestSliceMs: 0, slicesOver10Ms: 0 };
  // Warm-up of the ping-pong itself.
  await pingPong(runtime, 1);
  for (let run = 0; run < runs; run++) {
    globalThis.gc?.();
    none.push(await pingPong(runtime, seconds));
    console.error(`  ${processes} none: ${JSON.stringify(none.at(-1))}`);
    const observer = await startObserver(runtime);
    const client = dashboard(observer);
    try {
      // Measured once the dashboard shows its first sample: the steady cost of watching.
      const before = Date.now();
      while (client.samples() === 0 && Date.now() - before < 300_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const first = client.samples();
      const firstWalks = client.walks();
      globalThis.gc?.();
      watched.push(await pingPong(runtime, seconds));
      console.error(`  ${processes} dashboard: ${JSON.stringify(watched.at(-1))}`);
      samples += client.samples() - first;
      walks += client.walks() - firstWalks;
      const node = await fetch(`${observer.url}/api/node`, {
        headers: { authorization: `Bearer ${observer.token}` },
      });
      const { observer: self } = (await node.json()) as { observer: ScaleRow['slices'] };
      slices.slices += self.slices;
      slices.slicesOver10Ms += self.slicesOver10Ms;
      slices.longestSliceMs = Math.max(slices.longestSliceMs, self.longestSliceMs);
    } finally {
      client.child.kill();
      await observer.close();
    }
  }
  await runtime.stop({ timeout: 60_000 });
  const medianOf = (readings: Reading[]): Reading => ({
    messagesPerSec: median(readings.map((r) => r.messagesPerSec)),
    messagesPerCpuSec: median(readings.map((r) => r.messagesPerCpuSec)),
    lagP99Ms: median(readings.map((r) => r.lagP99Ms)),
  });
  return {
    processes,
    none: medianOf(none),
    dashboard: medianOf(watched),
    samples,
    walks,
    slices,
  };
}
