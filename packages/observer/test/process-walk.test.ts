import { type Pid, Runtime } from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcessWalk } from '../src/process-walk.js';

/** Runs `cursor` to its end. */
function drain(cursor: () => Pid<any> | undefined): Pid<any>[] {
  const seen: Pid<any>[] = [];
  for (let pid = cursor(); pid !== undefined; pid = cursor()) seen.push(pid);
  return seen;
}

const sorted = (pids: Pid<any>[]) => pids.map(String).sort();

type Op = { spawn: number } | { exit: number } | { walk: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ spawn: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ exit: fc.nat() }),
    fc.record({ walk: fc.nat({ max: 30 }) }),
  ),
  { maxLength: 40 },
);

describe('ProcessWalk.cursor()', () => {
  // The walk over many processes reads PIDs by id from the last walk's end to
  // stats.spawned: this pins core numbering processes 1, 2, 3… in spawn order.
  it.each([
    ['copying the process table (few processes)', 1_000_000],
    ['going by ids (many processes)', 0],
  ])(
    'sees each process alive for the whole walk exactly once, and no exited one, %s (property)',
    async (_how, snapshotMax) => {
      await fc.assert(
        fc.asyncProperty(ops, async (plan: Op[]) => {
          const runtime = new Runtime();
          const walk = new ProcessWalk(runtime, snapshotMax);
          const live: Pid<any>[] = [];
          // A walk in progress: it started after `before` and runs on as the plan goes.
          let partial:
            | { cursor: () => Pid<any> | undefined; seen: Pid<any>[]; before: Set<Pid<any>> }
            | undefined;
          const exited = new Set<Pid<any>>();
          const finish = () => {
            if (partial === undefined) return;
            partial.seen.push(...drain(partial.cursor));
            const seen = partial.seen.map(String);
            expect(new Set(seen).size).toBe(seen.length);
            for (const pid of partial.before) {
              if (!exited.has(pid)) expect(seen).toContain(String(pid));
            }
            for (const pid of partial.seen)
              expect(exited.has(pid) && !partial.before.has(pid)).toBe(false);
            partial = undefined;
          };
          for (const op of plan) {
            if ('spawn' in op) {
              for (let i = 0; i < op.spawn; i++) live.push(runtime.spawn({ handle() {} }));
            } else if ('exit' in op) {
              if (live.length === 0) continue;
              const [pid] = live.splice(op.exit % live.length, 1) as [Pid<any>];
              runtime.exit(pid, 'kill');
              exited.add(pid);
            } else if (partial === undefined) {
              partial = { cursor: walk.cursor(), seen: [], before: new Set(live) };
              for (let i = 0; i < op.walk; i++) {
                const pid = partial.cursor();
                if (pid !== undefined) partial.seen.push(pid);
              }
            } else {
              finish();
            }
          }
          finish();
          // A walk with nothing changing meanwhile sees exactly the live processes.
          expect(sorted(drain(walk.cursor()))).toEqual(sorted(runtime.processes()));
          expect(sorted(drain(walk.cursor()))).toEqual(sorted(live));
          await runtime.stop();
        }),
        { numRuns: 60 },
      );
    },
  );

  it('goes by ids without copying the process table, and starts the next walk from what it found', async () => {
    const runtime = new Runtime();
    const walk = new ProcessWalk(runtime, 10);
    const pids = Array.from({ length: 50 }, () => runtime.spawn({ handle() {} }));
    for (const pid of pids.slice(0, 40)) runtime.exit(pid, 'kill');
    expect(sorted(drain(walk.cursor()))).toEqual(sorted(pids.slice(40)));
    const later = Array.from({ length: 15 }, () => runtime.spawn({ handle() {} }));
    expect(sorted(drain(walk.cursor()))).toEqual(sorted([...pids.slice(40), ...later]));
    await runtime.stop();
  });
});
