import { describe, expect, it } from 'vitest';
import { StaleAttemptError } from '../../src/errors.js';
import { attemptError, claimOne, expectOk, type Fixture, newJob, node } from './fixture.js';

/** The settle half of the contract: each outcome's transition, and fencing. */
export function settleContract(setup: () => Promise<Fixture>): void {
  describe('settle()', () => {
    it('completes an attempt: completed, finishedAt set, off the node', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      await clock.advance(25);
      expectOk(await store.settle([{ kind: 'complete', attempt: job }]));
      expect(await store.get(job.id)).toMatchObject({
        state: 'completed',
        finishedAt: clock.now(),
        node: null,
        attempt: 1,
      });
      expect(await store.claim({ queue: 'default', node: ref, limit: 1 })).toEqual([]);
    });

    it('retries an attempt at runAt, keeping its error and stack', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      const error = attemptError(1, clock.now());
      expectOk(
        await store.settle([{ kind: 'retry', attempt: job, runAt: clock.now() + 1000, error }]),
      );
      expect(await store.get(job.id)).toMatchObject({ state: 'retryable', errors: [error] });
      expect(await store.claim({ queue: 'default', node: ref, limit: 1 })).toEqual([]);
      await clock.advance(1000);
      const again = await claimOne(store, ref);
      expect(again).toMatchObject({ id: job.id, attempt: 2, errors: [error] });
      expect(again.errors[0]!.stack).toContain('Error: boom');
    });

    it('discards an attempt, with or without an error', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob()]);
      const [a, b] = await store.claim({ queue: 'default', node: ref, limit: 2 });
      const error = attemptError(1, clock.now(), 'gave up');
      expectOk(
        await store.settle([
          { kind: 'discard', attempt: a!, error },
          { kind: 'discard', attempt: b! },
        ]),
      );
      expect(await store.get(a!.id)).toMatchObject({ state: 'discarded', errors: [error] });
      expect(await store.get(b!.id)).toMatchObject({ state: 'discarded', errors: [] });
      expect((await store.get(a!.id))!.finishedAt).toBe(clock.now());
    });

    it('snoozes an attempt to runAt and gives the attempt back', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'snooze', attempt: job, runAt: clock.now() + 500 }]));
      expect(await store.get(job.id)).toMatchObject({ state: 'scheduled', attempt: 0, errors: [] });
      await clock.advance(500);
      expect((await claimOne(store, ref)).attempt).toBe(1);
    });

    it('requeues an attempt: available at once, attempt given back, no error recorded', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'requeue', attempt: job }]));
      expect(await store.get(job.id)).toMatchObject({ state: 'available', attempt: 0, errors: [] });
      expect((await claimOne(store, ref)).id).toBe(job.id);
    });

    it('refuses a second outcome for the same attempt with StaleAttemptError, changing nothing', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'complete', attempt: job }]));
      const [late] = await store.settle([
        { kind: 'retry', attempt: job, runAt: clock.now(), error: attemptError(1, clock.now()) },
      ]);
      expect(late).toMatchObject({ ok: false, error: expect.any(StaleAttemptError) });
      expect(await store.get(job.id)).toMatchObject({ state: 'completed', errors: [] });
    });

    it("refuses an old attempt's outcome once the job was claimed again (fencing)", async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const first = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'requeue', attempt: first }]));
      const second = await claimOne(store, ref);
      const [zombie] = await store.settle([{ kind: 'complete', attempt: first }]);
      expect(zombie!.ok).toBe(false);
      expect(await store.get(second.id)).toMatchObject({ state: 'executing', attempt: 1 });
      expectOk(await store.settle([{ kind: 'complete', attempt: second }]));
    });

    it('records the fresh outcomes of a batch and reports the stale ones', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob()]);
      const [a, b] = await store.claim({ queue: 'default', node: ref, limit: 2 });
      await store.cancelJob(a!.id);
      const results = await store.settle([
        { kind: 'complete', attempt: a! },
        { kind: 'complete', attempt: b! },
      ]);
      expect(results.map((r) => r.ok)).toEqual([false, true]);
      expect((await store.get(a!.id))!.state).toBe('cancelled');
      expect((await store.get(b!.id))!.state).toBe('completed');
    });

    it('records a batch of many completions among other outcomes, refusing only the stale ones', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue(Array.from({ length: 6 }, () => newJob()));
      const jobs = await store.claim({ queue: 'default', node: ref, limit: 6 });
      await store.cancelJob(jobs[2]!.id);
      const error = attemptError(1, clock.now());
      const results = await store.settle([
        { kind: 'complete', attempt: jobs[0]! },
        { kind: 'retry', attempt: jobs[1]!, runAt: clock.now() + 10, error },
        { kind: 'complete', attempt: jobs[2]! },
        { kind: 'complete', attempt: { id: jobs[3]!.id, token: jobs[3]!.token + 1 } },
        { kind: 'complete', attempt: jobs[4]! },
        { kind: 'complete', attempt: jobs[5]! },
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, true, false, false, true, true]);
      expect(results.filter((r) => !r.ok).map((r) => (r as { error: Error }).error.name)).toEqual([
        'StaleAttemptError',
        'StaleAttemptError',
      ]);
      const states = await Promise.all(jobs.map(async (j) => (await store.get(j.id))!.state));
      expect(states).toEqual([
        'completed',
        'retryable',
        'cancelled',
        'executing',
        'completed',
        'completed',
      ]);
    });

    it('refuses outcomes for a job id that does not exist', async () => {
      const { store } = await setup();
      const [result] = await store.settle([
        { kind: 'complete', attempt: { id: '999999', token: 1 } },
      ]);
      expect(result!.ok).toBe(false);
    });
  });

  describe('settleAndClaim()', () => {
    it('records the outcomes and claims the next jobs together', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob(), newJob()]);
      const first = await claimOne(store, ref);
      const { settled, claimed, leaseLost } = await store.settleAndClaim(
        [{ kind: 'complete', attempt: first }],
        { queue: 'default', node: ref, limit: 5 },
      );
      expectOk(settled);
      expect(leaseLost).toBe(false);
      expect(claimed.map((j) => j.state)).toEqual(['executing', 'executing']);
      expect((await store.get(first.id))!.state).toBe('completed');
    });

    it('records the outcomes but claims nothing for a node that lost its lease', async () => {
      const { store } = await setup();
      const old = await node(store, 'web-1');
      await store.enqueue([newJob(), newJob()]);
      const job = await claimOne(store, old);
      await node(store, 'web-1'); // a newer incarnation: the old one's job is rescued
      const result = await store.settleAndClaim([{ kind: 'complete', attempt: job }], {
        queue: 'default',
        node: old,
        limit: 5,
      });
      expect(result.leaseLost).toBe(true);
      expect(result.claimed).toEqual([]);
      expect(result.settled[0]!.ok).toBe(false); // rescued meanwhile: stale
      expect((await store.list({ state: 'available' })).length).toBe(2);
    });
  });
}
