// RabbitMqStore.counts() against the run's private broker: what AMQP can count (the
// dead-letter queue's depth as `discarded`, the work queue's ready messages and consumers,
// by passive declares), and nothing it cannot: every other state is left out, never 0.
import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../../src/rabbitmq/index.js';
import { claimN, node, rabbitStores, uniquePrefix } from './support.js';

const open = rabbitStores();
const job = (queue: string, n: number) => ({ queue, worker: 'w', args: { n } });

describe('RabbitMqStore.counts()', () => {
  it('counts dead letters as discarded, and the ready messages and consumers of each queue it used', async () => {
    const store = open();
    await store.enqueue([job('mail', 1), job('mail', 2), job('mail', 3), job('idle', 1)]);
    const ref = await node(store);
    const [first] = await claimN(store, ref, 1, 'mail');
    await store.settle([{ kind: 'discard', attempt: first! }]);
    // The next job is executing (its consumer holds it, prefetch 1): neither ready nor counted.
    await claimN(store, ref, 1, 'mail');

    const counts = await store.counts();
    expect(counts).toEqual([
      { queue: 'mail', counts: { discarded: 1 }, ready: 1, consumers: 1 },
      { queue: 'idle', counts: { discarded: 0 }, ready: 1, consumers: 0 },
    ]);
  });

  it('counts queues this store object never used when asked by name, and leaves out those the broker does not have', async () => {
    const prefix = uniquePrefix();
    const other = open({ prefix });
    await other.enqueue([job('reports', 1), job('reports', 2)]);
    const store = open({ prefix });
    expect(await store.counts()).toEqual([]);
    expect(await store.counts(['nowhere', 'reports', 'nowhere-either'])).toEqual([
      { queue: 'reports', counts: { discarded: 0 }, ready: 2, consumers: 0 },
    ]);
  });

  it('refuses queue names that are not an array of names, and rejects with BrokerUnavailableError on a closed store', async () => {
    const store = open();
    await expect(store.counts('mail' as unknown as string[])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.counts([''])).rejects.toBeInstanceOf(InvalidArgumentError);
    await store.close();
    await expect(store.counts(['mail'])).rejects.toBeInstanceOf(BrokerUnavailableError);
  });
});
