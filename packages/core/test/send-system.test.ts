// `sendSystem` (from `@actorkit/core/internal`): a message delivered as the runtime's own
// signals are, whatever the capacity of a bounded mailbox, and beside it. Issue #12: a
// GenServer status read on a full 'drop-oldest' mailbox pushed out a real message; with a
// forced message counted, the next send displaced one too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MailboxFullError,
  type MailboxOptions,
  type MailboxOverflowEvent,
  type OverflowPolicy,
  type Runtime,
  type VirtualClock,
} from '../src/index.js';
import { sendSystem } from '../src/internal.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** A system request, as a GenServer's are: a fresh object each time. */
class SystemRequest {
  constructor(readonly n: number) {}
}

/** A handler that blocks on 'block' until `release()`, recording what it handles. */
async function blockedHandler(runtime: Runtime, clock: VirtualClock, mailbox: MailboxOptions) {
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
  const release = async () => {
    gate.resolve();
    await clock.settle();
  };
  return { pid, handled, overflows, release };
}

describe('sendSystem()', () => {
  it('queues a message in a full drop-oldest mailbox without evicting anything', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedHandler(runtime, clock, {
      capacity: 2,
      overflow: 'drop-oldest',
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    const request = new SystemRequest(1);
    expect(sendSystem(pid, request)).toBe(true);
    expect(overflows).toEqual([]);
    expect(runtime.processInfo(pid)?.mailboxDropped).toBe(0);
    await release();
    expect(handled).toEqual(['block', 'a', 'b', request]);
  });

  it('takes no place of the capacity: a send after it still fits, and one more is refused', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, release } = await blockedHandler(runtime, clock, {
      capacity: 2,
      overflow: 'reject',
    });
    runtime.send(pid, 'a');
    const request = new SystemRequest(1);
    sendSystem(pid, request);
    runtime.send(pid, 'b');
    expect(() => runtime.send(pid, 'c')).toThrow(MailboxFullError);
    await release();
    expect(handled).toEqual(['block', 'a', request, 'b']);
  });

  it('is never evicted by drop-oldest: the oldest counted message goes instead', async () => {
    const { runtime, clock } = virtualRuntime();
    const { pid, handled, overflows, release } = await blockedHandler(runtime, clock, {
      capacity: 1,
      overflow: 'drop-oldest',
    });
    const request = new SystemRequest(1);
    sendSystem(pid, request);
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    expect(overflows.map((event) => event.message)).toEqual(['a']);
    await release();
    expect(handled).toEqual(['block', request, 'b']);
  });

  it('returns false for a dead process', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} });
    runtime.exit(pid, 'kill');
    await clock.settle();
    expect(sendSystem(pid, new SystemRequest(1))).toBe(false);
  });

  it('keeps a waiting selective receive right when drop-oldest evicts behind a forced message', async () => {
    const { runtime, clock } = virtualRuntime();
    const got: unknown[] = [];
    const start = deferred();
    const pid = runtime.spawn<unknown>(
      async (ctx) => {
        await start.promise;
        got.push(await ctx.receive((m) => m === 'wanted'));
        while (got.length < 4) got.push(await ctx.receive());
      },
      { mailbox: { capacity: 2, overflow: 'drop-oldest' } },
    );
    await clock.settle();
    const request = new SystemRequest(1);
    sendSystem(pid, request);
    runtime.send(pid, 'x');
    start.resolve();
    await clock.settle();
    // The receive scanned [request, 'x']; 'y' fills the capacity, 'wanted' evicts 'x' (index 1).
    runtime.send(pid, 'y');
    runtime.send(pid, 'wanted');
    await clock.settle();
    runtime.send(pid, 'z');
    await clock.settle();
    expect(got).toEqual(['wanted', request, 'y', 'z']);
  });

  it('keeps every forced message and, of the others, what the policy keeps without them (property)', async () => {
    const policies: OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'reject'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(...policies),
        fc.array(fc.boolean(), { maxLength: 30 }),
        async (capacity, overflow, forcedSteps) => {
          const { runtime, clock } = virtualRuntime();
          const { pid, handled, release } = await blockedHandler(runtime, clock, {
            capacity,
            overflow,
          });
          // The model: the counted messages alone, bounded as the policy says.
          let counted: number[] = [];
          const expected: unknown[] = [];
          const order: unknown[] = [];
          for (const [n, forced] of forcedSteps.entries()) {
            if (forced) {
              const request = new SystemRequest(n);
              sendSystem(pid, request);
              order.push(request);
              continue;
            }
            try {
              runtime.send(pid, n);
            } catch (error) {
              expect(error).toBeInstanceOf(MailboxFullError);
            }
            order.push(n);
            if (counted.length < capacity) counted.push(n);
            else if (overflow === 'drop-oldest') counted = [...counted.slice(1), n];
          }
          for (const message of order) {
            if (typeof message !== 'number' || counted.includes(message)) expected.push(message);
          }
          await release();
          expect(handled).toEqual(['block', ...expected]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
