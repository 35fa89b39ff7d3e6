import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { LeaseLostError, StaleAttemptError, UnsupportedCapabilityError } from '../../src/errors.js';
import { type ClaimedJob, JOB_STATES, type JobState } from '../../src/job.js';
import {
  hasCapability,
  type NodeRef,
  OPTIONAL_CAPABILITIES,
  requireCapabilities,
  type Store,
} from '../../src/store.js';
import { attemptError, expectOk, type Fixture, newJob, node } from './fixture.js';

/**
 * The core of the contract: what every store gives, a database or a broker, written with
 * the calls every store has (no queries over all jobs, no claim order, no leases on the
 * store's clock). A claim may come back empty while a broker is still pushing the jobs:
 * `claimEventually` waits for the store's insert listener, which a store calls once jobs
 * can be claimed; a store that never calls it fails by the test's timeout.
 */
export function coreContract(setup: () => Promise<Fixture>): void {
  describe('enqueue() and claim() (core)', () => {
    it('enqueues jobs, each with its own id, and hands each to one claim with attempt 1 and a token', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const results = await store.enqueue([newJob({ args: { n: 1 } }), newJob({ args: { n: 2 } })]);
      expect(results.map((r) => [r.inserted, r.job.state, r.job.attempt])).toEqual([
        [true, 'available', 0],
        [true, 'available', 0],
      ]);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(2);
      const claimed = await claimEventually(store, ref, 2);
      expect(claimed.map((j) => j.id).sort()).toEqual(results.map((r) => r.job.id).sort());
      for (const job of claimed) {
        expect(job).toMatchObject({
          state: 'executing',
          attempt: 1,
          node: ref.incarnation,
          attemptedAt: clock.now(),
          worker: 'w',
          queue: 'default',
        });
        expect(job.token).toBeGreaterThan(0);
      }
    });

    it('refuses invalid jobs before enqueueing any of the batch', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      const bad = newJob({ args: { when: new Date() } as unknown as object });
      await expect(store.enqueue([newJob({ args: 'first' }), bad])).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(store.enqueue([newJob({ runAt: clock.now(), delay: 5 })])).rejects.toThrow(
        /runAt or delay/,
      );
      await expect(
        store.enqueue([{ ...newJob(), colour: 'red' } as ReturnType<typeof newJob>]),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      await store.enqueue([newJob({ args: 'marker' })]);
      const [first] = await claimEventually(store, ref, 1);
      expect(first!.args).toBe('marker');
    });

    it('calls the insert listeners with the queue once enqueued jobs can be claimed', async () => {
      const { store } = await setup();
      const ref = await node(store);
      const woken = new Promise<string>((resolve) => {
        const off = store.onInsert((queue) => {
          off();
          resolve(queue);
        });
      });
      // A claim first: a broker's store starts consuming a queue at its first claim.
      await store.claim({ queue: 'mail', node: ref, limit: 1 });
      await store.enqueue([newJob({ queue: 'mail' })]);
      expect(await woken).toBe('mail');
      expect(await claimEventually(store, ref, 1, 'mail')).toHaveLength(1);
    });

    it('never hands one job to two nodes, from one handle or two', async () => {
      const { store, reopen } = await setup();
      const other = reopen();
      const a = await node(store, 'a');
      const b = await node(other, 'b');
      const count = 30;
      await store.enqueue(Array.from({ length: count }, (_, n) => newJob({ args: n })));
      const seen: string[] = [];
      while (seen.length < count) {
        const woken = Promise.race([nextInsert(store), nextInsert(other)]);
        const [fromA, fromB] = await Promise.all([
          store.claim({ queue: 'default', node: a, limit: 3 }),
          other.claim({ queue: 'default', node: b, limit: 3 }),
        ]);
        seen.push(...[...fromA, ...fromB].map((j) => j.id));
        expectOk(
          await store.settle(fromA.map((job) => ({ kind: 'complete' as const, attempt: job }))),
        );
        expectOk(
          await other.settle(fromB.map((job) => ({ kind: 'complete' as const, attempt: job }))),
        );
        if (fromA.length + fromB.length === 0) await woken;
      }
      expect(seen).toHaveLength(count);
      expect(new Set(seen).size).toBe(count);
    });

    it('rejects with LeaseLostError a claim for a node that is not registered', async () => {
      const { store } = await setup();
      const ghost = { name: 'ghost', incarnation: 'ghost#1' };
      await expect(store.claim({ queue: 'default', node: ghost, limit: 1 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
    });
  });

  describe('settle() (core)', () => {
    it('completes an attempt: the job is not handed out again', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ args: 'done' })]);
      const [job] = await claimEventually(store, ref, 1);
      expectOk(await store.settle([{ kind: 'complete', attempt: job! }]));
      await store.enqueue([newJob({ args: 'marker' })]);
      expect((await claimEventually(store, ref, 1)).map((j) => j.args)).toEqual(['marker']);
    });

    it('retries an attempt: the job comes back with attempt 2 and the error in its history', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const [job] = await claimEventually(store, ref, 1);
      const error = attemptError(1, clock.now());
      expectOk(await store.settle([{ kind: 'retry', attempt: job!, runAt: clock.now(), error }]));
      const [again] = await claimEventually(store, ref, 1);
      expect(again).toMatchObject({ id: job!.id, attempt: 2, errors: [error] });
      expect(again!.token).not.toBe(job!.token);
    });

    it('requeues and snoozes an attempt with the attempt given back', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ args: 'r' }), newJob({ args: 's' })]);
      const jobs = await claimEventually(store, ref, 2);
      expectOk(
        await store.settle(
          jobs.map((job) =>
            job.args === 'r'
              ? { kind: 'requeue' as const, attempt: job }
              : { kind: 'snooze' as const, attempt: job, runAt: clock.now() },
          ),
        ),
      );
      const again = await claimEventually(store, ref, 2);
      expect(again.map((j) => [j.args, j.attempt, j.errors]).sort()).toEqual([
        ['r', 1, []],
        ['s', 1, []],
      ]);
    });

    it('discards an attempt: the job is not handed out again', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob({ args: 'poison' })]);
      const [job] = await claimEventually(store, ref, 1);
      const error = attemptError(1, clock.now(), 'gave up');
      expectOk(await store.settle([{ kind: 'discard', attempt: job!, error }]));
      await store.enqueue([newJob({ args: 'marker' })]);
      expect((await claimEventually(store, ref, 1)).map((j) => j.args)).toEqual(['marker']);
    });

    it('refuses a second outcome for one attempt, and one for an unknown job, with StaleAttemptError', async () => {
      const { store } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob()]);
      const [job] = await claimEventually(store, ref, 1);
      expectOk(await store.settle([{ kind: 'complete', attempt: job! }]));
      const [twice, unknown] = await store.settle([
        { kind: 'complete', attempt: job! },
        { kind: 'complete', attempt: { id: '999999', token: 1 } },
      ]);
      expect(twice!.ok || twice!.error).toBeInstanceOf(StaleAttemptError);
      expect(unknown!.ok).toBe(false);
    });
  });

  describe('registerNode() and unregisterNode() (core)', () => {
    it('gives back the jobs of an earlier incarnation of the node, whose outcomes are then stale', async () => {
      const { store } = await setup();
      const old = await node(store, 'web-1');
      await store.enqueue([newJob()]);
      const [job] = await claimEventually(store, old, 1);
      const fresh = { name: 'web-1', incarnation: 'web-1#2' };
      expect((await store.registerNode(fresh, 10_000)).rescued).toEqual([job!.id]);
      const [late] = await store.settle([{ kind: 'complete', attempt: job! }]);
      expect(late!.ok).toBe(false);
      await expect(store.claim({ queue: 'default', node: old, limit: 1 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
      expect((await claimEventually(store, fresh, 1))[0]!.id).toBe(job!.id);
    });

    it('gives back the jobs of a node that unregisters', async () => {
      const { store, reopen } = await setup();
      const ref = await node(store, 'leaving');
      await store.enqueue([newJob()]);
      const [job] = await claimEventually(store, ref, 1);
      expect((await store.unregisterNode(ref)).rescued).toEqual([job!.id]);
      const other = reopen();
      const successor = await node(other, 'staying');
      expect((await claimEventually(other, successor, 1))[0]!.id).toBe(job!.id);
    });
  });

  describe('counts() (core)', () => {
    it('gives the true number of each state it counts: every state with query, the others left out, never made up', async () => {
      const { store, clock } = await setup();
      const ref = await node(store);
      await store.enqueue([newJob(), newJob(), newJob({ queue: 'mail' })]);
      const [first] = await claimEventually(store, ref, 1);
      const error = attemptError(1, clock.now());
      expectOk(await store.settle([{ kind: 'discard', attempt: first!, error }]));
      const none = { scheduled: 0, executing: 0, retryable: 0, completed: 0, cancelled: 0 };
      const truth: Record<string, Record<JobState, number>> = {
        default: { ...none, available: 1, discarded: 1 },
        mail: { ...none, available: 1, discarded: 0 },
      };
      const counted = new Map((await store.counts()).map((c) => [c.queue, c.counts]));
      for (const [queue, expected] of Object.entries(truth)) {
        const counts = counted.get(queue);
        expect(counts, `the counts of queue ${queue}`).toBeDefined();
        for (const [state, n] of Object.entries(counts!)) {
          expect(n, `${queue}: ${state}`).toBe(expected[state as JobState]);
        }
        if (hasCapability(store.capabilities, 'query')) {
          expect(Object.keys(counts!).sort()).toEqual([...JOB_STATES].sort());
        }
      }
    });
  });

  describe('capabilities (core)', () => {
    it('refuses at once, with UnsupportedCapabilityError, each call a missing capability needs', async () => {
      const { store } = await setup();
      const ref = await node(store);
      const caps = store.capabilities;
      for (const name of OPTIONAL_CAPABILITIES) {
        if (hasCapability(caps, name)) continue;
        expect(() => requireCapabilities(store, { [name]: true })).toThrow(
          UnsupportedCapabilityError,
        );
      }
      const refused = async (call: () => Promise<unknown>) =>
        expect(call()).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      if (!hasCapability(caps, 'query')) {
        await refused(() => store.get('1'));
        await refused(() => store.list());
      }
      if (!hasCapability(caps, 'manualControl')) {
        await refused(() => store.retryJob('1'));
        await refused(() => store.cancelJob('1'));
        await refused(() => store.discardJob('1'));
        await refused(() => store.retryAll({}));
      }
      if (!hasCapability(caps, 'uniqueness')) {
        await refused(() => store.enqueue([newJob({ key: 'k' })]));
      }
      if (!hasCapability(caps, 'priorities')) {
        await refused(() => store.enqueue([newJob({ priority: 1 })]));
      }
      if (!hasCapability(caps, 'rateLimits')) {
        const rateLimit = { limit: 1, interval: 1000 };
        await refused(() => store.claim({ queue: 'default', node: ref, limit: 1, rateLimit }));
      }
    });
  });
}

/** Resolves at the store's next insert-listener call. */
function nextInsert(store: Store, queue = 'default'): Promise<void> {
  return new Promise((resolve) => {
    const off = store.onInsert((q) => {
      if (q !== queue) return;
      off();
      resolve();
    });
  });
}

/** Claims from `queue` until `count` jobs came, waiting for the insert listener between empty claims. */
export async function claimEventually(
  store: Store,
  ref: NodeRef,
  count: number,
  queue = 'default',
): Promise<ClaimedJob[]> {
  const claimed: ClaimedJob[] = [];
  while (claimed.length < count) {
    const woken = nextInsert(store, queue);
    const limit = count - claimed.length;
    const got = await store.claim({ queue, node: ref, limit });
    claimed.push(...got);
    if (got.length === 0) await woken;
  }
  return claimed;
}
