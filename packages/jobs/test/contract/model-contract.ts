import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClaimedJob, JobState } from '../../src/job.js';
import type { NodeRef, Outcome } from '../../src/store.js';
import { attemptError, type Fixture } from './fixture.js';

/** What the model knows of a job. */
interface ModelJob {
  id: string;
  state: JobState;
  attempt: number;
  token: number;
  runAt: number;
  node: string | null;
  maxAttempts: number;
}

type Op =
  | { op: 'enqueue'; count: number; maxAttempts: number }
  | { op: 'claim'; node: number; limit: number }
  | { op: 'settle'; pick: number; kind: Outcome['kind']; delay: number }
  | { op: 'restart'; node: number }
  | { op: 'cancel'; pick: number }
  | { op: 'advance'; ms: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('enqueue' as const),
    count: fc.integer({ min: 1, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant('claim' as const),
    node: fc.integer({ min: 0, max: 1 }),
    limit: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant('settle' as const),
    pick: fc.nat(),
    kind: fc.constantFrom('complete', 'retry', 'discard', 'snooze', 'requeue') as fc.Arbitrary<
      Outcome['kind']
    >,
    delay: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ op: fc.constant('restart' as const), node: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
);

const WAITING: JobState[] = ['scheduled', 'available', 'retryable'];
const FINAL: JobState[] = ['completed', 'discarded', 'cancelled'];

/**
 * The bookkeeping half of the contract, as a property: any sequence of enqueues, claims by
 * two nodes, outcomes (fresh or stale), node restarts, cancels and clock moves leaves every
 * job exactly where a simple model says, and no write for a stale attempt ever lands.
 */
export function modelContract(setup: () => Promise<Fixture>): void {
  describe('every transition, against a model', () => {
    it('keeps each job where the model says, and refuses exactly the stale outcomes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), async (ops) => {
          const { store, clock } = await setup();
          const model = new Map<string, ModelJob>();
          const nodes: NodeRef[] = [];
          for (const name of ['a', 'b']) {
            const ref = { name, incarnation: `${name}#0` };
            await store.registerNode(ref, 1e12);
            nodes.push(ref);
          }
          let restarts = 0;
          const attempts: ClaimedJob[] = [];
          for (const step of ops) {
            const now = clock.now();
            switch (step.op) {
              case 'enqueue': {
                const jobs = Array.from({ length: step.count }, () => ({
                  queue: 'default',
                  worker: 'w',
                  args: {},
                  maxAttempts: step.maxAttempts,
                }));
                for (const { job } of await store.enqueue(jobs)) {
                  model.set(job.id, {
                    id: job.id,
                    state: 'available',
                    attempt: 0,
                    token: 0,
                    runAt: now,
                    node: null,
                    maxAttempts: step.maxAttempts,
                  });
                }
                break;
              }
              case 'claim': {
                const node = nodes[step.node]!;
                const expected = [...model.values()]
                  .filter((j) => WAITING.includes(j.state) && j.runAt <= now)
                  .sort((x, y) => x.runAt - y.runAt || Number(x.id) - Number(y.id))
                  .slice(0, step.limit);
                const claimed = await store.claim({ queue: 'default', node, limit: step.limit });
                expect(claimed.map((j) => j.id)).toEqual(expected.map((j) => j.id));
                for (const job of claimed) {
                  const m = model.get(job.id)!;
                  Object.assign(m, { state: 'executing', node: node.incarnation });
                  m.attempt++;
                  m.token++;
                  expect(job.token).toBe(m.token);
                  attempts.push(job);
                }
                break;
              }
              case 'settle': {
                if (attempts.length === 0) break;
                const attempt = attempts[step.pick % attempts.length]!;
                const m = model.get(attempt.id)!;
                const fresh = m.state === 'executing' && m.token === attempt.token;
                const error = attemptError(attempt.attempt, now);
                const runAt = now + step.delay;
                const outcome: Outcome =
                  step.kind === 'retry'
                    ? { kind: 'retry', attempt, runAt, error }
                    : step.kind === 'snooze'
                      ? { kind: 'snooze', attempt, runAt }
                      : { kind: step.kind, attempt };
                const [result] = await store.settle([outcome]);
                expect(result!.ok).toBe(fresh);
                if (!fresh) break;
                m.node = null;
                if (step.kind === 'complete') m.state = 'completed';
                if (step.kind === 'discard') m.state = 'discarded';
                if (step.kind === 'retry') Object.assign(m, { state: 'retryable', runAt });
                if (step.kind === 'snooze' || step.kind === 'requeue') m.attempt--;
                if (step.kind === 'snooze') Object.assign(m, { state: 'scheduled', runAt });
                if (step.kind === 'requeue') Object.assign(m, { state: 'available', runAt: now });
                break;
              }
              case 'restart': {
                const old = nodes[step.node]!;
                const ref = { name: old.name, incarnation: `${old.name}#${++restarts}` };
                await store.registerNode(ref, 1e12);
                nodes[step.node] = ref;
                for (const m of model.values()) {
                  if (m.state !== 'executing' || m.node !== old.incarnation) continue;
                  m.node = null;
                  m.runAt = now;
                  m.state = m.attempt >= m.maxAttempts ? 'discarded' : 'available';
                }
                break;
              }
              case 'cancel': {
                if (model.size === 0) break;
                const m = [...model.values()][step.pick % model.size]!;
                await store.cancelJob(m.id);
                if (!FINAL.includes(m.state)) Object.assign(m, { state: 'cancelled', node: null });
                break;
              }
              case 'advance':
                await clock.advance(step.ms);
                break;
            }
          }
          for (const m of model.values()) {
            const job = await store.get(m.id);
            expect({
              id: job!.id,
              state: job!.state,
              attempt: job!.attempt,
              node: job!.node,
            }).toEqual({ id: m.id, state: m.state, attempt: m.attempt, node: m.node });
          }
        }),
        { numRuns: 100 },
      );
    }, 60_000);
  });
}
