/**
 * The producer process of the RabbitMQ scale-out tests: enqueues `touch` jobs (args
 * `{ n }`, n = 0, 1, 2 …) on a RabbitMqStore, WINDOW enqueues at a time, each awaited on
 * its own, so every job's fate is known: confirmed (with its id) or rejected (with the
 * error's class and whether the job may have been published all the same).
 *
 * With COUNT it enqueues that many jobs; without, it goes on until told `finish` on stdin.
 * Then it waits for every enqueue under way and reports `done` with its counts: a promise
 * that never settled would keep it from ever reporting. An unhandled rejection or an
 * uncaught exception is reported (`unhandled`) and exits with code 70.
 *
 * Reports on stdout, one JSON object per line: ready, enqueued {n, id}, failed {n, error,
 * maybePublished}, done {enqueued, failed, pending}.
 *
 * Env: AMQP_URL, PREFIX, WINDOW, COUNT, UNAVAILABLE_TIMEOUT, CONFIRM_TIMEOUT, QUEUE_TYPE,
 * DELIVERY_LIMIT.
 */
import { createInterface } from 'node:readline';
// Straight from the modules (not src/index.ts): the children need no observer view.
import { enqueue } from '../../../src/enqueue.js';
import { StoreUnavailableError } from '../../../src/errors.js';
import { PublishNotConfirmedError, RabbitMqStore } from '../../../src/rabbitmq/index.js';
import { defineWorker } from '../../../src/worker.js';

const env = process.env;
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
for (const kind of ['unhandledRejection', 'uncaughtException'] as const) {
  process.on(kind, (error) => {
    say({ event: 'unhandled', kind, error: String(error) });
    process.exit(70);
  });
}

// The worker's definition as the producer knows it: its name (and queue) is what is enqueued.
const Touch = defineWorker({ name: 'touch', perform: (_args: { n: number }) => {} });

const store = new RabbitMqStore({
  url: env.AMQP_URL!,
  prefix: env.PREFIX!,
  unavailableTimeout: Number(env.UNAVAILABLE_TIMEOUT ?? 2000),
  confirmTimeout: Number(env.CONFIRM_TIMEOUT ?? 10_000),
  reconnectDelay: 50,
  maxReconnectDelay: 500,
  heartbeat: 5,
  queueType: env.QUEUE_TYPE === 'classic' ? 'classic' : 'quorum',
  deliveryLimit: Number(env.DELIVERY_LIMIT ?? 20),
});
const window = Number(env.WINDOW ?? 32);
const count = env.COUNT === undefined ? Number.POSITIVE_INFINITY : Number(env.COUNT);
let told = false;
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'finish') told = true;
});

await store.declareQueue('default');
say({ event: 'ready', pid: process.pid });

let next = 0;
let pending = 0;
let enqueued = 0;
const failed: Record<string, number> = {};

async function one(n: number): Promise<void> {
  pending++;
  try {
    const { job } = await enqueue(store, Touch, { n });
    enqueued++;
    say({ event: 'enqueued', n, id: job.id });
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    failed[name] = (failed[name] ?? 0) + 1;
    say({
      event: 'failed',
      n,
      error: name,
      message: error instanceof Error ? error.message : String(error),
      typed: error instanceof StoreUnavailableError,
      maybePublished: error instanceof PublishNotConfirmedError ? error.maybePublished : false,
    });
  } finally {
    pending--;
  }
}

/** One lane of the window: enqueues the next job until the count is reached or it is told to finish. */
async function lane(): Promise<void> {
  while (next < count && !told) await one(next++);
}

await Promise.all(Array.from({ length: window }, lane));
say({ event: 'done', enqueued, failed, pending });
input.close();
process.stdin.destroy();
await store.close();
