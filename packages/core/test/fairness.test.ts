// Fair turns, as the BEAM's reductions: a turn handles only what was queued when it
// began, within a budget of work (messages handled and sent, spawns, links, monitors,
// exit signals). Regression tests for issue #12: a producer that sent a batch and then a
// message to itself ran 64 slices per turn, and its consumer's mailbox grew without bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pid, ProcessContext } from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

// No slice ever runs out: turns end by budget alone, so the order is deterministic.
const UNSLICED = 1e9;

/** A budget and a batch that fits in it. */
const budgetAndBatch = fc
  .integer({ min: 1, max: 4000 })
  .chain((budget) => fc.tuple(fc.constant(budget), fc.integer({ min: 1, max: budget })));

describe('a turn', () => {
  it('keeps a consumer’s mailbox within one batch while a self-continuing producer floods it', async () => {
    await fc.assert(
      fc.asyncProperty(budgetAndBatch, async ([budget, batch]) => {
        const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
        const total = batch * 20;
        let sent = 0;
        let received = 0;
        let peak = 0;
        const consumer = runtime.spawn<{ n: number }>({ handle: () => void received++ });
        const producer = runtime.spawn<'go'>({
          handle(_go, ctx) {
            for (let i = 0; i < batch; i++) ctx.send(consumer, { n: sent++ });
            peak = Math.max(peak, runtime.processInfo(consumer)!.mailboxLength);
            if (sent < total) ctx.send(ctx.self, 'go');
          },
        });
        runtime.send(producer, 'go');
        await clock.settle();
        expect(received).toBe(total);
        expect(peak).toBe(batch);
        await runtime.stop();
      }),
      { numRuns: 40 },
    );
  });

  it('runs a process sent one message within one round of self-continuing processes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 100 }),
        fc.boolean(),
        async (loopers, sendAt, budget, selfFirst) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          const log: string[] = [];
          const third = runtime.spawn<'hi'>({ handle: () => void log.push('third') });
          const rounds = sendAt + loopers + 5;
          for (let i = 0; i < loopers; i++) {
            let turns = 0;
            const pid = runtime.spawn<'go'>({
              handle(_go, ctx) {
                log.push(`looper ${i}`);
                const more = ++turns < rounds;
                if (selfFirst && more) ctx.send(ctx.self, 'go');
                if (i === 0 && turns === sendAt) {
                  log.push('sent');
                  ctx.send(third, 'hi');
                }
                if (!selfFirst && more) ctx.send(ctx.self, 'go');
              },
            });
            runtime.send(pid, 'go');
          }
          await clock.settle();
          const between = log.slice(log.indexOf('sent') + 1, log.indexOf('third'));
          expect(log.indexOf('third')).toBeGreaterThan(log.indexOf('sent'));
          for (let i = 0; i < loopers; i++) {
            expect(between.filter((entry) => entry === `looper ${i}`).length).toBeLessThanOrEqual(
              1,
            );
          }
          await runtime.stop();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('lets producers into one consumer take turns: none gets more than one batch ahead', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 20 }),
        async (producers, batch, budget, rounds) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          const counts = new Array<number>(producers).fill(0);
          let spread = 0;
          const consumer = runtime.spawn<number>({
            handle(from) {
              counts[from as number]!++;
              spread = Math.max(spread, Math.max(...counts) - Math.min(...counts));
            },
          });
          for (let p = 0; p < producers; p++) {
            let turns = 0;
            const pid = runtime.spawn<'go'>({
              handle(_go, ctx) {
                for (let i = 0; i < batch; i++) ctx.send(consumer, p);
                if (++turns < rounds) ctx.send(ctx.self, 'go');
              },
            });
            runtime.send(pid, 'go');
          }
          await clock.settle();
          expect(counts).toEqual(new Array(producers).fill(batch * rounds));
          expect(spread).toBeLessThanOrEqual(batch);
          await runtime.stop();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handles messages that arrived during the turn only on the next one, behind the other runnable processes', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: string[] = [];
    let other: Pid<string>;
    const self = runtime.spawn<string>({
      handle(message, ctx) {
        log.push(message as string);
        if (message === 'first') ctx.send(ctx.self, 'to itself');
        if (message === 'second') ctx.send(other, 'other');
      },
    });
    other = runtime.spawn<string>({ handle: (message) => void log.push(message as string) });
    runtime.send(self, 'first');
    runtime.send(self, 'second');
    await clock.settle();
    expect(log).toEqual(['first', 'second', 'other', 'to itself']);
  });
});

describe('the budget', () => {
  type Work = 'send' | 'spawn' | 'link' | 'monitor' | 'exit';
  const does: Record<Work, (ctx: ProcessContext<number>, sink: Pid<number>) => void> = {
    send: (ctx, sink) => void ctx.send(sink, 0),
    spawn: (ctx) => void ctx.spawn({ handle() {} }),
    link: (ctx, sink) => ctx.link(sink),
    monitor: (ctx, sink) => void ctx.monitor(sink),
    exit: (ctx, sink) => ctx.exit(sink, 'normal'),
  };

  it('counts each message handled and each send, spawn, link, monitor and exit signal as one reduction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Work>('send', 'spawn', 'link', 'monitor', 'exit'),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        async (work, perMessage, budget, queued) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          const log: string[] = [];
          const sink = runtime.spawn<number>({ handle() {} });
          const busy = runtime.spawn<number>({
            handle(_n, ctx) {
              log.push('busy');
              for (let i = 0; i < perMessage; i++) does[work](ctx, sink);
            },
          });
          const probe = runtime.spawn<'probe'>({ handle: () => void log.push('probe') });
          for (let i = 0; i < queued; i++) runtime.send(busy, i);
          runtime.send(probe, 'probe');
          await clock.settle();
          // A turn goes on while it has spent less than the budget: at least one message.
          const firstTurn = Math.min(queued, Math.ceil(budget / (1 + perMessage)));
          expect(log.indexOf('probe')).toBe(firstTurn);
          expect(log.filter((entry) => entry === 'busy')).toHaveLength(queued);
          await runtime.stop();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a budget that is not a whole number >= 1, and a slice that is not a number > 0', () => {
    for (const budget of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '64']) {
      expect(() => virtualRuntime({ budget: budget as number })).toThrow(
        /Expected `options.budget` to be a whole number >= 1/,
      );
    }
    for (const sliceMs of [0, -3, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
      expect(() => virtualRuntime({ sliceMs: sliceMs as number })).toThrow(
        /Expected `options.sliceMs` to be a finite number of ms > 0/,
      );
    }
  });
});
