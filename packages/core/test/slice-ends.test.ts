// The end of a slice gives the event loop a turn and nothing more: a turn it cuts short
// goes on first in the next slice, with what was left of its messages and budget. So
// the order in which processes handle messages is the same wherever slices end.
// Regression test: a cut turn went to the back of the run queue, and under a slow clock
// (a loaded machine) a consumer cut short on every turn fell behind its producer without
// bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Pid, type ReceiveContext, TIMEOUT } from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

// No slice ever runs out: turns end by budget alone.
const UNSLICED = 1e9;
// Slices that run out at (nearly) every look at the clock, or at some of them.
const CUT_SLICES = [Number.MIN_VALUE, 0.002, 0.02];

interface Note {
  from: number;
  n: number;
}

/** How a process takes its messages. */
type Kind = 'handler' | 'body' | 'selective body';

interface Scenario {
  kinds: Kind[];
  /** For each process, the targets it sends to for each message it takes, in a cycle. */
  plans: number[][][];
  budget: number;
  cap: number;
}

const scenario: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 5 }).chain((count) =>
  fc.record({
    kinds: fc.array(fc.constantFrom<Kind>('handler', 'body', 'selective body'), {
      minLength: count,
      maxLength: count,
    }),
    plans: fc.array(
      fc.array(fc.array(fc.integer({ min: 0, max: count - 1 }), { maxLength: 4 }), {
        minLength: 1,
        maxLength: 5,
      }),
      { minLength: count, maxLength: count },
    ),
    budget: fc.integer({ min: 1, max: 300 }),
    cap: fc.integer({ min: 50, max: 1500 }),
  }),
);

/**
 * Runs `scenario` with slices of `sliceMs` and returns the order in which the processes
 * took their messages. Process 0 is sent the first message from outside; each process
 * sends on what its plan says until `cap` messages were sent in all.
 */
async function orderOf(
  { kinds, plans, budget, cap }: Scenario,
  sliceMs: number,
): Promise<string[]> {
  const { runtime, clock } = virtualRuntime({ budget, sliceMs });
  const log: string[] = [];
  const pids: Pid<Note>[] = [];
  let sent = 0;
  const took = (index: number, taken: number, note: Note | typeof TIMEOUT): void => {
    log.push(note === TIMEOUT ? `${index} timeout` : `${index} <- ${note.from}:${note.n}`);
    const plan = plans[index]!;
    for (const target of plan[taken % plan.length]!) {
      if (sent < cap) runtime.send(pids[target]!, { from: index, n: sent++ });
    }
  };
  kinds.forEach((kind, index) => {
    let taken = 0;
    if (kind === 'handler') {
      pids.push(runtime.spawn<Note>({ handle: (note) => took(index, taken++, note as Note) }));
      return;
    }
    pids.push(
      runtime.spawn<Note>(async (ctx: ReceiveContext<Note>) => {
        for (;;) {
          // A selective body takes even-numbered notes first, when one is there.
          const note = (
            kind === 'body'
              ? await ctx.receive()
              : await ctx.receive((m) => (m as Note).n % 2 === 0, { timeout: 0 })
          ) as Note | typeof TIMEOUT;
          took(index, taken++, note);
          if (note === TIMEOUT) took(index, taken++, (await ctx.receive()) as Note);
        }
      }),
    );
  });
  runtime.send(pids[0]!, { from: -1, n: sent++ });
  await clock.settle();
  await runtime.stop();
  return log;
}

describe('the end of a slice', () => {
  it('never changes the order in which processes take their messages (property)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.constantFrom(...CUT_SLICES), async (run, sliceMs) => {
        const unsliced = await orderOf(run, UNSLICED);
        expect(await orderOf(run, sliceMs)).toEqual(unsliced);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a consumer cut short on every turn within one batch of its self-continuing producer', async () => {
    for (const consumerKind of ['handler', 'body'] as const) {
      const { runtime, clock } = virtualRuntime({ sliceMs: Number.MIN_VALUE });
      let received = 0;
      let peak = 0;
      const count = (): void => void received++;
      const consumer =
        consumerKind === 'handler'
          ? runtime.spawn<number>({ handle: count })
          : runtime.spawn<number>(async (ctx) => {
              for (;;) {
                await ctx.receive();
                count();
              }
            });
      let sent = 0;
      const producer = runtime.spawn<'go'>({
        handle(_go, ctx) {
          for (let i = 0; i < 100; i++) ctx.send(consumer, sent++);
          peak = Math.max(peak, runtime.processInfo(consumer)!.mailboxLength);
          if (sent < 20_000) ctx.send(ctx.self, 'go');
        },
      });
      runtime.send(producer, 'go');
      await clock.settle();
      expect(received).toBe(20_000);
      expect(peak).toBe(100);
      await runtime.stop();
    }
  });
});
