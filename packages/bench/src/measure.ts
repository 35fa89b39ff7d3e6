/** Measuring helpers shared by the Node systems: heap, waiting, samples, CPU share, probes. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Sizes } from './workloads.js';

/** The heap after two full collections, or NaN without `--expose-gc`. */
export function collect(): number {
  const gc = globalThis.gc;
  if (gc === undefined) return Number.NaN;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Resolves once `condition()` holds, checking once per event-loop turn. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn();
}

export function signal(): { done: () => void; finished: Promise<void> } {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { done, finished };
}

export function perSecond(count: number, started: number): number {
  return count / ((performance.now() - started) / 1000);
}

/** Samples in ms, taken while `recording`. */
export class Samples {
  private values = new Float64Array(1 << 16);
  count = 0;
  recording = true;

  add(ms: number): void {
    if (!this.recording) return;
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.values[i]!;
    return sum / this.count;
  }

  percentile(p: number): number {
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.floor(this.count * p))] ?? Number.NaN;
  }
}

/**
 * Lets periodic timers tick for `sizes.timerSeconds` and returns CPU % of one core, mean
 * and p99 lateness (ms) and the heap growth since `heapBefore` (bytes).
 */
export async function measureTicks(
  lateness: Samples,
  heapBefore: number,
  sizes: Sizes,
): Promise<number[]> {
  lateness.recording = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(sizes.timerSeconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  lateness.recording = false;
  const cpuShare = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  return [cpuShare, lateness.mean(), lateness.percentile(0.99), collect() - heapBefore];
}

/** The external HTTP client of workload 8 (see http-probe.mjs). */
export const HTTP_PROBE = fileURLToPath(new URL('./http-probe.mjs', import.meta.url));

/** Starts the HTTP probe against `port`; resolves once it is warmed up and measuring. */
function startHttpProbe(port: number, sizes: Sizes): Promise<{ result: Promise<number[]> }> {
  const child = spawn(
    process.execPath,
    [HTTP_PROBE, String(port), String(sizes.floodSeconds), String(sizes.probeMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  return new Promise((ready, failed) => {
    const result = new Promise<number[]>((resolve) => {
      child.on('close', () => {
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        resolve(
          line === undefined
            ? [Number.NaN, Number.NaN]
            : line.slice(7).split(',').map(Number).slice(0, 2),
        );
      });
    });
    child.on('error', failed);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready\n')) ready({ result });
    });
  });
}

/**
 * Workload 8: runs `flood` (which resolves to the number of messages it handled once its
 * deadline passed) while a timer probe in this process (the lateness of a `probeMs`
 * sleep) and an HTTP client in another process (GETs to a server in this one) measure
 * how responsive the node stays. Returns timer p50 and p99, HTTP p50 and p99 (ms), and
 * the flood's messages per second.
 */
export async function fairness(
  sizes: Sizes,
  flood: (deadline: number) => Promise<number>,
): Promise<number[]> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const http = await startHttpProbe(port, sizes);
  const timer = new Samples();
  let flooding = true;
  const timerProbe = (async () => {
    while (flooding) {
      const t0 = performance.now();
      await sleep(sizes.probeMs);
      timer.add(performance.now() - t0 - sizes.probeMs);
    }
  })();
  const started = performance.now();
  const messages = await flood(started + sizes.floodSeconds * 1000);
  const rate = perSecond(messages, started);
  flooding = false;
  await timerProbe;
  const [httpP50, httpP99] = await http.result;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return [timer.percentile(0.5), timer.percentile(0.99), httpP50!, httpP99!, rate];
}
