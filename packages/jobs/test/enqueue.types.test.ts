import { VirtualClock } from '@actorkit/core';
import { describe, expectTypeOf, it } from 'vitest';
import { enqueue, job } from '../src/enqueue.js';
import { type ArgsOf, defineWorker } from '../src/worker.js';
import { memoryStore } from './support.js';

const Charge = defineWorker({
  name: 'charge',
  perform: (args: { orderId: string; cents: number }, ctx) => {
    expectTypeOf(args.cents).toBeNumber();
    expectTypeOf(ctx.job.args).toEqualTypeOf<{ orderId: string; cents: number }>();
    expectTypeOf(ctx.attempt).toBeNumber();
  },
});

describe('typed workers', () => {
  it('types args end to end: enqueue and job accept only the worker’s args type', async () => {
    expectTypeOf<ArgsOf<typeof Charge>>().toEqualTypeOf<{ orderId: string; cents: number }>();
    const store = memoryStore(new VirtualClock());
    const { job: stored } = await enqueue(store, Charge, { orderId: 'o-1', cents: 500 });
    expectTypeOf(stored.args).toEqualTypeOf<{ orderId: string; cents: number }>();
    // @ts-expect-error cents must be a number
    job(Charge, { orderId: 'o-1', cents: '500' });
    // @ts-expect-error orderId is missing
    await enqueue(store, Charge, { cents: 1 }).catch(() => {});
  });
});
