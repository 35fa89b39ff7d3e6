// A broker that goes away mid-run, for real: this file's own private broker, SIGKILLed
// (as a crash of its machine) and started again on the same data. Confirmed jobs are
// never lost, enqueues during the outage are rejected with typed errors, held deliveries
// are refused as stale and redelivered, and consumers (and the Queue) resume by themselves.
import { Runtime } from '@actorkit/core';
import { type Broker, startBroker } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/enqueue.js';
import { LeaseLostError, StaleAttemptError, StoreUnavailableError } from '../../src/errors.js';
import { Queue } from '../../src/queue.js';
import {
  BrokerUnavailableError,
  PublishNotConfirmedError,
  RabbitMqStore,
  type RabbitMqStoreOptions,
} from '../../src/rabbitmq/index.js';
import { defineWorker } from '../../src/worker.js';
import { claimN, completeN, node, uniquePrefix } from './support.js';

let broker: Broker;
/** Each test's queue names. */
const prefixes = { confirmed: uniquePrefix(), cut: uniquePrefix(), queue: uniquePrefix() };

beforeAll(async () => {
  broker = await startBroker();
  // RabbitMQ 3.10 does not recover a quorum queue declared a moment before the broker is
  // SIGKILLed (its Raft log comes back empty and it never elects a leader: publishes to it
  // wait forever). Queues that lived through a clean restart recover from any crash. So the
  // tests' queues are declared first, as a deployment would, and the broker restarted once.
  for (const prefix of Object.values(prefixes)) {
    const store = new RabbitMqStore({ url: broker.url, prefix });
    await store.declareQueue('default');
    await store.close();
  }
  await broker.stop();
  await broker.start();
});
afterAll(async () => {
  await broker.close();
});

const stores: RabbitMqStore[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function open(prefix: string, options: Partial<RabbitMqStoreOptions> = {}): RabbitMqStore {
  const store = new RabbitMqStore({
    url: broker.url,
    prefix,
    unavailableTimeout: 300,
    reconnectDelay: 50,
    maxReconnectDelay: 250,
    heartbeat: 2,
    ...options,
  });
  stores.push(store);
  return store;
}

const jobs = (count: number, tag: string) =>
  Array.from({ length: count }, (_, n) => ({ queue: 'default', worker: 'w', args: { tag, n } }));

/** Resolves once the store noticed the lost connection: the node holding deliveries lost its lease. */
async function untilLeaseLost(store: RabbitMqStore, ref: { name: string; incarnation: string }) {
  await expect
    .poll(
      () =>
        store.heartbeat(ref, 10_000).then(
          () => 'held',
          (error: unknown) => error,
        ),
      {
        timeout: 20_000,
        interval: 20,
      },
    )
    .toBeInstanceOf(LeaseLostError);
}

describe('RabbitMqStore across a broker crash', () => {
  it('keeps every confirmed job, rejects enqueues while the broker is away, refuses stale outcomes, and delivers again', async () => {
    const store = open(prefixes.confirmed);
    const before = await store.enqueue(jobs(40, 'before'));
    const ref = await node(store);
    const held = await claimN(store, ref, 5, 'default', 5);

    await broker.kill();
    await untilLeaseLost(store, ref);
    const refused = await store.enqueue(jobs(1, 'during')).then(
      () => expect.fail('an enqueue during the outage resolved'),
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(BrokerUnavailableError);
    expect(String((refused as Error).message)).toMatch(/no connection to the broker within 300 ms/);
    const late = await store.settle(
      held.map((job) => ({ kind: 'complete' as const, attempt: job })),
    );
    expect(late.map((r) => !r.ok && r.error instanceof StaleAttemptError)).toEqual(
      held.map(() => true),
    );

    await broker.start();
    const after = await store.enqueue(jobs(10, 'after'));
    const fresh = await node(store, 'node-b');
    const done = await completeN(store, fresh, 50);
    const ids = new Set(done.map((job) => job.id));
    expect(ids.size).toBe(50);
    for (const { job } of [...before, ...after]) expect(ids.has(job.id)).toBe(true);
  });

  it('reports the publishes cut by a crash as not confirmed, and loses none that were confirmed', async () => {
    const store = open(prefixes.cut, { confirmTimeout: 5000 });
    const settled = await store.enqueue(jobs(100, 'confirmed'));
    const outcome = store.enqueue(jobs(3000, 'cut')).then(
      (results) => ({ confirmed: results.map((r) => r.job.id), error: undefined }),
      (error: unknown) => ({
        confirmed: error instanceof PublishNotConfirmedError ? [...error.confirmed] : [],
        error,
      }),
    );
    await broker.kill();
    const { confirmed, error } = await outcome;
    if (error !== undefined) {
      // Cut before every confirm came (the usual case): typed, with the confirmed ones named.
      expect(error).toBeInstanceOf(StoreUnavailableError);
    }
    await broker.start();
    const ref = await node(store);
    // Every confirmed job is delivered; unconfirmed ones may or may not have been taken.
    const wanted = new Set([...settled.map((r) => r.job.id), ...confirmed]);
    const seen = new Set<string>();
    while ([...wanted].some((id) => !seen.has(id))) {
      const claimed = await claimN(store, ref, 1, 'default', 200);
      const more = await store.claim({ queue: 'default', node: ref, limit: 200 });
      for (const job of [...claimed, ...more]) seen.add(job.id);
      await store.settle(
        [...claimed, ...more].map((job) => ({ kind: 'complete' as const, attempt: job })),
      );
    }
    expect([...wanted].filter((id) => !seen.has(id))).toEqual([]);
  });

  it('runs a Queue through the crash: its consumers reconnect and every job is done', async () => {
    const store = open(prefixes.queue);
    const runtime = new Runtime();
    runtimes.push(runtime);
    const done = new Set<number>();
    let reached: (() => void) | undefined;
    const milestone = (count: number) =>
      new Promise<void>((resolve) => {
        reached = () => {
          if (done.size >= count) resolve();
        };
      });
    const Record = defineWorker({
      name: 'record',
      perform: async ({ n }: { n: number }) => {
        done.add(n);
        reached?.();
      },
    });
    await Queue.start({
      store,
      runtime,
      workers: [Record],
      concurrency: 5,
      node: 'outage',
      heartbeatInterval: 100,
      lease: 1000,
    });
    const total = 300;
    const first = milestone(50);
    for (let n = 0; n < total; n++) await enqueue(store, Record, { n });
    await first;
    await broker.kill();
    await broker.start();
    const all = milestone(total);
    reached!();
    await all;
    expect(done.size).toBe(total);
  });
});
