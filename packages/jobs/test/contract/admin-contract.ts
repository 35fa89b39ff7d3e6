import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { JobNotFoundError } from '../../src/errors.js';
import { requireCapabilities } from '../../src/store.js';
import { attemptError, claimOne, expectOk, type Fixture, newJob, node } from './fixture.js';

/** The operator half of the contract: manual control, queries, pruning, capabilities. */
export function adminContract(setup: () => Promise<Fixture>): void {
  describe('retryJob(), cancelJob(), discardJob() and retryAll()', () => {
    it('retries a discarded job by hand, with one more attempt when it had none left', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ maxAttempts: 1 })]);
      const job = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'discard', attempt: job }]));
      const retried = await store.retryJob(job.id);
      expect(retried).toMatchObject({ state: 'available', maxAttempts: 2, finishedAt: null });
      expect((await claimOne(store, ref)).attempt).toBe(2);
    });

    it('leaves a completed job as it is unless includeCompleted asks to run it again', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ maxAttempts: 1 })]);
      const job = await claimOne(store, ref);
      expectOk(await store.settle([{ kind: 'complete', attempt: job }]));
      expect(await store.retryJob(job.id)).toMatchObject({ state: 'completed', attempt: 1 });
      expect(await store.retryAll({ worker: 'w' })).toBe(0);
      const again = await store.retryJob(job.id, { includeCompleted: true });
      expect(again).toMatchObject({ state: 'available', maxAttempts: 2, finishedAt: null });
      expect((await claimOne(store, ref)).attempt).toBe(2);
    });

    it('revives completed jobs in bulk only when the states name them', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob()]);
      const jobs = await store.claim({ queue: 'default', node: ref, limit: 2 });
      expectOk(await store.settle(jobs.map((attempt) => ({ kind: 'complete' as const, attempt }))));
      expect(await store.retryAll({ states: ['discarded'] })).toBe(0);
      expect(await store.retryAll({ states: ['completed'] })).toBe(2);
      expect((await store.list({ state: 'available' })).map((j) => j.id)).toEqual(
        jobs.map((j) => j.id),
      );
    });

    it('runs a scheduled job now, and leaves an executing or available job as it is', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const [a, b, c] = await store.enqueue([
        newJob(),
        newJob(),
        newJob({ runAt: clock.now() + 60_000 }),
      ]);
      const executing = await claimOne(store, ref);
      expect(executing.id).toBe(a!.job.id);
      expect(await store.retryJob(a!.job.id)).toMatchObject({ state: 'executing', attempt: 1 });
      expect(await store.retryJob(b!.job.id)).toMatchObject({ state: 'available', attempt: 0 });
      expect(await store.retryJob(c!.job.id)).toMatchObject({
        state: 'available',
        runAt: clock.now(),
      });
      expectOk(await store.settle([{ kind: 'complete', attempt: executing }]));
    });

    it('refuses retryJob options it does not know, with InvalidArgumentError', async () => {
      const { store } = await setup();
      const [{ job }] = (await store.enqueue([newJob()])) as [any];
      await expect(
        store.retryJob(job.id, { completed: true } as unknown as { includeCompleted: boolean }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(
        store.retryJob(job.id, { includeCompleted: 'yes' } as unknown as {
          includeCompleted: boolean;
        }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('tells onInsert listeners of the queues whose jobs a retry made available, and of no others', async () => {
      const { store } = await setup();
      const ref = await node(store);
      const seen: string[] = [];
      store.onInsert((queue) => seen.push(queue));
      await store.enqueue([
        newJob({ queue: 'mail', maxAttempts: 1 }),
        newJob({ queue: 'sms', maxAttempts: 1 }),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      seen.length = 0;
      const mail = await claimOne(store, ref, 'mail');
      const sms = await claimOne(store, ref, 'sms');
      expectOk(
        await store.settle([
          { kind: 'discard', attempt: mail },
          { kind: 'complete', attempt: sms },
        ]),
      );
      await store.retryJob(sms.id); // completed: left as it is, nobody told
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([]);
      await store.retryJob(mail.id);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['mail']);
      await store.discardJob(mail.id);
      await store.retryAll({ states: ['discarded', 'completed'] });
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen.sort()).toEqual(['mail', 'mail', 'sms']);
    });

    it('cancels an executing job, so its attempt can no longer record an outcome', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      expect((await store.cancelJob(job.id)).state).toBe('cancelled');
      const [late] = await store.settle([{ kind: 'complete', attempt: job }]);
      expect(late!.ok).toBe(false);
    });

    it('leaves a final job as it is when cancelled or discarded', async () => {
      const { store } = await setup();
      const [{ job }] = (await store.enqueue([newJob()])) as [any];
      await store.discardJob(job.id);
      expect((await store.cancelJob(job.id)).state).toBe('discarded');
    });

    it('rejects with JobNotFoundError for an id the store does not have', async () => {
      const { store } = await setup();
      await expect(store.retryJob('424242')).rejects.toBeInstanceOf(JobNotFoundError);
      await expect(store.cancelJob('424242')).rejects.toBeInstanceOf(JobNotFoundError);
      await expect(store.discardJob('424242')).rejects.toBeInstanceOf(JobNotFoundError);
    });

    it('retries in bulk the discarded and retryable jobs of one worker', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([
        newJob({ worker: 'a' }),
        newJob({ worker: 'a' }),
        newJob({ worker: 'b' }),
      ]);
      const jobs = await store.claim({ queue: 'default', node: ref, limit: 3 });
      const error = attemptError(1, clock.now());
      expectOk(
        await store.settle([
          { kind: 'discard', attempt: jobs[0]!, error },
          { kind: 'retry', attempt: jobs[1]!, runAt: clock.now() + 60_000, error },
          { kind: 'discard', attempt: jobs[2]!, error },
        ]),
      );
      expect(await store.retryAll({ worker: 'a' })).toBe(2);
      expect((await store.list({ state: 'available' })).map((j) => j.worker)).toEqual(['a', 'a']);
      expect((await store.list({ state: 'discarded' })).map((j) => j.worker)).toEqual(['b']);
    });
  });

  describe('get(), list(), counts()', () => {
    it('lists jobs by state, queue and worker, in id order, a page at a time', async () => {
      const { store } = await setup();
      await store.enqueue([
        newJob({ queue: 'a', worker: 'x' }),
        newJob({ queue: 'b', worker: 'x' }),
        newJob({ queue: 'a', worker: 'y' }),
        newJob({ queue: 'a', worker: 'x' }),
      ]);
      const ax = await store.list({ queue: 'a', worker: 'x' });
      expect(ax).toHaveLength(2);
      const page1 = await store.list({ limit: 2 });
      const page2 = await store.list({ limit: 2, after: page1[1]!.id });
      expect([...page1, ...page2].map((j) => j.id)).toEqual((await store.list()).map((j) => j.id));
      expect(await store.list({ state: ['completed', 'discarded'] })).toEqual([]);
      expect(await store.get('987654')).toBeUndefined();
    });

    it('counts jobs by queue and state', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob(), newJob({ queue: 'mail' })]);
      await claimOne(store, ref);
      const counts = await store.counts();
      const byQueue = Object.fromEntries(counts.map((c) => [c.queue, c.counts]));
      expect(byQueue.default).toMatchObject({ available: 1, executing: 1, completed: 0 });
      expect(byQueue.mail).toMatchObject({ available: 1 });
    });
  });

  describe('prune()', () => {
    it('deletes final jobs that finished before the cutoff, up to the limit, and nothing else', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob(), newJob(), newJob()]);
      const [a, b, c] = await store.claim({ queue: 'default', node: ref, limit: 3 });
      expectOk(
        await store.settle([
          { kind: 'complete', attempt: a! },
          { kind: 'complete', attempt: b! },
        ]),
      );
      await clock.advance(1000);
      expectOk(await store.settle([{ kind: 'discard', attempt: c! }]));
      const cutoff = clock.now();
      expect(await store.prune(cutoff, 1)).toBe(1);
      expect(await store.prune(cutoff, 100)).toBe(1);
      expect((await store.list()).map((j) => j.state).sort()).toEqual(['available', 'discarded']);
    });
  });

  describe('capabilities', () => {
    it('declares its capabilities, and requireCapabilities checks them', async () => {
      const { store } = await setup();
      const { durability, sharedAcrossProcesses, transactionalEnqueue } = store.capabilities;
      expect(['none', 'process', 'machine']).toContain(durability);
      expect(typeof sharedAcrossProcesses).toBe('boolean');
      expect(typeof transactionalEnqueue).toBe('boolean');
      expect(() => requireCapabilities(store, { durability })).not.toThrow();
      if (durability !== 'machine') {
        expect(() => requireCapabilities(store, { durability: 'machine' })).toThrow(
          /cannot give durability/,
        );
      }
    });
  });
}
