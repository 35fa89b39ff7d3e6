import { describe, expect, it } from 'vitest';
import { claimN, node, rabbitStores } from './support.js';

const open = rabbitStores();

describe('RabbitMqStore', () => {
  it('enqueues after the confirm, delivers, and completes by ack', async () => {
    const store = open();
    const ref = await node(store);
    const [first, second] = await store.enqueue([
      { queue: 'default', worker: 'w', args: { n: 1 } },
      { queue: 'default', worker: 'w', args: { n: 2 } },
    ]);
    expect(first!.job).toMatchObject({ state: 'available', attempt: 0, args: { n: 1 } });
    const claimed = await claimN(store, ref, 2);
    expect(claimed.map((j) => j.args)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(claimed.map((j) => j.id)).toEqual([first!.job.id, second!.job.id]);
    expect(claimed[0]).toMatchObject({ state: 'executing', attempt: 1, node: ref.incarnation });
    const settled = await store.settle(
      claimed.map((job) => ({ kind: 'complete' as const, attempt: job })),
    );
    expect(settled.map((r) => r.ok)).toEqual([true, true]);
  });
});
