/**
 * One OS process of the two-process benchmark: runs a queue node (SYSTEM=actorkit) or the
 * minimal queue's drain loop (SYSTEM=minimal) on the database DB until JOBS jobs are
 * completed there, then prints when (performance.timeOrigin + now(), comparable across
 * processes on one machine) and exits.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '@actorkit/core';
import Database from 'better-sqlite3';
import { defineWorker, Queue, SqliteStore } from '../src/index.js';
import { MinimalQueue } from './minimal-queue.js';

const { DB, SYSTEM, DURABILITY, NODE_NAME } = process.env as Record<string, string>;
const JOBS = Number(process.env.JOBS);
const CONCURRENCY = Number(process.env.CONCURRENCY);
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const at = () => performance.timeOrigin + performance.now();

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
    pollInterval: 5,
  });
  const completed = new Database(DB!, { readonly: true }).prepare(
    `SELECT count(*) AS n FROM actorkit_jobs WHERE state = 'completed'`,
  );
  say({ event: 'ready' });
  while ((completed.get() as { n: number }).n < JOBS) await sleep(2);
  say({ event: 'done', at: at() });
  await runtime.stop();
} else {
  const queue = new MinimalQueue(DB!, DURABILITY === 'machine' ? 'FULL' : 'NORMAL', false);
  const completed = new Database(DB!, { readonly: true }).prepare(
    `SELECT count(*) AS n FROM jobs WHERE state = 'completed'`,
  );
  say({ event: 'ready' });
  while ((completed.get() as { n: number }).n < JOBS) {
    if ((await queue.drain(CONCURRENCY, () => undefined)) === 0) await sleep(5);
  }
  say({ event: 'done', at: at() });
  queue.close();
}
