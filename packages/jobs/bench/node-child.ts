/**
 * One OS process of the two-process benchmark: runs a queue node (SYSTEM=actorkit) or the
 * minimal queue's drain loop (SYSTEM=minimal) on the database DB until the parent kills it.
 * The parent watches the database for the last completion, so the children spend nothing
 * on watching.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '@actorkit/core';
import { defineWorker, Queue, SqliteStore } from '../src/index.js';
import { MinimalQueue } from './minimal-queue.js';

const { DB, SYSTEM, DURABILITY, NODE_NAME } = process.env as Record<string, string>;
const CONCURRENCY = Number(process.env.CONCURRENCY);
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

if (SYSTEM === 'actorkit') {
  const store = new SqliteStore({ path: DB!, durability: DURABILITY as 'process' | 'machine' });
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
