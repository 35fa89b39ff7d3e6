/** Measuring helpers shared by the Node systems: heap, waiting, samples, CPU share, probes. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  collect,
  measureTicks,
  median,
  perSecond,
  Samples,
  signal,
  until,
} from '../../core/bench/measure.js';
import type { Sizes } from './workloads.js';

/**
 * Workload 6's measurement (shared with core.bench.ts): `Sizes` carries its `tickMs`
 * and `timerSeconds`, so systems pass their sizes as they are.
 */
export { collect, measureTicks, median, perSecond, Samples, signal, until };

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
