// The HTTP probe of workload 8, run as a process of its own so that it measures what a
// client of the node under test sees: `node http-probe.mjs <port> <seconds> <gapMs>`
// warms up, prints `ready`, then for <seconds> sends one GET at a time (keep-alive)
// with <gapMs> between them, and prints `RESULT <p50 ms>,<p99 ms>,<count>`.
// Plain JavaScript, so that the BEAM's scripts can start it too.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const [port, seconds, gapMs] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const get = () =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, agent, path: '/' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });

for (let i = 0; i < 20; i++) await get();
process.stdout.write('ready\n');
const samples = [];
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const t0 = performance.now();
  await get();
  samples.push(performance.now() - t0);
  await sleep(gapMs);
}
samples.sort((a, b) => a - b);
const at = (p) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))];
process.stdout.write(`RESULT ${at(0.5)},${at(0.99)},${samples.length}\n`);
agent.destroy();
