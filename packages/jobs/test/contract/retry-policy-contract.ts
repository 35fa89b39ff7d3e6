import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { hasCapability } from '../../src/store.js';
import { claimEventually } from './core-contract.js';
import { attemptError, expectOk, type Fixture, newJob, node } from './fixture.js';

/**
 * A job's own retry policy (`maxAttempts` and `backoff` given at enqueue): every store
 * keeps both with the job, through claims and retries, so the queue that runs an attempt
 * computes the wait from the job's backoff rather than its worker's. Part of the core:
 * a broker carries them in the message as a database in the row.
 */
export function retryPolicyContract(setup: () => Promise<Fixture>): void {
  describe('a job’s own retry policy (core)', () => {
    it('keeps the backoff and maxAttempts a job was enqueued with, through a claim and a retry', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const backoff = { initial: 50, factor: 3, max: 400, jitter: 0.1 };
      const [own, plain] = await store.enqueue([
        newJob({ args: 'own', maxAttempts: 4, backoff }),
        newJob({ args: 'plain' }),
      ]);
      expect(own!.job).toMatchObject({ maxAttempts: 4, backoff });
      expect(plain!.job.backoff).toBeUndefined();
      const claimed = await claimEventually(store, ref, 2);
      const first = claimed.find((job) => job.args === 'own')!;
      expect(first).toMatchObject({ maxAttempts: 4, backoff });
      expect(claimed.find((job) => job.args === 'plain')!.backoff).toBeUndefined();
      const error = attemptError(1, clock.now());
      expectOk(await store.settle([{ kind: 'retry', attempt: first, runAt: clock.now(), error }]));
      const [again] = await claimEventually(store, ref, 1);
      expect(again).toMatchObject({ id: first.id, attempt: 2, maxAttempts: 4, backoff });
      if (hasCapability(store.capabilities, 'query')) {
        expect(await store.get(first.id)).toMatchObject({ backoff });
      }
    });

    it('refuses a backoff that is not plain data with InvalidArgumentError, enqueueing nothing', async () => {
      const { store } = await setup();
      const ref = await node(store);
      for (const backoff of [
        () => 5,
        { initial: 10, random: Math.random },
        { initial: -1 },
        { initial: 10, maximum: 100 },
        'fast',
      ]) {
        await expect(
          store.enqueue([newJob({ args: 'first' }), newJob({ backoff } as never)]),
        ).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      await store.enqueue([newJob({ args: 'marker' })]);
      expect((await claimEventually(store, ref, 1)).map((job) => job.args)).toEqual(['marker']);
    });
  });
}
