// Retries and scheduled jobs through the delay levels, on the real broker with real,
// deliberately short TTLs (delayResolution 50 ms): a job never starts before its runAt.
import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { Enqueued } from '../../src/job.js';
import { delayQueueName } from '../../src/rabbitmq/topology.js';
import { brokerUrl, claimN, node, rabbitStores } from './support.js';

const open = rabbitStores();

async function queueExists(name: string): Promise<boolean> {
  const connection = await connect(brokerUrl());
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return await channel.checkQueue(name).then(
      () => true,
      () => false,
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

describe('delay levels', () => {
  it('starts a scheduled job no earlier than its runAt, after waiting in a delay level', async () => {
    const prefix = 'test.delays.scheduled';
    const store = open({ prefix, delayResolution: 50 });
    const ref = await node(store);
    await store.claim({ queue: 'default', node: ref, limit: 1 }); // starts the consumer
    const [{ job }] = (await store.enqueue([
      { queue: 'default', worker: 'w', args: 'later', delay: 300 },
    ])) as [Enqueued];
    expect(job.state).toBe('scheduled');
    const [claimed] = await claimN(store, ref, 1);
    expect(Date.now()).toBeGreaterThanOrEqual(job.runAt);
    expect(claimed).toMatchObject({ args: 'later', attempt: 1 });
    // It waited in a delay level: the largest that fit what was left of its delay once the
    // publish went out (the first enqueue of a queue declares it first, which takes a while).
    const levels = [50, 100, 200].map((ms) => queueExists(delayQueueName(prefix, 'default', ms)));
    expect(await Promise.all(levels)).toContain(true);
  });

  it('brings a retried job back no earlier than its backoff, with attempt 2 and its error', async () => {
    const store = open({ delayResolution: 50 });
    const ref = await node(store);
    await store.enqueue([{ queue: 'default', worker: 'w', args: 'flaky' }]);
    const [first] = await claimN(store, ref, 1);
    const runAt = Date.now() + 250;
    const error = {
      attempt: 1,
      at: Date.now(),
      kind: 'error' as const,
      name: 'Error',
      message: 'boom',
    };
    const [result] = await store.settle([{ kind: 'retry', attempt: first!, runAt, error }]);
    expect(result!.ok).toBe(true);
    const [again] = await claimN(store, ref, 1);
    expect(Date.now()).toBeGreaterThanOrEqual(runAt);
    expect(again).toMatchObject({ id: first!.id, attempt: 2, runAt, errors: [error] });
  });
});
