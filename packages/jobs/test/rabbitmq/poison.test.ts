// A poison job on each queue type, with real processes: a job whose every start kills its
// worker process (the test SIGKILLs the worker by its PID when it reports the job's start)
// goes back to its queue without an outcome each time, and is dead-lettered once it has
// gone back more than `deliveryLimit` times: by the broker on a quorum queue
// (`x-delivery-limit`, an `x-death` header), by the store on a classic queue (which counts
// returns itself from the broker's `redelivered` flag, in `x-actorkit-returns`). The other
// jobs of the queue all complete, and nothing is left in the work queue.
import { rmSync } from 'node:fs';
import { waitFor } from '@actorkit/test-support';
import type { ConsumeMessage } from 'amqplib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptError } from '../../src/job.js';
import { HEADER } from '../../src/rabbitmq/message.js';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { effectsDatabase, queueDepth, readEffects } from './processes/effects.js';
import { bundleChildren, Child } from './processes/harness.js';
import { brokerUrl, drainQueue, nextMessage, rabbitStores, uniquePrefix } from './support.js';

const LIMIT = 3;
const OTHERS = 20;
const children: Child[] = [];
const dirs: string[] = [];
const open = rabbitStores();

beforeAll(() => bundleChildren(), 120_000);

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.signal('SIGKILL')));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(['quorum', 'classic'] as const)('a poison job on a %s queue', (queueType) => {
  it('is dead-lettered after deliveryLimit returns while its worker process is killed at each start; the other jobs complete', async () => {
    const url = brokerUrl();
    const prefix = uniquePrefix();
    const names = queueNames(prefix, 'default');
    const effects = effectsDatabase();
    dirs.push(effects.dir);
    const producer = open({ url, prefix, queueType, deliveryLimit: LIMIT });
    await producer.declareQueue('default');
    const dead = nextMessage(url, names.dead);
    let deadLetter: ConsumeMessage | undefined;
    void dead.then((message) => (deadLetter = message));
    const [poison] = await producer.enqueue([
      { queue: 'default', worker: 'touch', args: { n: -1 } },
      ...Array.from({ length: OTHERS }, (_, n) => ({
        queue: 'default',
        worker: 'touch',
        args: { n },
      })),
    ]);
    const poisonId = poison!.job.id;

    const env = {
      AMQP_URL: url,
      PREFIX: prefix,
      DB: effects.path,
      QUEUE_TYPE: queueType,
      DELIVERY_LIMIT: String(LIMIT),
      CONCURRENCY: '1', // a prefetch of 1: only the poison job is held when its worker dies
      PAUSE: '2',
    };
    let starts = 0;
    let worker: Child | undefined;
    for (let round = 0; deadLetter === undefined; round++) {
      expect(round).toBeLessThanOrEqual(LIMIT + 1);
      worker = new Child('worker', { ...env, NODE_NAME: `w${round}` });
      children.push(worker);
      const started = worker
        .waitFor((e) => e.event === 'start' && e.jobId === poisonId, 'the poison job', 90_000)
        .then(() => 'started' as const);
      if ((await Promise.race([started, dead.then(() => 'dead' as const)])) === 'started') {
        starts++;
        expect(await worker.signal('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      } else {
        started.catch(() => {}); // the last worker stays up and never starts it again
      }
    }

    // Started once, then once per return up to the limit; the next return dead-letters it.
    expect(starts).toBe(LIMIT + 1);
    const message = deadLetter!;
    expect(message.properties.messageId).toBe(poisonId);
    const headers = message.properties.headers ?? {};
    if (queueType === 'quorum') {
      const deaths = headers['x-death'] as { reason: string }[];
      expect(deaths[0]!.reason).toBe('delivery_limit');
    } else {
      expect(headers[HEADER.returns]).toBe(LIMIT + 1);
      const errors = JSON.parse(String(headers[HEADER.errors])) as AttemptError[];
      expect(errors.map((e) => [e.kind, e.name])).toEqual([['rescued', 'DeliveryLimitExceeded']]);
      expect(errors[0]!.message).toMatch(/4 times, more than deliveryLimit \(3\)/);
    }

    // The last worker completes the others; nothing is left to run.
    const others = () => [...readEffects(effects.path).done.values()].filter((n) => n >= 0);
    await waitFor(() => worker!.alive() && others().length === OTHERS, {
      timeout: 90_000,
      interval: 50,
      what: `the ${OTHERS} other jobs' effects`,
    });
    await worker!.signal('SIGTERM');
    expect(await queueDepth(url, names.work)).toMatchObject({ messageCount: 0 });
    const left = await drainQueue(url, names.dead);
    expect(left.map((m) => [m.properties.messageId, m.properties.headers])).toEqual([]); // taken above
  }, 300_000);
});
