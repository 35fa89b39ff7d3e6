// How the broker inspector behind the Jobs view reads and moves dead letters, on the real
// broker: in order across batches, by two processes' inspectors at once (the pass lock),
// removing the duplicates an interrupted pass leaves, refusing a queue longer than
// maxPass, and showing (and keeping on retry) a poison job's death by delivery limit.
import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/job.js';
import { UnknownQueueError } from '../../src/observer-view-broker.js';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { rabbitMqInspector } from '../../src/rabbitmq/inspect.js';
import type { RabbitMqStoreOptions } from '../../src/rabbitmq/rabbitmq-store.js';
import { brokerUrl, claimN, nextMessage, node, rabbitStores, uniquePrefix } from './support.js';

const open = rabbitStores();

/** Enqueues `count` jobs and discards each after one attempt, in order: the dead-letter queue holds them as 0, 1, 2… */
async function deadLetters(store: RabbitMqStore, count: number): Promise<string[]> {
  const ref = await node(store);
  await store.enqueue(
    Array.from({ length: count }, (_, i) => ({ queue: 'mail', worker: 'w', args: { i } })),
  );
  const claimed = await claimN(store, ref, count, 'mail');
  claimed.sort((a, b) => (a.args as { i: number }).i - (b.args as { i: number }).i);
  for (const job of claimed) {
    const error = {
      attempt: 1,
      at: store.now(),
      kind: 'error' as const,
      name: 'Error',
      message: `no ${job.id}`,
    };
    const [result] = await store.settle([
      { kind: 'discard', attempt: { id: job.id, token: job.token }, error },
    ]);
    expect(result).toEqual({ ok: true });
  }
  await store.unregisterNode(ref);
  return claimed.map((job) => job.id);
}

const ids = (jobs: readonly Job[]) => jobs.map((job) => job.id);

describe('rabbitMqInspector(store).deadLetters()', () => {
  it('reads every dead letter in order across batches, again and again', async () => {
    const store = open();
    const inserted = await deadLetters(store, 7);
    const broker = rabbitMqInspector(store, { batch: 2 });
    try {
      for (let read = 0; read < 3; read++) {
        const dead = await broker.deadLetters('mail', 100);
        expect([dead.total, ids(dead.jobs)]).toEqual([7, inserted]);
      }
      expect(ids((await broker.deadLetters('mail', 3)).jobs)).toEqual(inserted.slice(0, 3));
    } finally {
      await broker.close();
    }
  });

  it("lets two processes' inspectors read the same queue at once, each seeing all of it", async () => {
    const store = open();
    const inserted = await deadLetters(store, 20);
    const one = rabbitMqInspector(store, { batch: 3 });
    const two = rabbitMqInspector(store, { batch: 3 });
    try {
      const [a, b] = await Promise.all([
        one.deadLetters('mail', 100),
        two.deadLetters('mail', 100),
      ]);
      expect(ids(a.jobs)).toEqual(inserted);
      expect(ids(b.jobs)).toEqual(inserted);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('removes the copy of a job an interrupted pass left behind', async () => {
    const store = open();
    const inserted = await deadLetters(store, 3);
    // What a pass that died between its copies' confirms and its acks leaves: a second
    // message of the same job at the tail.
    const dlq = store.deadLetterQueue('mail');
    const connection = await connect(brokerUrl());
    try {
      const channel = await connection.createChannel();
      const first = await channel.get(dlq, { noAck: false });
      if (first === false) throw new Error('the dead-letter queue is empty');
      const confirm = await connection.createConfirmChannel();
      confirm.sendToQueue(dlq, first.content, { ...first.properties, persistent: true });
      await confirm.waitForConfirms();
      await connection.close(); // the original goes back, unacked, as a crash would leave it
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    const broker = rabbitMqInspector(store);
    try {
      const dead = await broker.deadLetters('mail', 100);
      expect(dead.duplicatesRemoved).toBe(1);
      expect(ids(dead.jobs).sort()).toEqual([...inserted].sort());
      const again = await broker.deadLetters('mail', 100);
      expect([again.total, again.duplicatesRemoved]).toEqual([3, 0]);
    } finally {
      await broker.close();
    }
  });

  it('refuses to read a queue longer than maxPass, and retries all of it at any length', async () => {
    const store = open();
    await deadLetters(store, 4);
    const broker = rabbitMqInspector(store, { maxPass: 3, batch: 2 });
    try {
      await expect(broker.deadLetters('mail', 10)).rejects.toThrow(
        /holds 4 messages, more than a pass reads in order \(maxPass 3\)/,
      );
      expect(await broker.retryDeadLetters({ queue: 'mail' })).toBe(4);
      expect((await broker.queues(['mail'])).queues[0]).toMatchObject({ dead: 0, ready: 4 });
    } finally {
      await broker.close();
    }
  });
});

describe('rabbitMqInspector(store) and a queue the broker does not have', () => {
  it('refuses to read or retry its dead letters with UnknownQueueError, and leaves no lock behind', async () => {
    const store = open();
    const inserted = await deadLetters(store, 2);
    const one = rabbitMqInspector(store);
    const two = rabbitMqInspector(store, { lockTimeout: 0 });
    try {
      await expect(one.deadLetters('nowhere', 10)).rejects.toBeInstanceOf(UnknownQueueError);
      await expect(one.retryDeadLetters({ queue: 'nowhere' })).rejects.toBeInstanceOf(
        UnknownQueueError,
      );
      // Another connection passes through a real queue at once: no lock was left held.
      expect(ids((await two.deadLetters('mail', 10)).jobs)).toEqual(inserted);
      expect(ids((await one.deadLetters('mail', 10)).jobs)).toEqual(inserted);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('rabbitMqInspector(store) and a poison job', () => {
  it('shows the broker dead-lettering it by delivery limit as its last error, and keeps that on retry', async () => {
    const options: RabbitMqStoreOptions = {
      url: brokerUrl(),
      prefix: uniquePrefix(),
      deliveryLimit: 1,
    };
    const seed = open(options);
    await seed.declareQueue('mail');
    const [enqueued] = await seed.enqueue([
      { queue: 'mail', worker: 'w', args: 'kills its worker' },
    ]);
    const job = enqueued!.job;
    let dead = false;
    const arrived = new Promise<void>((resolve) => {
      const check = async () => {
        const connection = await connect(brokerUrl());
        try {
          const channel = await connection.createChannel();
          while ((await channel.checkQueue(seed.deadLetterQueue('mail'))).messageCount === 0) {
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          await connection.close();
        }
        dead = true;
        resolve();
      };
      void check();
    });
    while (!dead) {
      // A worker process that takes the job and dies: its connection closes without an ack.
      const store = new RabbitMqStore(options);
      const ref = await node(store);
      await Promise.race([claimN(store, ref, 1, 'mail'), arrived]);
      await store.close();
    }
    const broker = rabbitMqInspector(seed);
    try {
      const found = await broker.findDeadLetter(job.id, ['mail']);
      expect(found?.errors.at(-1)).toMatchObject({
        kind: 'rescued',
        name: 'DeliveryLimitExceeded',
        message: expect.stringMatching(
          /without an outcome more often than the queue's delivery limit allows/,
        ),
      });
      const retried = await broker.retryDeadLetter(job.id);
      expect(retried.state).toBe('available');
      const message = await nextMessage(brokerUrl(), `${options.prefix}.mail`);
      const errors = JSON.parse(String(message.properties.headers?.['x-actorkit-errors']));
      expect(errors.map((e: { name: string }) => e.name)).toEqual(['DeliveryLimitExceeded']);
      expect(message.properties.headers?.['x-delivery-count']).toBeUndefined();
    } finally {
      await broker.close();
    }
  });
});
