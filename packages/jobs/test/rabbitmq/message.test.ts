// A job's attempt state travels in message headers, written only when they say something
// (a new, due job has none: #16, C1 of /work/notes/rabbitmq-perf.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttemptError } from '../../src/job.js';
import { decodeMessage, encodeBody, HEADER, publishOptions } from '../../src/rabbitmq/message.js';
import { queueNames } from '../../src/rabbitmq/topology.js';
import { brokerUrl, claimN, drainQueue, node, rabbitStores, uniquePrefix } from './support.js';

const open = rabbitStores();

const attemptError: fc.Arbitrary<AttemptError> = fc.record({
  attempt: fc.integer({ min: 1, max: 20 }),
  at: fc.nat(),
  kind: fc.constantFrom('error' as const, 'exit' as const, 'rescued' as const),
  name: fc.string(),
  message: fc.string(),
});

describe('publishOptions()', () => {
  it('writes no headers for a new job that is due at once', () => {
    const options = publishOptions('id-1', 1000, 0, [], 1000);
    expect(options).toEqual({
      persistent: true,
      mandatory: true,
      messageId: 'id-1',
      contentType: 'application/json',
    });
  });

  it('writes attempt state that decodeMessage reads back as it was, headers or not', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 5 }),
        fc.array(attemptError, { maxLength: 3 }),
        fc.nat({ max: 3 }),
        (insertedAt, wait, attempts, errors, returns) => {
          const runAt = insertedAt + wait;
          const job = { id: 'id-1', worker: 'w', args: [1], maxAttempts: 5, insertedAt };
          const properties = publishOptions(job.id, runAt, attempts, errors, insertedAt, returns);
          const decoded = decodeMessage('q', { content: encodeBody(job), properties } as never);
          expect(decoded).toMatchObject({ runAt, attempts, errors, insertedAt });
          // A classic queue's count of returns: absent when none.
          expect(decoded.returns).toBe(returns === 0 ? undefined : returns);
          const fresh = attempts === 0 && errors.length === 0 && wait === 0 && returns === 0;
          expect(properties.headers === undefined).toBe(fresh);
        },
      ),
    );
  });
});

describe('messages on the broker', () => {
  it('carry no headers for a new, due job and the attempt history for a retried one', async () => {
    const prefix = uniquePrefix();
    const store = open({ prefix });
    const ref = await node(store);
    await store.enqueue([{ queue: 'default', worker: 'w', args: 'fresh' }]);
    const [claimed] = await claimN(store, ref, 1);
    const error = { attempt: 1, at: store.now(), kind: 'error' as const, name: 'E', message: 'm' };
    const [result] = await store.settle([
      { kind: 'retry', attempt: claimed!, runAt: store.now(), error },
    ]);
    expect(result!.ok).toBe(true);
    await store.enqueue([{ queue: 'default', worker: 'w', args: 'second' }]);
    await store.unregisterNode(ref);

    const messages = await drainQueue(brokerUrl(), queueNames(prefix, 'default').work);
    const byArgs = new Map(
      messages.map((m) => [JSON.parse(m.content.toString()).args as string, m.properties]),
    );
    expect(byArgs.get('second')!.headers ?? {}).not.toHaveProperty(HEADER.attempt);
    expect(byArgs.get('fresh')!.headers).toMatchObject({
      [HEADER.attempt]: 1,
      [HEADER.errors]: JSON.stringify([error]),
    });
  });
});
