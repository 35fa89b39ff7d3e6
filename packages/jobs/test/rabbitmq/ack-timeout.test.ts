// Long jobs against the broker's consumer ack timeout, for real: this file's own private
// broker with `consumer_timeout` = 3 s, checked every 200 ms (`channel_tick_interval`;
// RabbitMQ 3.10 checks once a minute by default, so a timeout fires up to a minute late).
// A delivery held past it makes the broker close its consumer channel (PRECONDITION_FAILED)
// and deliver the job again. The store must notice, refuse the stale attempt's outcome,
// stop the attempt (its ctx.signal aborts), and go on with a new channel on the same
// connection: the other queues' consumers and the publishing channel are not touched.
import { Runtime } from '@actorkit/core';
import { type Broker, startBroker } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/enqueue.js';
import { LeaseLostError, StaleAttemptError } from '../../src/errors.js';
import { Queue } from '../../src/queue.js';
import type { QueueConsumer } from '../../src/rabbitmq/consumer.js';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { isJobReport, type JobReport } from '../../src/report.js';
import type { NodeRef } from '../../src/store.js';
import { defineWorker } from '../../src/worker.js';
import { claimN, completeN, node, uniquePrefix } from './support.js';

const CONSUMER_TIMEOUT = 3000;
let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ consumerTimeout: CONSUMER_TIMEOUT, channelTickInterval: 200 });
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

function open(): RabbitMqStore {
  const store = new RabbitMqStore({ url: broker.url, prefix: uniquePrefix() });
  stores.push(store);
  return store;
}

/** How many consumer channels of `queue` the broker closed while the connection lived on. */
function channelsLost(store: RabbitMqStore, queue: string): number {
  const consumers = (store as unknown as { consumers: Map<string, QueueConsumer> }).consumers;
  return consumers.get(queue)?.channelsLost ?? 0;
}

/** Resolves with the LeaseLostError `ref`'s heartbeat gets once the store noticed the closed channel. */
async function untilLeaseLost(store: RabbitMqStore, ref: NodeRef): Promise<LeaseLostError> {
  let lost: unknown;
  await expect
    .poll(
      async () =>
        (lost = await store.heartbeat(ref, 10_000).then(
          () => undefined,
          (error: unknown) => error,
        )),
      { timeout: 30_000, interval: 20 },
    )
    .toBeInstanceOf(LeaseLostError);
  return lost as LeaseLostError;
}

describe('RabbitMqStore past the consumer ack timeout', () => {
  it('refuses the held attempt as stale, delivers the job again on a new channel, and leaves the other consumers and the connection alone', async () => {
    const store = open();
    const holder = await node(store, 'holder');
    const bystander = await node(store, 'bystander');
    const [enqueued] = await store.enqueue([{ queue: 'long', worker: 'w', args: {} }]);
    const [held] = await claimN(store, holder, 1, 'long');
    // Delivered 1.5 s after the held one (the broker's delay level, not a sleep here): on
    // the same connection before the held one's timeout, and its own timeout comes well after.
    await store.enqueue([{ queue: 'other', worker: 'w', args: {}, delay: 1500 }]);
    const [other] = await claimN(store, bystander, 1, 'other');
    await store.heartbeat(holder, 10_000); // the held delivery's channel is still open

    const lost = await untilLeaseLost(store, holder);
    expect(lost.message).toMatch(/acknowledgement .*timed out/);
    expect(lost.message).toMatch(/consumer_timeout/);
    const [stale] = await store.settle([{ kind: 'complete', attempt: held! }]);
    expect(stale).toMatchObject({ ok: false, error: expect.any(StaleAttemptError) });

    // The bystander's delivery came on another channel of the same connection: untouched.
    expect(await store.settle([{ kind: 'complete', attempt: other! }])).toEqual([{ ok: true }]);
    await store.heartbeat(bystander, 10_000);

    const fresh = await node(store, 'fresh');
    const [again] = await claimN(store, fresh, 1, 'long');
    expect(again!.id).toBe(enqueued!.job.id);
    expect(await store.settle([{ kind: 'complete', attempt: again! }])).toEqual([{ ok: true }]);
    // A job through the same consumer channel after that ack: had the ack gone to a
    // channel that did not deliver the job ("unknown delivery tag"), the broker would have
    // closed this one too.
    await store.enqueue([{ queue: 'long', worker: 'w', args: {} }]);
    await completeN(store, fresh, 1, 'long');
    expect(channelsLost(store, 'long')).toBe(1);
    expect(channelsLost(store, 'other')).toBe(0);
  });

  it("stops a Queue's attempt that outlives the timeout through ctx.signal and completes the job once on the new channel", async () => {
    const store = open();
    const runtime = new Runtime();
    runtimes.push(runtime);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const reports: JobReport[] = [];
    runtime.events.on('report', (report) => {
      if (isJobReport(report)) reports.push(report);
    });
    let runs = 0;
    const aborted: string[] = [];
    const quickDone = new Set<number>();
    let notify = () => {};
    const event = <T>(check: () => T | undefined) =>
      new Promise<T>((resolve) => {
        const previous = notify;
        notify = () => {
          previous();
          const value = check();
          if (value !== undefined) resolve(value);
        };
      });
    const Long = defineWorker({
      name: 'long',
      queue: 'long',
      async perform(_args: Record<string, never>, ctx) {
        runs++;
        if (runs === 1) {
          // Runs past the consumer timeout, until its attempt is stopped.
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve()),
          );
          aborted.push(String(ctx.signal.reason ?? 'aborted'));
          notify();
          return;
        }
      },
    });
    const Quick = defineWorker({
      name: 'quick',
      queue: 'other',
      async perform({ n }: { n: number }) {
        quickDone.add(n);
        notify();
      },
    });
    const common = { store, runtime, heartbeatInterval: 100, lease: 5000 };
    await Queue.start({ ...common, queue: 'long', workers: [Long], concurrency: 2, node: 'long' });
    await Queue.start({
      ...common,
      queue: 'other',
      workers: [Quick],
      concurrency: 2,
      node: 'other',
    });
    runtime.events.on('report', () => notify());

    try {
      const completedOnce = event(() =>
        reports.some((r) => r.event === 'stop' && r.worker === 'long') ? true : undefined,
      );
      const { job } = await enqueue(store, Long, {});
      await completedOnce;
      expect(runs).toBe(2);
      expect(aborted).toHaveLength(1);
      const ofJob = reports.filter((r) => r.jobId === job.id);
      expect(ofJob.filter((r) => r.event === 'start')).toHaveLength(2);
      expect(ofJob.filter((r) => r.event === 'stop')).toHaveLength(1);
      expect(reports.filter((r) => r.event === 'lease_lost' && r.queue === 'long')).toHaveLength(1);

      // Both queues go on: jobs enqueued now are all done, on the channels that replaced none.
      const allQuick = event(() => (quickDone.size === 20 ? true : undefined));
      for (let n = 0; n < 20; n++) await enqueue(store, Quick, { n });
      await allQuick;
      const secondLong = event(() =>
        reports.filter((r) => r.event === 'stop' && r.worker === 'long').length === 2
          ? true
          : undefined,
      );
      await enqueue(store, Long, {});
      await secondLong;
      expect(channelsLost(store, 'long')).toBe(1);
      expect(channelsLost(store, 'other')).toBe(0);
      expect(reports.filter((r) => r.event === 'lease_lost' && r.queue === 'other')).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
