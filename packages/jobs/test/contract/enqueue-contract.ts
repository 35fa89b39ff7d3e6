import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { claimOne, type Fixture, newJob, node } from './fixture.js';

/** The enqueue half of the contract: atomic inserts, scheduling, keys, wake-ups. */
export function enqueueContract(setup: () => Promise<Fixture>): void {
  describe('enqueue()', () => {
    it('inserts the jobs, committed and available, in order, with attempt 0', async () => {
      const { store, clock } = await setup();
      const results = await store.enqueue([newJob({ args: { n: 1 } }), newJob({ args: { n: 2 } })]);
      expect(results.map((r) => r.inserted)).toEqual([true, true]);
      expect(results.map((r) => r.job.args)).toEqual([{ n: 1 }, { n: 2 }]);
      const stored = await store.get(results[0]!.job.id);
      expect(stored).toMatchObject({
        state: 'available',
        attempt: 0,
        maxAttempts: 10,
        priority: 0,
        queue: 'default',
        worker: 'w',
        insertedAt: clock.now(),
        runAt: clock.now(),
        errors: [],
      });
    });

    it('gives each job its own id', async () => {
      const { store } = await setup();
      const results = await store.enqueue([newJob(), newJob(), newJob()]);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(3);
    });

    it('inserts none of a batch when one job is invalid', async () => {
      const { store } = await setup();
      const bad = newJob({ args: { when: new Date() } as unknown as object });
      await expect(store.enqueue([newJob(), bad])).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await store.list()).toEqual([]);
    });

    it('refuses args that would not read back the same (undefined, NaN, class instances)', async () => {
      const { store } = await setup();
      for (const args of [undefined, Number.NaN, new Map(), { f: () => 1 }]) {
        await expect(store.enqueue([newJob({ args })])).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      }
    });

    it('refuses a job with both runAt and delay', async () => {
      const { store, clock } = await setup();
      await expect(store.enqueue([newJob({ runAt: clock.now(), delay: 5 })])).rejects.toThrow(
        /runAt or delay/,
      );
    });

    it('refuses unknown job fields, as a misspelt option would do nothing', async () => {
      const { store } = await setup();
      const job = { ...newJob(), maxAttempt: 3 };
      await expect(store.enqueue([job])).rejects.toThrow(/maxAttempt/);
    });

    it('schedules a job with a future runAt and lets it be claimed only once that time comes', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const [{ job }] = (await store.enqueue([newJob({ runAt: clock.now() + 5000 })])) as [any];
      expect(job.state).toBe('scheduled');
      expect(await store.claim({ queue: 'default', node: ref, limit: 10 })).toEqual([]);
      expect(await store.nextRunAt('default')).toBe(clock.now() + 5000);
      await clock.advance(4999);
      expect(await store.claim({ queue: 'default', node: ref, limit: 10 })).toEqual([]);
      await clock.advance(1);
      expect((await claimOne(store, ref)).id).toBe(job.id);
    });

    // Regression: a fractional due time (a backoff's jitter, a runAt from a computation) made
    // a queue start the job up to 1 ms after it on the VirtualClock, as timers fire on whole
    // ms; due times are now kept in whole ms, rounded up, never early.
    it('keeps a fractional future due time rounded up to the whole ms, and a past one as it is', async () => {
      const { store, clock } = await setup();
      const now = clock.now();
      const [later, delayed, past] = await store.enqueue([
        newJob({ runAt: now + 1000.25 }),
        newJob({ delay: 0.5 }),
        newJob({ runAt: now - 0.5 }),
      ]);
      expect([later!.job.runAt, delayed!.job.runAt, past!.job.runAt]).toEqual([
        now + 1001,
        now + 1,
        now - 0.5,
      ]);
      expect((await store.get(later!.job.id))!.runAt).toBe(now + 1001);
      expect(past!.job.state).toBe('available');
    });

    it('inserts a large batch of keyed and unkeyed jobs in order, each readable as enqueued', async () => {
      const { store } = await setup();
      const jobs = Array.from({ length: 203 }, (_, n) =>
        newJob(n % 50 === 7 ? { key: `k${Math.floor(n / 100)}`, args: { n } } : { args: { n } }),
      );
      const results = await store.enqueue(jobs);
      const ids = results.map((r) => Number(r.job.id));
      const inserted = results.filter((r) => r.inserted);
      expect(inserted).toHaveLength(201); // keys k0 at n = 7, 57 and k1 at 107, 157: two repeats
      expect(inserted.map((r) => Number(r.job.id))).toEqual(
        [...new Set(ids)].sort((a, b) => a - b),
      );
      expect(results[57]!.job.id).toBe(results[7]!.job.id);
      expect(results[157]!.job.id).toBe(results[107]!.job.id);
      const stored = await store.list({ limit: 300 });
      expect(stored.map((j) => j.args)).toEqual(inserted.map((r) => r.job.args));
      expect(stored).toEqual(inserted.map((r) => r.job));
    });

    it('returns the existing job for a key it already holds, instead of a duplicate', async () => {
      const { store } = await setup();
      const [first] = await store.enqueue([newJob({ key: 'welcome:1', args: { v: 1 } })]);
      const [again] = await store.enqueue([newJob({ key: 'welcome:1', args: { v: 2 } })]);
      expect(again).toEqual({ job: first!.job, inserted: false });
      expect(await store.list()).toHaveLength(1);
    });

    it('deduplicates keys within one batch', async () => {
      const { store } = await setup();
      const results = await store.enqueue([newJob({ key: 'k' }), newJob({ key: 'k' })]);
      expect(results.map((r) => r.inserted)).toEqual([true, false]);
      expect(results[1]!.job.id).toBe(results[0]!.job.id);
    });

    it('lets a key be used again once the job is discarded or cancelled (the default states)', async () => {
      const { store } = await setup();
      const [first] = await store.enqueue([newJob({ key: 'k' })]);
      await store.cancelJob(first!.job.id);
      const [second] = await store.enqueue([newJob({ key: 'k' })]);
      expect(second!.inserted).toBe(true);
      expect(second!.job.id).not.toBe(first!.job.id);
    });

    it('keeps a key for its period only, counted from the first insertion', async () => {
      const { store, clock } = await setup();
      const unique = { period: 60_000 };
      await store.enqueue([newJob({ key: 'k', unique })]);
      await clock.advance(59_999);
      expect((await store.enqueue([newJob({ key: 'k', unique })]))[0]!.inserted).toBe(false);
      await clock.advance(1);
      expect((await store.enqueue([newJob({ key: 'k', unique })]))[0]!.inserted).toBe(true);
    });

    it('matches a key only in the states asked for', async () => {
      const { store } = await setup();
      const ref = await node(store);
      const states = ['available', 'scheduled'] as const;
      await store.enqueue([newJob({ key: 'k', unique: { states } })]);
      await claimOne(store, ref);
      // Executing is not among the states: a new job is inserted.
      expect((await store.enqueue([newJob({ key: 'k', unique: { states } })]))[0]!.inserted).toBe(
        true,
      );
    });

    it('tells onInsert listeners which queues got jobs, once they can be claimed', async () => {
      const { store } = await setup();
      const seen: string[] = [];
      const off = store.onInsert((queue) => seen.push(queue));
      await store.enqueue([newJob({ queue: 'mail' }), newJob({ queue: 'mail' })]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['mail']);
      off();
      await store.enqueue([newJob()]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['mail']);
    });
  });
}
