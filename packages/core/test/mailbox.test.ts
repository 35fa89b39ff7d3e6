import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Down,
  Exit,
  InvalidArgumentError,
  isDown,
  isExit,
  MailboxFullError,
  type MailboxOptions,
  type MailboxOverflowEvent,
  type Pid,
  type Runtime,
  type VirtualClock,
} from '../src/index.js';
import { Mailbox } from '../src/mailbox.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

/**
 * A handler process with a bounded mailbox that blocks on its first message, 'block',
 * until `release()`, so the test can fill its mailbox while it is busy.
 */
async function blockedReceiver(runtime: Runtime, clock: VirtualClock, mailbox: MailboxOptions) {
  const gate = deferred();
  const handled: unknown[] = [];
  const overflows: MailboxOverflowEvent[] = [];
  runtime.events.on('mailboxOverflow', (event) => overflows.push(event));
  const pid = runtime.spawn<unknown>(
    {
      handle(message) {
        handled.push(message);
        if (message === 'block') return gate.promise;
      },
    },
    { mailbox },
  );
  runtime.send(pid, 'block');
  await clock.settle();
  expect(handled).toEqual(['block']);
  expect(runtime.processInfo(pid)?.mailboxLength).toBe(0);
  const release = async () => {
    gate.resolve();
    await clock.settle();
  };
  return { pid, handled, overflows, release };
}

describe('send() to an unbounded mailbox', () => {
  it('delivers messages from one sender in the order they were sent', async () => {
    const { runtime, clock } = virtualRuntime();
    const handled: number[] = [];
    const pid = runtime.spawn<number>({ handle: (m) => void handled.push(m as number) });
    for (let i = 0; i < 10_000; i++) runtime.send(pid, i);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(10_000);
    await clock.settle();
    expect(handled).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(runtime.processInfo(pid)?.mailboxDropped).toBe(0);
  });

  it('keeps FIFO order per sender however the senders interleave (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 20 }),
        async (senderBatches, outsideSends) => {
          const { runtime, clock } = virtualRuntime();
          const received: [string, number][] = [];
          const receiver = runtime.spawn<[string, number]>({
            handle: (m) => void received.push(m as [string, number]),
          });
          const expected = new Map<string, number>();
          senderBatches.forEach((batches, s) => {
            const name = `s${s}`;
            expected.set(
              name,
              batches.reduce((a, b) => a + b, 0),
            );
            runtime.spawn(async (ctx) => {
              let seq = 0;
              for (const size of batches) {
                for (let i = 0; i < size; i++) ctx.send(receiver, [name, seq++]);
                // Go through the run queue so the senders interleave.
                await ctx.receive({ timeout: 0 });
              }
            });
          });
          expected.set('outside', outsideSends.length);
          let outsideSeq = 0;
          for (const pause of outsideSends) {
            runtime.send(receiver, ['outside', outsideSeq++]);
            for (let i = 0; i < pause; i++) await new Promise((r) => setImmediate(r));
          }
          await clock.settle();
          for (const [name, count] of expected) {
            const seqs = received.filter(([from]) => from === name).map(([, seq]) => seq);
            expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
          }
          expect(received).toHaveLength([...expected.values()].reduce((a, b) => a + b, 0));
          await runtime.stop();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('spawn() with mailbox: { overflow: "drop-newest" }', () => {
  it('drops the arriving message when full and send returns false', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedReceiver(runtime, clock, {
      capacity: 3,
      overflow: 'drop-newest',
    });
    expect(['a', 'b', 'c'].map((m) => runtime.send(pid, m))).toEqual([true, true, true]);
    expect(runtime.send(pid, 'd')).toBe(false);
    expect(runtime.send(pid, 'e')).toBe(false);
    const info = runtime.processInfo(pid)!;
    expect(info.mailboxLength).toBe(3);
    expect(info.mailboxDropped).toBe(2);
    expect(runtime.stats.mailboxDrops).toBe(2);
    expect(overflows).toEqual([
      { node: runtime.node, pid, message: 'd', policy: 'drop-newest', capacity: 3 },
      { node: runtime.node, pid, message: 'e', policy: 'drop-newest', capacity: 3 },
    ]);
    await release();
    expect(handled).toEqual(['block', 'a', 'b', 'c']);
  });

  it('is the default policy when only a capacity is given', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedReceiver(runtime, clock, {
      capacity: 1,
    });
    expect(runtime.send(pid, 'a')).toBe(true);
    expect(runtime.send(pid, 'b')).toBe(false);
    expect(overflows.map((e) => [e.message, e.policy])).toEqual([['b', 'drop-newest']]);
    await release();
    expect(handled).toEqual(['block', 'a']);
  });

  it('accepts messages again once the process has made room', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, release } = await blockedReceiver(runtime, clock, { capacity: 2 });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    expect(runtime.send(pid, 'lost')).toBe(false);
    await release();
    expect(runtime.send(pid, 'c')).toBe(true);
    await clock.settle();
    expect(handled).toEqual(['block', 'a', 'b', 'c']);
    expect(runtime.processInfo(pid)?.mailboxDropped).toBe(1);
  });
});

describe('spawn() with mailbox: { overflow: "drop-oldest" }', () => {
  it('drops the oldest queued message to make room and send returns true', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedReceiver(runtime, clock, {
      capacity: 3,
      overflow: 'drop-oldest',
    });
    const results = ['a', 'b', 'c', 'd', 'e'].map((m) => runtime.send(pid, m));
    expect(results).toEqual([true, true, true, true, true]);
    const info = runtime.processInfo(pid)!;
    expect(info.mailboxLength).toBe(3);
    expect(info.mailboxDropped).toBe(2);
    expect(runtime.stats.mailboxDrops).toBe(2);
    expect(overflows).toEqual([
      { node: runtime.node, pid, message: 'a', policy: 'drop-oldest', capacity: 3 },
      { node: runtime.node, pid, message: 'b', policy: 'drop-oldest', capacity: 3 },
    ]);
    await release();
    expect(handled).toEqual(['block', 'c', 'd', 'e']);
  });

  // Bug: a pending selective receive remembers how far it scanned; evicting the oldest
  // message shifts the mailbox, so the message queued at the end was never looked at.
  it('lets a pending selective receive see a message that arrives into a full mailbox', async () => {
    const { runtime, clock } = virtualRuntime();
    const got: unknown[] = [];
    const pid = runtime.spawn<string>(
      async (ctx) => {
        got.push(await ctx.receive((m) => m === 'wanted', { timeout: 1000 }));
        got.push(await ctx.receive({ timeout: 0 }));
      },
      { mailbox: { capacity: 3, overflow: 'drop-oldest' } },
    );
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    runtime.send(pid, 'c');
    await clock.settle();
    expect(got).toEqual([]);
    // Full: 'a' is evicted, 'wanted' is queued at the end of the mailbox.
    expect(runtime.send(pid, 'wanted')).toBe(true);
    await clock.settle();
    expect(got).toEqual(['wanted', 'b']);
    await clock.advance(1000);
    expect(got).toEqual(['wanted', 'b']);
  });
});

describe('spawn() with mailbox: { overflow: "reject" }', () => {
  it('makes send throw MailboxFullError and counts the rejection', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedReceiver(runtime, clock, {
      capacity: 2,
      overflow: 'reject',
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    let error: unknown;
    try {
      runtime.send(pid, 'c');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MailboxFullError);
    expect(MailboxFullError.is(error)).toBe(true);
    expect((error as MailboxFullError).pid).toBe(pid);
    expect((error as MailboxFullError).capacity).toBe(2);
    expect((error as MailboxFullError).message).toContain(String(pid));
    expect(() => runtime.send(pid, 'd')).toThrow(MailboxFullError);
    const info = runtime.processInfo(pid)!;
    expect(info.mailboxLength).toBe(2);
    expect(info.mailboxDropped).toBe(2);
    expect(runtime.stats.mailboxDrops).toBe(2);
    expect(overflows.map((e) => [e.message, e.policy, e.capacity])).toEqual([
      ['c', 'reject', 2],
      ['d', 'reject', 2],
    ]);
    await release();
    expect(handled).toEqual(['block', 'a', 'b']);
    expect(runtime.isAlive(pid)).toBe(true);
  });

  it('throws in the sending process, which can catch it and go on', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, release } = await blockedReceiver(runtime, clock, {
      capacity: 1,
      overflow: 'reject',
    });
    const outcomes: unknown[] = [];
    const sender = runtime.spawn(async (ctx) => {
      for (const m of ['x', 'y']) {
        try {
          outcomes.push(ctx.send(pid, m));
        } catch (error) {
          outcomes.push(error instanceof MailboxFullError ? 'full' : error);
        }
      }
      await ctx.receive();
    });
    await clock.settle();
    expect(outcomes).toEqual([true, 'full']);
    expect(runtime.isAlive(sender)).toBe(true);
    await release();
  });

  it('counts a timer message that a full mailbox rejects, without throwing anywhere', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, overflows, handled, release } = await blockedReceiver(runtime, clock, {
      capacity: 1,
      overflow: 'reject',
    });
    runtime.send(pid, 'a');
    runtime.sendAfter(pid, 'late', 10);
    await clock.advance(10);
    expect(overflows.map((e) => e.message)).toEqual(['late']);
    expect(runtime.processInfo(pid)?.mailboxDropped).toBe(1);
    expect(runtime.stats.mailboxDrops).toBe(1);
    await release();
    expect(handled).toEqual(['block', 'a']);
  });
});

describe('bounded mailbox drop accounting', () => {
  it('counts and emits every drop, for any capacity, policy and load (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('drop-newest' as const, 'drop-oldest' as const, 'reject' as const),
        fc.integer({ min: 0, max: 30 }),
        async (capacity, overflow, sends) => {
          const { runtime, clock } = virtualRuntime();
          const { pid, overflows, handled, release } = await blockedReceiver(runtime, clock, {
            capacity,
            overflow,
          });
          let thrown = 0;
          for (let i = 0; i < sends; i++) {
            try {
              runtime.send(pid, i);
            } catch (error) {
              if (!(error instanceof MailboxFullError)) throw error;
              thrown++;
            }
          }
          const drops = Math.max(0, sends - capacity);
          expect(runtime.processInfo(pid)?.mailboxDropped).toBe(drops);
          expect(runtime.stats.mailboxDrops).toBe(drops);
          expect(overflows).toHaveLength(drops);
          expect(thrown).toBe(overflow === 'reject' ? drops : 0);
          await release();
          const kept = Math.min(sends, capacity);
          const first = overflow === 'drop-oldest' ? sends - kept : 0;
          expect(handled).toEqual(['block', ...Array.from({ length: kept }, (_, i) => first + i)]);
          const dropped = overflows.map((e) => e.message);
          expect([...dropped, ...handled.slice(1)].sort((a, b) => Number(a) - Number(b))).toEqual(
            Array.from({ length: sends }, (_, i) => i),
          );
          await runtime.stop();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('bounded mailbox and system messages', () => {
  it('never drops an Exit or a Down signal, even when the mailbox is full', async () => {
    const { runtime, clock } = virtualRuntime();
    const linked = runtime.spawn({ handle() {} });
    const monitored = runtime.spawn({ handle() {} });
    const gate = deferred();
    const handled: unknown[] = [];
    let monitorRef: unknown;
    const pid = runtime.spawn<string>(
      {
        init(ctx) {
          ctx.link(linked);
          monitorRef = ctx.monitor(monitored);
        },
        handle(message) {
          handled.push(message);
          if (message === 'block') return gate.promise;
        },
      },
      { trapExit: true, mailbox: { capacity: 2, overflow: 'reject' } },
    );
    runtime.send(pid, 'block');
    await clock.settle();
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    expect(() => runtime.send(pid, 'c')).toThrow(MailboxFullError);

    runtime.exit(linked, 'boom');
    runtime.exit(monitored, 'bang');
    await clock.settle();
    const info = runtime.processInfo(pid)!;
    expect(info.mailboxLength).toBe(4);
    expect(info.mailboxDropped).toBe(1);
    expect(runtime.stats.mailboxDrops).toBe(1);

    gate.resolve();
    await clock.settle();
    expect(handled.slice(0, 3)).toEqual(['block', 'a', 'b']);
    const exit = handled.find(isExit);
    const down = handled.find(isDown);
    expect(exit).toBeInstanceOf(Exit);
    expect(exit?.from).toBe(linked);
    expect(exit?.reason).toBe('boom');
    expect(down).toBeInstanceOf(Down);
    expect(down?.ref).toBe(monitorRef);
    expect(down?.reason).toBe('bang');
    expect(handled).toHaveLength(5);
    // It traps exits, so it would outlive stop()'s shutdown signal until the timeout.
    runtime.exit(pid, 'kill');
  });

  it('delivers a DOWN for a dead PID to a full drop-newest mailbox', async () => {
    const { runtime, clock } = virtualRuntime();
    const dead = runtime.spawn({ handle() {} });
    runtime.exit(dead, 'kill');
    const gate = deferred();
    const got: unknown[] = [];
    const pid: Pid<string> = runtime.spawn<string>(
      async (ctx) => {
        await gate.promise;
        ctx.monitor(dead);
        got.push(await ctx.receive(isDown, { timeout: 0 }));
        got.push(await ctx.receive({ timeout: 0 }));
      },
      { mailbox: { capacity: 1 } },
    );
    await clock.settle();
    expect(runtime.send(pid, 'filler')).toBe(true);
    expect(runtime.send(pid, 'dropped')).toBe(false);
    gate.resolve();
    await clock.settle();
    expect(got).toHaveLength(2);
    expect(got[0]).toBeInstanceOf(Down);
    expect((got[0] as Down).reason).toBe('noproc');
    expect(got[1]).toBe('filler');
    expect(runtime.stats.mailboxDrops).toBe(1);
  });
});

describe('spawn() mailbox options', () => {
  it.each([0, -1, Number.NaN])('rejects capacity %s with InvalidArgumentError', (capacity) => {
    const { runtime } = virtualRuntime();
    expect(() => runtime.spawn({ handle() {} }, { mailbox: { capacity } })).toThrow(
      InvalidArgumentError,
    );
    try {
      runtime.spawn({ handle() {} }, { mailbox: { capacity } });
    } catch (error) {
      expect((error as InvalidArgumentError).argument).toBe('mailbox.capacity');
    }
    expect(runtime.processCount).toBe(0);
  });

  it('rejects an unknown overflow policy with InvalidArgumentError', () => {
    const { runtime } = virtualRuntime();
    const spawnBad = () =>
      runtime.spawn({ handle() {} }, { mailbox: { capacity: 1, overflow: 'drop-all' as never } });
    expect(spawnBad).toThrow(InvalidArgumentError);
    expect(spawnBad).toThrow(/mailbox\.overflow/);
    expect(runtime.processCount).toBe(0);
  });
});

describe('the queue behind a mailbox (against an array model)', () => {
  class Tagged {
    constructor(readonly message: unknown) {}
  }
  type Op =
    | { op: 'push'; count: number; tagged: boolean }
    | { op: 'shift'; count: number }
    | { op: 'removeAt'; at: number }
    | { op: 'drain' };
  const ops = fc.array(
    fc.oneof(
      // Batches past the ring's 4,096 slots, so messages spill into chunks and back.
      fc.record({
        op: fc.constant('push' as const),
        count: fc.integer({ min: 1, max: 9000 }),
        tagged: fc.boolean(),
      }),
      fc.record({ op: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 9000 }) }),
      fc.record({ op: fc.constant('removeAt' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('drain' as const) }),
    ),
    { maxLength: 40 },
  );

  it('keeps order and tags through growth, spilling, refills and removal from the middle (property)', () => {
    fc.assert(
      fc.property(ops, (script: Op[]) => {
        const mailbox = new Mailbox();
        const model: { message: number; tagged: boolean }[] = [];
        let next = 0;
        const seen = (message: unknown, tag: unknown) => ({
          message: message as number,
          tagged: tag === Tagged,
        });
        for (const step of script) {
          if (step.op === 'push') {
            for (let i = 0; i < step.count; i++) {
              mailbox.push(next, false, step.tagged ? Tagged : undefined);
              model.push({ message: next++, tagged: step.tagged });
            }
          } else if (step.op === 'shift') {
            for (let i = 0; i < step.count && model.length > 0; i++) {
              const message = mailbox.shift();
              expect(seen(message, mailbox.shiftedTag)).toEqual(model.shift());
            }
          } else if (step.op === 'removeAt') {
            if (model.length === 0) continue;
            const index = step.at % model.length;
            const [expected] = model.splice(index, 1);
            const removed = mailbox.removeAt(index);
            expect(removed).toEqual(
              expected!.tagged ? new Tagged(expected!.message) : expected!.message,
            );
          } else {
            const drained = mailbox.drain();
            expect(drained).toEqual(
              model.splice(0).map((m) => (m.tagged ? new Tagged(m.message) : m.message)),
            );
          }
          expect(mailbox.length).toBe(model.length);
        }
        const rest = [];
        while (mailbox.length > 0) rest.push(seen(mailbox.shift(), mailbox.shiftedTag));
        expect(rest).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });

  it('finds a message deep in a spilled queue for selective receive', () => {
    const mailbox = new Mailbox();
    for (let i = 0; i < 5000; i++) mailbox.push(i);
    expect(mailbox.findIndex((m) => m === 4321 || m === -1, 0)).toBe(4321);
    expect(mailbox.removeAt(4321)).toBe(4321);
    expect(mailbox.at(4321)).toBe(4322);
    mailbox.push('last');
    expect(mailbox.at(mailbox.length - 1)).toBe('last');
    expect(mailbox.length).toBe(5000);
  });
});

describe('a bounded mailbox (against an array model)', () => {
  class Tagged {
    constructor(readonly message: unknown) {}
  }
  type Op =
    | { op: 'push'; count: number; forced: boolean; tagged: boolean }
    | { op: 'shift'; count: number }
    | { op: 'removeAt'; at: number };
  const ops = fc.array(
    fc.oneof(
      fc.record({
        op: fc.constant('push' as const),
        count: fc.integer({ min: 1, max: 40 }),
        forced: fc.boolean(),
        tagged: fc.boolean(),
      }),
      fc.record({ op: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ op: fc.constant('removeAt' as const), at: fc.nat() }),
    ),
    { maxLength: 30 },
  );
  const policies = fc.constantFrom(
    'drop-newest' as const,
    'drop-oldest' as const,
    'reject' as const,
  );

  // The mailbox's general path (bounds, forced messages, tags) beside its fast path for
  // plain mailboxes: the same queue, so a bounded one must keep order and count exactly.
  it('drops, evicts, rejects and keeps order exactly as the model, with forced and tagged messages (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        policies,
        ops,
        (capacity, overflow, script: Op[]) => {
          const mailbox = new Mailbox({ capacity, overflow });
          const model: { message: number; forced: boolean; tagged: boolean }[] = [];
          let dropped = 0;
          let next = 0;
          const counted = () => model.filter((m) => !m.forced).length;
          const seen = (m: { message: number; tagged: boolean }) =>
            m.tagged ? new Tagged(m.message) : m.message;
          for (const step of script) {
            if (step.op === 'push') {
              for (let i = 0; i < step.count; i++) {
                const entry = {
                  message: next++,
                  forced: step.forced,
                  tagged: step.tagged && !step.forced,
                };
                const result = mailbox.push(
                  entry.message,
                  entry.forced,
                  entry.tagged ? Tagged : undefined,
                );
                if (entry.forced || counted() < capacity) {
                  expect(result).toBe(0);
                  model.push(entry);
                } else if (overflow === 'drop-oldest') {
                  dropped++;
                  const oldest = model.findIndex((m) => !m.forced);
                  const [evicted] = model.splice(oldest, 1);
                  expect(result).toBe(1);
                  expect(mailbox.evictedAt).toBe(oldest);
                  expect(mailbox.takeEvicted()).toEqual(seen(evicted!));
                  model.push(entry);
                } else {
                  dropped++;
                  expect(result).toBe(overflow === 'drop-newest' ? 2 : 3);
                }
              }
            } else if (step.op === 'shift') {
              for (let i = 0; i < step.count && model.length > 0; i++) {
                const expected = model.shift()!;
                expect(mailbox.shift()).toBe(expected.message);
                expect(mailbox.shiftedTag).toBe(expected.tagged ? Tagged : undefined);
              }
            } else if (model.length > 0) {
              const index = step.at % model.length;
              const [expected] = model.splice(index, 1);
              expect(mailbox.removeAt(index)).toEqual(seen(expected!));
            }
            expect(mailbox.length).toBe(model.length);
            expect(mailbox.dropped).toBe(dropped);
          }
          expect(mailbox.drain()).toEqual(model.map(seen));
        },
      ),
      { numRuns: 200 },
    );
  });
});
