/**
 * The BullMQ system of the bench, on a private `redis-server` (see `redis-server.ts`): the
 * same job shape as the other systems (JSON args `{ n }`, a no-op processor), a Worker of
 * concurrency 50 in the same process, jobs added in batches with `addBulk`, completed jobs
 * kept (BullMQ's default, as the SQLite queues keep their rows). Each run uses a fresh queue
 * on an emptied server.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { perSecond, signal } from '../../core/bench/measure.js';
import type { RedisServer } from './redis-server.js';

let runs = 0;

async function withQueue<T>(
  redis: RedisServer,
  run: (queue: Queue, name: string, connection: { host: string; port: number }) => Promise<T>,
): Promise<T> {
  const connection = { host: '127.0.0.1', port: redis.port };
  const admin = new Redis(connection);
  await admin.flushall();
  await admin.quit();
  const name = `bench-${++runs}`;
  const queue = new Queue(name, { connection });
  try {
    return await run(queue, name, connection);
  } finally {
    await queue.close();
  }
}

/** Jobs/s: `jobs` added in batches of `batch`, run by one Worker of `concurrency`, until every one is completed. */
export function bullmqThroughput(
  redis: RedisServer,
  jobs: number,
  batch: number,
  concurrency: number,
): Promise<number> {
  return withQueue(redis, async (queue, name, connection) => {
    // Resolved by the event, not polled: a polling loop would spin while this process
    // waits on Redis, taking CPU from the server on a small machine.
    const { done, finished } = signal();
    let completed = 0;
    const worker = new Worker(name, async () => undefined, { connection, concurrency });
    worker.on('completed', () => {
      if (++completed === jobs) done();
    });
    await worker.waitUntilReady();
    try {
      const started = performance.now();
      for (let i = 0; i < jobs; i += batch) {
        await queue.addBulk(
          Array.from({ length: batch }, (_, n) => ({ name: 'noop', data: { n: i + n } })),
        );
      }
      await finished;
      return perSecond(jobs, started);
    } finally {
      await worker.close();
    }
  });
}

/** Enqueue→start latency in ms (p50, p99) at a steady 1,000 adds a second, one job each. */
export function bullmqLatency(
  redis: RedisServer,
  seconds: number,
  concurrency: number,
): Promise<{ p50: number; p99: number }> {
  return withQueue(redis, async (queue, name, connection) => {
    const total = seconds * 1000;
    const latencies: number[] = [];
    const { done, finished } = signal();
    const worker = new Worker<{ at: number }>(
      name,
      async (job) => {
        if (latencies.push(performance.now() - job.data.at) === total) done();
      },
      { connection, concurrency },
    );
    await worker.waitUntilReady();
    try {
      const started = performance.now();
      for (let i = 0; i < total; i++) {
        // One job per ms of the schedule: catch up if behind, wait if ahead.
        const ahead = started + i - performance.now();
        if (ahead > 0) await sleep(ahead);
        await queue.add('stamp', { at: performance.now() });
      }
      await finished;
      latencies.sort((a, b) => a - b);
      return {
        p50: latencies[Math.floor(total * 0.5)]!,
        p99: latencies[Math.floor(total * 0.99)]!,
      };
    } finally {
      await worker.close();
    }
  });
}
