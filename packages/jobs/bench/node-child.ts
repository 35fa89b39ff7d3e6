/**
 * One OS process of the two-process benchmark: runs a queue node (SYSTEM=actorkit) or the
 * minimal queue's drain loop (SYSTEM=minimal) on the database DB until the parent kills it.
 * The parent watches the database for the last completion, so the children spend nothing
 * on watching, and ends them with SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '@actorkit/core';
import { defineWorker, Queue, SqliteStore } from '../src/index.js';
import { MinimalQueue } from './minimal-queue.js';

const { DB, SYSTEM, DURABILITY, NODE_NAME } = process.env as Record<string, string>;
const CONCURRENCY = Number(process.env.CONCURRENCY);
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
// The parent ends a child with SIGTERM: exit at once (a --cpu-prof profile is written then).
process.on('SIGTERM', () => process.exit(0));

if (SYSTEM === 'actorkit') {
  const store = new SqliteStore({ path: DB!, durability: DURABILITY as 'process' | 'machine' });
  if (process.env.CHILD_STATS) stats(store);
  const runtime = new Runtime();
  const Noop = defineWorker({ name: 'noop', perform: () => undefined });
  await Queue.start({
    runtime,
    store,
    workers: [Noop],
    concurrency: CONCURRENCY,
    node: NODE_NAME!,
    pollInterval: 20,
  });
  say({ event: 'ready' });
} else {
  const queue = new MinimalQueue(
    DB!,
    DURABILITY === 'machine' ? 'FULL' : 'NORMAL',
    false,
    CONCURRENCY,
  );
  say({ event: 'ready' });
  for (;;) {
    if ((await queue.drain(() => undefined)) === 0) await sleep(20);
  }
}

/** CHILD_STATS=1: counts and times the queue's writes (waiting for the lock, and the work under it), printed to stderr at exit. */
function stats(store: SqliteStore): void {
  const t = { calls: 0, jobs: 0, ms: 0, max: 0 };
  for (const name of ['settleAndClaim', 'claim', 'settle'] as const) {
    const original = (store[name] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const start = performance.now();
      const result = original(...args);
      const ms = performance.now() - start;
      t.calls++;
      t.ms += ms;
      t.max = Math.max(t.max, ms);
      if (name !== 'claim') t.jobs += (args[0] as unknown[]).length;
      return result;
    };
  }
  process.on('exit', () => process.stderr.write(`${NODE_NAME} ${JSON.stringify(t)}\n`));
}
