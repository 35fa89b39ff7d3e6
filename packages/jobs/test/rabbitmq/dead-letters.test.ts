// Jobs that cannot succeed end in the queue's dead-letter queue: discarded by the Queue
// after maxAttempts (with every attempt's error in the headers), or dead-lettered by the
// broker after deliveryLimit returns without an outcome (a job that kills its worker).
import { Runtime } from '@actorkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/enqueue.js';
import { Queue } from '../../src/queue.js';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { HEADER } from '../../src/rabbitmq/message.js';
import { defineWorker } from '../../src/worker.js';
import { brokerUrl, claimN, nextMessage, node, rabbitStores, uniquePrefix } from './support.js';

const open = rabbitStores();
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
});

describe('the dead-letter queue', () => {
  it("receives a job the Queue gave up on, with every attempt's error in its headers", async () => {
    const store = open({ delayResolution: 20 });
    const runtime = new Runtime();
    runtimes.push(runtime);
    const Failing = defineWorker({
      name: 'failing',
      maxAttempts: 3,
      backoff: { initial: 20, max: 40, jitter: 0 },
      perform: (_args: { n: number }, ctx) => {
        throw new Error(`attempt ${ctx.attempt} failed`);
      },
    });
    await store.declareQueue('default');
    const dead = nextMessage(brokerUrl(), store.deadLetterQueue('default'));
    await Queue.start({ store, runtime, workers: [Failing], node: 'dlq-test' });
    const { job } = await enqueue(store, Failing, { n: 7 });
    const message = await dead;
    expect(message.properties.messageId).toBe(job.id);
    expect(JSON.parse(message.content.toString())).toMatchObject({ id: job.id, args: { n: 7 } });
    const headers = message.properties.headers!;
    expect(headers[HEADER.attempt]).toBe(3);
    const errors = JSON.parse(String(headers[HEADER.errors]));
    expect(errors.map((e: { attempt: number; message: string }) => [e.attempt, e.message])).toEqual(
      [
        [1, 'attempt 1 failed'],
        [2, 'attempt 2 failed'],
        [3, 'attempt 3 failed'],
      ],
    );
  });

  it('receives a job returned without an outcome more than deliveryLimit times, as poison', async () => {
    const options = { url: brokerUrl(), prefix: uniquePrefix(), deliveryLimit: 2 };
    const seed = open(options);
    await seed.declareQueue('default');
    await seed.enqueue([{ queue: 'default', worker: 'w', args: 'kills its worker' }]);
    const dead = nextMessage(brokerUrl(), seed.deadLetterQueue('default'));
    let deadLettered = false;
    void dead.then(() => (deadLettered = true));
    let deliveries = 0;
    while (!deadLettered) {
      // A worker process that takes the job and dies: its connection closes without an ack.
      const store = new RabbitMqStore(options);
      const ref = await node(store);
      const taken = claimN(store, ref, 1).then(() => 'delivered' as const);
      if ((await Promise.race([taken, dead.then(() => 'dead' as const)])) === 'delivered')
        deliveries++;
      await store.close();
    }
    const message = await dead;
    expect(message.content.toString()).toContain('kills its worker');
    const deaths = message.properties.headers!['x-death'] as { reason: string }[];
    expect(deaths[0]!.reason).toBe('delivery_limit');
    expect(deliveries).toBe(3); // the first delivery and deliveryLimit redeliveries
  });
});
