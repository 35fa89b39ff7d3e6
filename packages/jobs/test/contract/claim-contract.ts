import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/errors.js';
import { claimOne, type Fixture, newJob, node } from './fixture.js';

/** The claim half of the contract: order, limits, exclusivity, fencing tokens. */
export function claimContract(setup: () => Promise<Fixture>): void {
  describe('claim()', () => {
    it('claims by priority, then runAt, then insertion, up to the limit', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([
        newJob({ args: 'p1-late', priority: 1 }),
        newJob({ args: 'p0-later', runAt: clock.now() - 10 }),
        newJob({ args: 'p0-earlier', runAt: clock.now() - 20 }),
        newJob({ args: 'p0-now-a' }),
        newJob({ args: 'p0-now-b' }),
      ]);
      const first = await store.claim({ queue: 'default', node: ref, limit: 3 });
      expect(first.map((j) => j.args)).toEqual(['p0-earlier', 'p0-later', 'p0-now-a']);
      const rest = await store.claim({ queue: 'default', node: ref, limit: 3 });
      expect(rest.map((j) => j.args)).toEqual(['p0-now-b', 'p1-late']);
    });

    it('returns each claimed job as the store now keeps it, with its token', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([
        newJob({ args: { n: 1 }, priority: 2, maxAttempts: 4, key: 'k1' }),
        newJob({ args: [1, 'two'], runAt: clock.now() - 5 }),
      ]);
      // A second attempt: the job carries its first attempt's error and a new token.
      const [retried] = await store.claim({ queue: 'default', node: ref, limit: 1 });
      const error = {
        attempt: 1,
        at: clock.now(),
        kind: 'error' as const,
        name: 'E',
        message: 'm',
      };
      await store.settle([{ kind: 'retry', attempt: retried!, runAt: clock.now(), error }]);
      const claimed = await store.claim({ queue: 'default', node: ref, limit: 2 });
      expect(claimed).toHaveLength(2);
      for (const job of claimed) {
        const { token, ...kept } = job;
        expect(kept).toEqual(await store.get(job.id));
        expect(token).toBeGreaterThan(0);
      }
      const again = claimed.find((job) => job.id === retried!.id);
      expect(again).toMatchObject({ attempt: 2, errors: [error] });
      expect(again!.token).not.toBe(retried!.token);
    });

    it('claims only from its queue', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ queue: 'mail' }), newJob({ queue: 'default' })]);
      const claimed = await store.claim({ queue: 'mail', node: ref, limit: 10 });
      expect(claimed.map((j) => j.queue)).toEqual(['mail']);
    });

    it('marks a claimed job executing on the node, with one more attempt and a new token', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const [{ job }] = (await store.enqueue([newJob()])) as [any];
      const claimed = await claimOne(store, ref);
      expect(claimed).toMatchObject({
        id: job.id,
        state: 'executing',
        attempt: 1,
        node: ref.incarnation,
        attemptedAt: clock.now(),
      });
      expect(await store.get(job.id)).toMatchObject({ state: 'executing', attempt: 1 });
      await store.settle([{ kind: 'requeue', attempt: claimed }]);
      const again = await claimOne(store, ref);
      expect(again.token).toBeGreaterThan(claimed.token);
    });

    it('never hands one job to two claims, from one handle or two', async () => {
      const { store, reopen } = await setup();
      const other = reopen();
      const a = await node(store, 'a');
      const b = await node(other, 'b');
      await store.enqueue(Array.from({ length: 50 }, (_, n) => newJob({ args: n })));
      const seen: string[] = [];
      for (let round = 0; round < 10; round++) {
        const [fromA, fromB] = await Promise.all([
          store.claim({ queue: 'default', node: a, limit: 3 }),
          other.claim({ queue: 'default', node: b, limit: 3 }),
        ]);
        seen.push(...fromA.map((j) => j.id), ...fromB.map((j) => j.id));
      }
      expect(seen).toHaveLength(50);
      expect(new Set(seen).size).toBe(50);
    });

    it('returns nothing when no job is due', async () => {
      const { store } = await setup();
      const ref = await node(store);
      expect(await store.claim({ queue: 'default', node: ref, limit: 5 })).toEqual([]);
    });

    it('rejects with LeaseLostError for a node that is not registered', async () => {
      const { store } = await setup();
      await store.enqueue([newJob()]);
      const ghost = { name: 'ghost', incarnation: 'ghost#1' };
      await expect(store.claim({ queue: 'default', node: ghost, limit: 1 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
      expect((await store.list())[0]!.state).toBe('available');
    });

    it('rejects with LeaseLostError for an incarnation a newer one replaced', async () => {
      const { store } = await setup();
      const old = await node(store, 'web-1');
      await node(store, 'web-1');
      await store.enqueue([newJob()]);
      await expect(store.claim({ queue: 'default', node: old, limit: 1 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
    });

    it('claims no more than the rate limit leaves in the window, across handles', async () => {
      const { store, reopen, clock } = await setup();
      const other = reopen();
      const a = await node(store, 'a');
      const b = await node(other, 'b');
      await store.enqueue(Array.from({ length: 10 }, () => newJob()));
      const rateLimit = { limit: 3, interval: 1000 };
      // Start on a window's first ms, so the test does not straddle two windows.
      await clock.advance(1000 - (clock.now() % 1000));
      const fromA = await store.claim({ queue: 'default', node: a, limit: 2, rateLimit });
      const fromB = await other.claim({ queue: 'default', node: b, limit: 5, rateLimit });
      expect([fromA.length, fromB.length]).toEqual([2, 1]);
      expect(await store.claim({ queue: 'default', node: a, limit: 5, rateLimit })).toEqual([]);
      await clock.advance(999);
      expect(await other.claim({ queue: 'default', node: b, limit: 5, rateLimit })).toEqual([]);
      await clock.advance(1);
      expect(await other.claim({ queue: 'default', node: b, limit: 5, rateLimit })).toHaveLength(3);
    });
  });
}
