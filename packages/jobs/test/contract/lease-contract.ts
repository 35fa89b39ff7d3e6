import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/errors.js';
import { claimOne, type Fixture, newJob, node } from './fixture.js';

/** The lease half of the contract: heartbeats, lapses, rescue. */
export function leaseContract(setup: () => Promise<Fixture>): void {
  describe('heartbeat() and rescue()', () => {
    it('keeps the jobs of a node that heartbeats, however long they run', async () => {
      const { store, clock } = await setup();
      const ref = await node(store, 'a', 1000);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      for (let i = 0; i < 10; i++) {
        await clock.advance(900);
        await store.heartbeat(ref, 1000);
        expect((await store.rescue()).rescued).toEqual([]);
      }
      expect((await store.get(job.id))!.state).toBe('executing');
      expect((await store.nodes()).map((n) => n.name)).toEqual(['a']);
    });

    it("makes a lapsed node's executing jobs available again, each with a 'rescued' error", async () => {
      const { store, clock } = await setup();
      const ref = await node(store, 'a', 1000);
      await store.enqueue([newJob(), newJob()]);
      const [x, y] = await store.claim({ queue: 'default', node: ref, limit: 2 });
      await clock.advance(1000);
      expect((await store.rescue()).rescued).toEqual([]); // the lease runs to its last ms
      await clock.advance(1);
      const result = await store.rescue();
      expect(result.lapsedNodes).toEqual(['a']);
      expect(result.rescued.sort()).toEqual([x!.id, y!.id].sort());
      const rescued = await store.get(x!.id);
      expect(rescued).toMatchObject({ state: 'available', attempt: 1, node: null });
      expect(rescued!.errors).toEqual([
        expect.objectContaining({
          attempt: 1,
          kind: 'rescued',
          node: ref.incarnation,
          startedAt: x!.attemptedAt,
          at: clock.now(),
        }),
      ]);
      expect(await store.nodes()).toEqual([]);
    });

    it('rejects the lapsed node: its heartbeat, its claims and its late outcomes', async () => {
      const { store, clock } = await setup();
      const ref = await node(store, 'a', 1000);
      const other = await node(store, 'b', 60_000);
      await store.enqueue([newJob()]);
      const zombie = await claimOne(store, ref);
      await clock.advance(1001);
      await store.rescue();
      await expect(store.heartbeat(ref, 1000)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.claim({ queue: 'default', node: ref, limit: 1 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
      const successor = await claimOne(store, other);
      expect(successor.attempt).toBe(2);
      const [late] = await store.settle([{ kind: 'complete', attempt: zombie }]);
      expect(late!.ok).toBe(false);
      expect((await store.get(zombie.id))!.state).toBe('executing');
    });

    it('discards a rescued job whose attempt was its last', async () => {
      const { store, clock } = await setup();
      const ref = await node(store, 'a', 1000);
      await store.enqueue([newJob({ maxAttempts: 1 })]);
      const job = await claimOne(store, ref);
      await clock.advance(1001);
      expect((await store.rescue()).discarded).toEqual([job.id]);
      expect(await store.get(job.id)).toMatchObject({
        state: 'discarded',
        finishedAt: clock.now(),
        errors: [expect.objectContaining({ kind: 'rescued' })],
      });
    });

    it('tells onInsert listeners of the queues whose jobs a rescue made available', async () => {
      const { store, clock } = await setup();
      const ref = await node(store, 'a', 1000);
      await store.enqueue([newJob({ queue: 'mail' }), newJob({ queue: 'sms', maxAttempts: 1 })]);
      await claimOne(store, ref, 'mail');
      await claimOne(store, ref, 'sms');
      await new Promise((resolve) => setImmediate(resolve));
      const seen: string[] = [];
      store.onInsert((queue) => seen.push(queue));
      await clock.advance(1001);
      await store.rescue();
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['mail']); // the sms job was discarded: nothing to start
    });

    it('rescues the jobs of an earlier incarnation at once when its name registers again', async () => {
      const { store } = await setup();
      const before = await node(store, 'worker-1', 60_000);
      await store.enqueue([newJob()]);
      const job = await claimOne(store, before);
      const after = { name: 'worker-1', incarnation: 'worker-1#restarted' };
      const result = await store.registerNode(after, 60_000);
      expect(result.rescued).toEqual([job.id]);
      await expect(store.heartbeat(before, 60_000)).rejects.toBeInstanceOf(LeaseLostError);
      expect((await claimOne(store, after)).attempt).toBe(2);
    });

    it("rescues a node's leftover jobs when it unregisters", async () => {
      const { store } = await setup();
      const ref = await node(store, 'a');
      await store.enqueue([newJob()]);
      const job = await claimOne(store, ref);
      expect((await store.unregisterNode(ref)).rescued).toEqual([job.id]);
      expect(await store.nodes()).toEqual([]);
    });

    it('leaves other nodes alone when one lapses', async () => {
      const { store, clock } = await setup();
      const a = await node(store, 'a', 1000);
      const b = await node(store, 'b', 5000);
      await store.enqueue([newJob(), newJob()]);
      await claimOne(store, a);
      const kept = await claimOne(store, b);
      await clock.advance(2000);
      expect((await store.rescue()).lapsedNodes).toEqual(['a']);
      expect((await store.get(kept.id))!.state).toBe('executing');
      await store.heartbeat(b, 5000);
    });
  });
}
