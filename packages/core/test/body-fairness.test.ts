// Fair turns for body processes (issue #12 item 1): a receive loop takes, in one turn, up
// to a budget of the messages queued when the turn began, each receive settling at once;
// what the body sends itself waits for its next turn. Regression tests: a body took one
// message per turn, so a body consumer fell behind any producer sending more than one
// message per turn, and its mailbox grew without bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isCrash,
  type Pid,
  type ProcessContext,
  type ReceiveContext,
  TIMEOUT,
} from '../src/index.js';
import {
  deferred,
  exitOf,
  stopRuntimesAfterEach,
  trackedRuntime,
  virtualRuntime,
} from './support.js';

stopRuntimesAfterEach();

// No slice ever runs out: turns end by budget alone, so the order is deterministic.
const UNSLICED = 1e9;

/** A budget and a batch that fits in it. */
const budgetAndBatch = fc
  .integer({ min: 1, max: 3000 })
  .chain((budget) => fc.tuple(fc.constant(budget), fc.integer({ min: 1, max: budget })));

/** A body that receives forever, calling `onMessage` with each message. */
const receiver =
  (onMessage: (message: unknown, ctx: ReceiveContext<any>) => void) =>
  async (ctx: ReceiveContext<any>): Promise<void> => {
    for (;;) onMessage(await ctx.receive(), ctx);
  };

describe('a body process’s turn', () => {
  it('keeps a body consumer’s mailbox within one batch while a self-continuing handler producer floods it', async () => {
    await fc.assert(
      fc.asyncProperty(budgetAndBatch, async ([budget, batch]) => {
        const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
        const total = batch * 12;
        let sent = 0;
        let received = 0;
        let peak = 0;
        const consumer = runtime.spawn<{ n: number }>(receiver(() => void received++));
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
      { numRuns: 30 },
    );
  });

  it('keeps a body consumer’s mailbox within one batch while a self-continuing body producer floods it', async () => {
    await fc.assert(
      fc.asyncProperty(budgetAndBatch, async ([budget, batch]) => {
        const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
        const total = batch * 12;
        let received = 0;
        let peak = 0;
        const consumer = runtime.spawn<{ n: number }>(receiver(() => void received++));
        const producer = runtime.spawn<'go'>(async (ctx) => {
          for (let sent = 0; sent < total; ) {
            await ctx.receive();
            for (let i = 0; i < batch; i++) ctx.send(consumer, { n: sent++ });
            peak = Math.max(peak, runtime.processInfo(consumer)!.mailboxLength);
            ctx.send(ctx.self, 'go');
          }
        });
        runtime.send(producer, 'go');
        await clock.settle();
        expect(received).toBe(total);
        expect(peak).toBe(batch);
        await runtime.stop();
      }),
      { numRuns: 30 },
    );
  });

  it('runs a process sent one message within one round of self-continuing body processes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 100 }),
        fc.boolean(),
        fc.boolean(),
        async (loopers, sendAt, budget, selfFirst, thirdIsBody) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          const log: string[] = [];
          const third = thirdIsBody
            ? runtime.spawn<'hi'>(receiver(() => void log.push('third')))
            : runtime.spawn<'hi'>({ handle: () => void log.push('third') });
          const rounds = sendAt + loopers + 5;
          for (let i = 0; i < loopers; i++) {
            const pid = runtime.spawn<'go'>(async (ctx) => {
              for (let turns = 1; turns <= rounds; turns++) {
                await ctx.receive();
                log.push(`looper ${i}`);
                const more = turns < rounds;
                if (selfFirst && more) ctx.send(ctx.self, 'go');
                if (i === 0 && turns === sendAt) {
                  log.push('sent');
                  ctx.send(third, 'hi');
                }
                if (!selfFirst && more) ctx.send(ctx.self, 'go');
              }
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

  it('lets body producers into one body consumer take turns: none gets more than one batch ahead', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 15 }),
        async (producers, batch, budget, rounds) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          const counts = new Array<number>(producers).fill(0);
          let spread = 0;
          const consumer = runtime.spawn<number>(
            receiver((from) => {
              counts[from as number]!++;
              spread = Math.max(spread, Math.max(...counts) - Math.min(...counts));
            }),
          );
          for (let p = 0; p < producers; p++) {
            const pid = runtime.spawn<'go'>(async (ctx) => {
              for (let turns = 1; turns <= rounds; turns++) {
                await ctx.receive();
                for (let i = 0; i < batch; i++) ctx.send(consumer, p);
                if (turns < rounds) ctx.send(ctx.self, 'go');
              }
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

  it('receives what the body sent itself during a turn only on the next, behind the other runnable processes', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: string[] = [];
    let other: Pid<string>;
    const self = runtime.spawn<string>(
      receiver((message, ctx) => {
        log.push(message as string);
        if (message === 'first') ctx.send(ctx.self, 'to itself');
        if (message === 'second') ctx.send(other, 'other');
      }),
    );
    other = runtime.spawn<string>(receiver((message) => void log.push(message as string)));
    runtime.send(self, 'first');
    runtime.send(self, 'second');
    await clock.settle();
    expect(log).toEqual(['first', 'second', 'other', 'to itself']);
  });

  it('ends the turn when the body awaits something other than receive', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: string[] = [];
    const busy = runtime.spawn<number>(async (ctx) => {
      for (;;) {
        log.push(`busy ${await ctx.receive()}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const probe = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    for (let i = 0; i < 5; i++) runtime.send(busy, i);
    runtime.send(probe, 'probe');
    // The scheduler is idle while the body awaits setImmediate: wait for the log instead.
    while (log.length < 6) await clock.settle();
    expect(log).toEqual(['busy 0', 'probe', 'busy 1', 'busy 2', 'busy 3', 'busy 4']);
  });

  it.each([
    [
      'an async helper',
      async function* (ctx: ReceiveContext<number>) {
        const next = async (): Promise<unknown> => await ctx.receive();
        for (;;) yield await next();
      },
    ],
    [
      'an async generator',
      async function* (ctx: ReceiveContext<number>) {
        for (;;) yield await ctx.receive();
      },
    ],
  ])('keeps the turn through %s around receive', async (_name, messages) => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: string[] = [];
    const busy = runtime.spawn<number>(async (ctx) => {
      for await (const message of messages(ctx)) log.push(`busy ${message}`);
    });
    const probe = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    for (let i = 0; i < 5; i++) runtime.send(busy, i);
    runtime.send(probe, 'probe');
    await clock.settle();
    expect(log).toEqual(['busy 0', 'busy 1', 'busy 2', 'busy 3', 'busy 4', 'probe']);
  });
});

describe('a body process’s budget', () => {
  type Work = 'send' | 'spawn' | 'link' | 'monitor' | 'exit';
  const does: Record<Work, (ctx: ProcessContext<number>, sink: Pid<number>) => void> = {
    send: (ctx, sink) => void ctx.send(sink, 0),
    spawn: (ctx) => void ctx.spawn({ handle() {} }),
    link: (ctx, sink) => ctx.link(sink),
    monitor: (ctx, sink) => void ctx.monitor(sink),
    exit: (ctx, sink) => ctx.exit(sink, 'normal'),
  };

  it('counts each message received and each send, spawn, link, monitor and exit signal between receives as one reduction', async () => {
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
          const busy = runtime.spawn<number>(
            receiver((_n, ctx) => {
              log.push('busy');
              for (let i = 0; i < perMessage; i++) does[work](ctx, sink);
            }),
          );
          const probe = runtime.spawn<'probe'>({ handle: () => void log.push('probe') });
          for (let i = 0; i < queued; i++) runtime.send(busy, i);
          runtime.send(probe, 'probe');
          await clock.settle();
          // As a handler's: a turn goes on while it has spent less than the budget.
          const firstTurn = Math.min(queued, Math.ceil(budget / (1 + perMessage)));
          expect(log.indexOf('probe')).toBe(firstTurn);
          expect(log.filter((entry) => entry === 'busy')).toHaveLength(queued);
          await runtime.stop();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('counts each message a selective receive looks at', async () => {
    const { runtime, clock } = virtualRuntime({ budget: 10, sliceMs: UNSLICED });
    const log: string[] = [];
    const picky = runtime.spawn<string>(async (ctx) => {
      for (;;) log.push((await ctx.receive((m) => m !== 'skip')) as string);
    });
    const probe = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    // Each receive looks at the four skipped messages in front, then takes one: five each.
    for (const m of ['skip', 'skip', 'skip', 'skip', 'a', 'b', 'c']) runtime.send(picky, m);
    runtime.send(probe, 'probe');
    await clock.settle();
    expect(log).toEqual(['a', 'b', 'probe', 'c']);
    expect(runtime.processInfo(picky)?.mailboxLength).toBe(4);
  });
});

describe('receive() within a turn', () => {
  type Command =
    | { op: 'self'; value: number }
    | { op: 'receive'; mod: number | null; wait: boolean };
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.integer({ min: 0, max: 9 }).map((value) => ({ op: 'self' as const, value })),
    fc.record({
      op: fc.constant('receive' as const),
      mod: fc.option(fc.integer({ min: 2, max: 4 })),
      wait: fc.boolean(),
    }),
  );

  it('takes the first match and leaves the rest in order, across turns, self-sends and drop-oldest evictions (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 30 }),
        fc.array(command, { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.integer({ min: 1, max: 20 })),
        async (initial, commands, budget, capacity) => {
          const { runtime, clock } = virtualRuntime({ budget, sliceMs: UNSLICED });
          // Messages are { value, serial } so equal values stay distinguishable.
          let serial = 0;
          const model: { value: number; serial: number }[] = [];
          const push = (value: number): { value: number; serial: number } => {
            const message = { value, serial: serial++ };
            model.push(message);
            if (capacity !== null && model.length > capacity) model.shift();
            return message;
          };
          const outcomes: unknown[] = [];
          const expected: unknown[] = [];
          const done = deferred();
          const matches = (mod: number | null) => (m: unknown) =>
            mod === null || (m as { value: number }).value % mod === 0;
          const mailbox =
            capacity === null ? undefined : { capacity, overflow: 'drop-oldest' as const };
          const pid = runtime.spawn<{ value: number; serial: number }>(
            async (ctx) => {
              // The initial messages were all queued before this first turn began.
              for (const cmd of commands) {
                if (cmd.op === 'self') {
                  ctx.send(ctx.self, push(cmd.value));
                  continue;
                }
                const match = matches(cmd.mod);
                const index = model.findIndex(match);
                expected.push(index === -1 ? TIMEOUT : model.splice(index, 1)[0]);
                // Wait without a timeout only for a message the mailbox holds.
                const options = cmd.wait && index !== -1 ? {} : { timeout: 0 };
                outcomes.push(await ctx.receive(match, options));
              }
              done.resolve();
              await ctx.receive((m) => m === ('never' as never));
            },
            mailbox === undefined ? {} : { mailbox },
          );
          for (const value of initial) runtime.send(pid, push(value));
          await done.promise;
          expect(outcomes).toEqual(expected);
          await clock.settle();
          expect(runtime.processInfo(pid)?.mailboxLength).toBe(model.length);
          await runtime.stop();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('resolves timeout: 0 at once with TIMEOUT when nothing in the mailbox matches, and sees what the body sent itself on its next turn', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: unknown[] = [];
    const pid = runtime.spawn<string>(async (ctx) => {
      log.push(await ctx.receive());
      log.push(await ctx.receive((m) => m === 'absent', { timeout: 0 }));
      ctx.send(ctx.self, 'mine');
      log.push(await ctx.receive((m) => m === 'mine', { timeout: 0 }));
      log.push(await ctx.receive({ timeout: 0 }));
      log.push(await ctx.receive({ timeout: 0 }));
    });
    const probe = runtime.spawn<string>({ handle: (m) => void log.push(m) });
    runtime.send(pid, 'queued');
    runtime.send(pid, 'also queued');
    runtime.send(probe, 'probe');
    await clock.settle();
    // 'mine' arrived during the turn: the receive waits for the next, behind the probe.
    expect(log).toEqual(['queued', TIMEOUT, 'probe', 'mine', 'also queued', TIMEOUT]);
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('ends the turn and lets the others run when the body exits in the middle of it', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    const partner = runtime.spawn<string>({ handle() {} });
    const pid = runtime.spawn<number>(async (ctx) => {
      signal = ctx.signal;
      ctx.link(partner);
      for (;;) {
        const n = (await ctx.receive()) as number;
        log.push(`got ${n}`);
        // The partner's exit comes back over the link and ends this process at once.
        if (n === 2) ctx.exit(partner, 'boom');
      }
    });
    const exited = exitOf(runtime, pid);
    const probe = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    for (let i = 0; i < 5; i++) runtime.send(pid, i);
    runtime.send(probe, 'probe');
    expect(await exited).toBe('boom');
    await clock.settle();
    expect(log).toEqual(['got 0', 'got 1', 'got 2', 'probe']);
    expect(signal?.aborted).toBe(true);
  });

  it('fails the process, not the caller, when a pattern throws on a message queued for the turn', async () => {
    const { runtime, clock } = virtualRuntime({ sliceMs: UNSLICED });
    const boom = new Error('bad match');
    const pid = runtime.spawn<string>(async (ctx) => {
      await ctx.receive();
      await ctx.receive(() => {
        throw boom;
      });
    });
    const exited = exitOf(runtime, pid);
    runtime.send(pid, 'first');
    runtime.send(pid, 'second');
    const reason = await exited;
    expect(isCrash(reason) && reason.error).toBe(boom);
    await clock.settle();
  });
});

describe('a body process’s turn and the event loop', () => {
  it('lets a setImmediate callback run while a body receive loop with a huge budget works through 1,000,000 queued messages', async () => {
    // The budget never ends the turn: only the slice does.
    const runtime = trackedRuntime({ budget: 100_000_000 });
    const N = 1_000_000;
    let handled = 0;
    const done = deferred();
    const pid = runtime.spawn<number>(async (ctx) => {
      while (handled < N) {
        await ctx.receive();
        handled++;
      }
      done.resolve();
    });
    for (let i = 0; i < N; i++) runtime.send(pid, i);
    while (handled === 0) await new Promise((resolve) => setImmediate(resolve));
    const seen = await new Promise<number>((resolve) => setImmediate(() => resolve(handled)));
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(N);
    await done.promise;
  });
});
