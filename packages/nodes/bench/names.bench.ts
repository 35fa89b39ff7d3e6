/**
 * Names across nodes, in one run, as ratios against a baseline measured beside them:
 * a global name's lookup (`globalNames().whereisName`, a replica read) against a unique
 * core `Registry`'s, and a `GenServer.call` to a server on a worker node by its global
 * name against the same call by its PID.
 *
 * Run: node --conditions=actorkit-source --import tsx bench/names.bench.ts
 * LOOKUPS (default 1M) and CALLS (20k) change it.
 */
import { loadavg } from 'node:os';
import { type Pid, Registry } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { globalName, globalNames } from '../src/global-names.js';
import { startNodes } from '../src/nodes.js';

const LOOKUPS = Number(process.env.LOOKUPS ?? 1_000_000);
const CALLS = Number(process.env.CALLS ?? 20_000);
const KEYS = 1000;
const processes = new URL('./names-processes.ts', import.meta.url);

function perSecond(count: number, ms: number): number {
  return (count / ms) * 1000;
}

function lookups(whereis: (key: string) => Pid<any> | undefined, keys: string[]): number {
  let found = 0;
  const start = performance.now();
  for (let i = 0; i < LOOKUPS; i++) if (whereis(keys[i % KEYS]!) !== undefined) found++;
  const ms = performance.now() - start;
  if (found !== LOOKUPS) throw new Error(`found ${found} of ${LOOKUPS}`);
  return perSecond(LOOKUPS, ms);
}

async function calls(server: Pid<any> | ReturnType<typeof globalName>): Promise<number> {
  const start = performance.now();
  for (let n = 0; n < CALLS; n++) {
    if ((await GenServer.call(server, { type: 'n', n })) !== n) throw new Error('wrong reply');
  }
  return perSecond(CALLS, performance.now() - start);
}

const nodes = await startNodes({ workers: 1 });
try {
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
  const registry = new Registry<string>(nodes.runtime, { keys: 'unique' });
  const global = globalNames(nodes.runtime);
  for (const key of keys) {
    const pid = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    registry.registerName(key, pid);
    global.registerName(key, pid);
  }
  const registryRate = lookups((key) => registry.whereisName(key), keys);
  const globalRate = lookups((key) => global.whereisName(key), keys);

  const server = await new Promise<Pid<any>>((resolve) => {
    nodes.runtime.spawn(async (ctx) => {
      await nodes.spawn(1, processes, 'startAnswer', ['answer', ctx.self]);
      resolve(((await ctx.receive()) as { server: Pid<any> }).server);
    });
  });
  while (global.whereisName('answer') === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await calls(server); // warm-up
  const byPid = await calls(server);
  const byName = await calls(globalName('answer'));

  const [load] = loadavg();
  const rows = [
    ['lookup: core Registry (baseline)', registryRate, 1],
    ['lookup: global name', globalRate, globalRate / registryRate],
    ['cross-node call: by PID (baseline)', byPid, 1],
    ['cross-node call: by global name', byName, byName / byPid],
  ] as const;
  console.log(`names bench, load average ${load!.toFixed(1)}`);
  for (const [what, rate, ratio] of rows) {
    const perSec = Math.round(rate).toLocaleString('en');
    console.log(`${what.padEnd(38)} ${perSec.padStart(12)}/s ${ratio.toFixed(2)}x`);
  }
} finally {
  await nodes.stop();
}
