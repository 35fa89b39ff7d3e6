// A broker that blocks publishers, for real: a private broker (the alarm would stop every
// other test file's publishers on the run's broker) whose memory alarm is raised with
// `rabbitmqctl set_vm_memory_high_watermark 0` and cleared again. RabbitMQ blocks a
// connection at its first publish during the alarm (`connection.blocked`) and reads nothing
// more from it until the alarm clears. An enqueue then rejects with PublisherBlockedError
// after blockedTimeout — never hangs, never reports a job enqueued that was not — says
// whether what it wrote may arrive all the same, and enqueues go on once the alarm clears.
import { type Broker, startBroker } from '@actorkit/test-support';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublisherBlockedError } from '../../src/rabbitmq/index.js';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { queueDepth } from './processes/effects.js';
import { claimN, completeN, node, rabbitStores, uniquePrefix } from './support.js';

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
}, 180_000);
afterAll(() => broker?.close());

const open = rabbitStores();

/** Resolves once the broker blocks a connection that publishes: the alarm is in force. */
async function untilBlocking(url: string): Promise<() => Promise<void>> {
  const probe = await connect(url);
  const blocked = new Promise((resolve) => probe.on('blocked', resolve));
  const unblocked = new Promise((resolve) => probe.on('unblocked', resolve));
  const channel = await probe.createChannel();
  // Published until one is held: the broker may take a moment to raise the alarm.
  while (
    (await Promise.race([
      blocked.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 100)),
    ])) === false
  ) {
    channel.publish('', 'nowhere', Buffer.from('probe'));
  }
  // The probe's socket is not read any more: drop it once the alarm has cleared.
  return async () => {
    await unblocked;
    await probe.close();
  };
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('an enqueue during the alarm resolved'),
    (error: unknown) => error,
  );
}

describe.each(['quorum', 'classic'] as const)(
  'enqueue() while the broker blocks publishers (%s queues)',
  (queueType) => {
    it('rejects with PublisherBlockedError after blockedTimeout, saying whether the job may arrive, and goes on once the alarm clears', async () => {
      const prefix = uniquePrefix();
      const store = open({ url: broker.url, prefix, queueType, blockedTimeout: 800 });
      const patient = open({ url: broker.url, prefix, queueType, blockedTimeout: 120_000 });
      const ref = await node(store);
      const job = (args: string) => ({ queue: 'default', worker: 'w', args });
      await store.enqueue([job('before')]);
      await patient.declareQueue('default');

      await broker.ctl('set_vm_memory_high_watermark', '0');
      let alarm = true;
      try {
        const probeDone = await untilBlocking(broker.url);
        // The first publish during the alarm goes out, and the broker blocks the connection on it.
        const first = await rejection(store.enqueue([job('first')]));
        expect(first).toBeInstanceOf(PublisherBlockedError);
        expect(first).toMatchObject({ maybePublished: true, confirmed: [], waited: 800 });
        expect((first as Error).message).toMatch(
          /the broker blocks publishers \(low on memory: a memory or disk alarm\) and did not unblock within 800 ms\. What was written before the block may be enqueued/,
        );
        // Now the connection is known to be blocked: nothing more is written.
        const second = await rejection(store.enqueue([job('second')]));
        expect(second).toBeInstanceOf(PublisherBlockedError);
        expect(second).toMatchObject({ maybePublished: false, confirmed: [] });
        expect((second as Error).message).toMatch(/Nothing was published; retry later/);
        // A queue not declared yet: declared over the consumers' connection (never blocked),
        // its job held back all the same.
        const declaring = await rejection(store.enqueue([{ ...job('new queue'), queue: 'other' }]));
        expect(declaring).toMatchObject({ maybePublished: false, name: 'PublisherBlockedError' });
        await store.declareQueue('third'); // not held by the block
        // Consumers have a connection of their own: deliveries go on during the alarm.
        const [before] = await claimN(store, ref, 1);
        expect(before!.args).toBe('before');
        expect(await store.settle([{ kind: 'complete', attempt: before! }])).toEqual([
          { ok: true },
        ]);

        // A store that waits longer is held, then confirmed once the alarm clears.
        const waiting = patient.enqueue([job('waits')]);
        alarm = false;
        await broker.ctl('set_vm_memory_high_watermark', '0.8');
        await probeDone();
        expect((await waiting).map((e) => e.job.args)).toEqual(['waits']);
      } finally {
        if (alarm) await broker.ctl('set_vm_memory_high_watermark', '0.8');
      }

      expect((await store.enqueue([job('after')])).map((e) => e.job.args)).toEqual(['after']);
      // 'first' was read by the broker once the alarm cleared (it said "may"); 'second' never was.
      const rest = await completeN(store, ref, 3);
      expect(rest.map((j) => j.args).sort()).toEqual(['after', 'first', 'waits']);
      await store.close();
      await patient.close();
      const names = queueNames(prefix, 'default');
      expect(await queueDepth(broker.url, names.work)).toMatchObject({ messageCount: 0 });
    }, 120_000);
  },
);
