// Helpers of the RabbitMQ store's tests: a store per test on the run's broker, each with
// its own name prefix (so tests never see each other's queues), closed after the test.
import { randomUUID } from 'node:crypto';
import { type ConsumeMessage, connect, type GetMessage } from 'amqplib';
import { afterEach, inject } from 'vitest';
import type { ClaimedJob } from '../../src/job.js';
import { RabbitMqStore, type RabbitMqStoreOptions } from '../../src/rabbitmq/index.js';
import type { NodeRef, Store } from '../../src/store.js';

/** The URL of the run's private broker (started by global-setup.ts). */
export function brokerUrl(): string {
  return inject('rabbitmqUrl');
}

/** A name prefix no other test uses. */
export function uniquePrefix(): string {
  return `test.${randomUUID().slice(0, 8)}`;
}

/** Returns a function that opens RabbitMQ stores closed after each test. */
export function rabbitStores(): (options?: Partial<RabbitMqStoreOptions>) => RabbitMqStore {
  const open: RabbitMqStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });
  return (options = {}) => {
    const store = new RabbitMqStore({ url: brokerUrl(), prefix: uniquePrefix(), ...options });
    open.push(store);
    return store;
  };
}

/** Registers a fresh incarnation of node `name`. */
export async function node(store: Store, name = 'node-a'): Promise<NodeRef> {
  const ref = { name, incarnation: `${name}#${randomUUID()}` };
  await store.registerNode(ref, 10_000);
  return ref;
}

/**
 * Claims from `queue` until `count` jobs came (the broker pushes them asynchronously: each
 * delivery wakes the store's insert listeners). The test's timeout bounds the wait.
 */
export async function claimN(
  store: Store,
  ref: NodeRef,
  count: number,
  queue = 'default',
  limit = count,
): Promise<ClaimedJob[]> {
  const claimed: ClaimedJob[] = [];
  while (claimed.length < count) {
    const woken = new Promise<void>((resolve) => {
      const off = store.onInsert((q) => {
        if (q !== queue) return;
        off();
        resolve();
      });
    });
    claimed.push(
      ...(await store.claim({ queue, node: ref, limit: Math.min(limit, count - claimed.length) })),
    );
    if (claimed.length < count) await woken;
  }
  return claimed;
}

/**
 * Claims jobs of `queue` and completes each at once, until `count` were done (so a
 * consumer's prefetch never fills with held jobs); resolves with them, in claim order.
 */
export async function completeN(
  store: Store,
  ref: NodeRef,
  count: number,
  queue = 'default',
): Promise<ClaimedJob[]> {
  const done: ClaimedJob[] = [];
  while (done.length < count) {
    const claimed = await claimN(store, ref, 1, queue, count - done.length);
    const more = await store.claim({ queue, node: ref, limit: count - done.length - 1 });
    const batch = [...claimed, ...more];
    const settled = await store.settle(
      batch.map((job) => ({ kind: 'complete' as const, attempt: job })),
    );
    if (!settled.every((result) => result.ok)) throw new Error('a completion was refused');
    done.push(...batch);
  }
  return done;
}

/** Takes every message now in queue `name` with a raw amqplib channel (they are removed). */
export async function drainQueue(url: string, name: string): Promise<GetMessage[]> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(name, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  } finally {
    await connection.close();
  }
}

/** Waits until queue `name` holds `count` ready messages, looking every 50 ms (the broker has no event for it). */
export async function untilQueueHolds(url: string, name: string, count: number): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (;;) {
      const { messageCount } = await channel.checkQueue(name);
      if (messageCount >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await connection.close();
  }
}

/** Resolves with the next message that arrives in queue `name` (acked, so it leaves the queue). */
export async function nextMessage(url: string, name: string): Promise<ConsumeMessage> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const message = await new Promise<ConsumeMessage>((resolve, reject) => {
      channel
        .consume(name, (message) => {
          if (message === null) return reject(new Error(`consumer of ${name} cancelled`));
          channel.ack(message);
          resolve(message);
        })
        .catch(reject);
    });
    // The channel's close goes out after its ack; the connection's could overtake it (amqplib
    // writes each channel's frames in turn), and the broker would then put the message back.
    await channel.close();
    return message;
  } finally {
    await connection.close();
  }
}
