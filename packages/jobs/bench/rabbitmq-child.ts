/**
 * One worker OS process of the RabbitMQ bench: consumes until the parent ends it, with a
 * `Queue` of CONCURRENCY on a `RabbitMqStore` (SYSTEM=store, name prefix PREFIX, queue type
 * QUEUE_TYPE) or the raw
 * amqplib consumer with prefetch CONCURRENCY (SYSTEM=raw, queue QUEUE), on the broker URL.
 *
 * It talks JSON lines: on stdout `ready` once started, `done` with the count of jobs acked
 * (every 10 ms while it changes), and `cpu` (µs of user + system time so far) when the
 * parent writes `cpu` on stdin; `exit` on stdin closes it and exits (so `--cpu-prof` writes
 * its profile).
 */
import { createInterface } from 'node:readline';
import { Runtime } from '@actorkit/core';
import { Queue } from '../src/queue.js';
import { RabbitMqStore } from '../src/rabbitmq/index.js';
import type { Outcome, SettleResult } from '../src/store.js';
import { defineWorker } from '../src/worker.js';
import { RawConsumer } from './rabbitmq-raw.js';

const { SYSTEM, URL: url, QUEUE, PREFIX, QUEUE_TYPE } = process.env as Record<string, string>;
const CONCURRENCY = Number(process.env.CONCURRENCY);
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** A RabbitMqStore that counts the outcomes it recorded (each one an ack of a delivery). */
class CountingStore extends RabbitMqStore {
  settledCount = 0;

  override async settle(outcomes: readonly Outcome[]): Promise<SettleResult[]> {
    const settled = await super.settle(outcomes);
    this.settledCount += settled.length;
    return settled;
  }
}

let acked: () => number;
let close: () => Promise<void>;
if (SYSTEM === 'store') {
  const store = new CountingStore({
    url: url!,
    prefix: PREFIX!,
    queueType: QUEUE_TYPE === 'classic' ? 'classic' : 'quorum',
  });
  const runtime = new Runtime();
  const Noop = defineWorker({ name: 'noop', perform: () => undefined });
  await Queue.start({ runtime, store, workers: [Noop], concurrency: CONCURRENCY, node: 'bench' });
  acked = () => store.settledCount;
  close = async () => {
    await runtime.stop();
    await store.close();
  };
} else {
  let count = 0;
  const consumer = await RawConsumer.start(
    url!,
    QUEUE!,
    CONCURRENCY,
    async () => undefined,
    () => void count++,
  );
  acked = () => count;
  close = () => consumer.close();
}

let reported = 0;
setInterval(() => {
  const count = acked();
  if (count !== reported) say({ event: 'done', count: (reported = count) });
}, 10).unref();

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    say({ event: 'cpu', cpu: user + system });
  } else if (line === 'exit') {
    await close();
    process.exit(0);
  }
});
say({ event: 'ready' });
