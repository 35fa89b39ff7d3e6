// `isRunning` (from `@actorkit/core/internal`): which process's turn is running now. A
// GenServer asks it to reject a call to itself from its own callback at once (OTP's
// calling_self, issue #13) instead of waiting for its own reply until the timeout.
import { describe, expect, it } from 'vitest';
import type { Pid } from '../src/index.js';
import { isRunning } from '../src/internal.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

describe('isRunning()', () => {
  it('is true for the process whose handler is running, and false for any other', async () => {
    const { runtime, clock } = virtualRuntime();
    const other = runtime.spawn({ handle: () => {} });
    const seen: boolean[] = [];
    const pid = runtime.spawn<string>({
      init: (ctx) => {
        seen.push(isRunning(ctx.self), isRunning(other));
      },
      handle: (_message, ctx) => {
        seen.push(isRunning(ctx.self), isRunning(other));
      },
    });
    runtime.send(pid, 'go');
    await clock.settle();
    expect(seen).toEqual([true, false, true, false]);
  });

  it('is false outside any turn: from plain code, a timer callback, or after an await', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const afterAwait = deferred<boolean>();
    const pid: Pid<string> = runtime.spawn<string>({
      handle: async (_message, ctx) => {
        await gate.promise;
        afterAwait.resolve(isRunning(ctx.self));
      },
    });
    runtime.send(pid, 'go');
    await clock.settle();
    expect(isRunning(pid)).toBe(false);
    let inTimer: boolean | undefined;
    runtime.callAfter(10, () => {
      inTimer = isRunning(pid);
    });
    await clock.advance(10);
    expect(inTimer).toBe(false);
    gate.resolve();
    expect(await afterAwait.promise).toBe(false);
  });

  it("is true in a body process's first step, until its first await", async () => {
    const { runtime, clock } = virtualRuntime();
    const seen: boolean[] = [];
    runtime.spawn(async (ctx) => {
      seen.push(isRunning(ctx.self));
      await ctx.receive({ timeout: 0 });
      seen.push(isRunning(ctx.self));
    });
    await clock.settle();
    expect(seen).toEqual([true, false]);
  });

  it('is false for a process that exited, and after a handler threw', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashing = runtime.spawn<string>({
      handle: () => {
        throw new Error('boom');
      },
    });
    runtime.send(crashing, 'go');
    await clock.settle();
    expect(runtime.isAlive(crashing)).toBe(false);
    expect(isRunning(crashing)).toBe(false);
    const seen: boolean[] = [];
    const next = runtime.spawn<string>({
      handle: (_m, ctx) => void seen.push(isRunning(ctx.self)),
    });
    runtime.send(next, 'go');
    await clock.settle();
    expect(seen).toEqual([true]);
  });
});

// Why a held body turn (07a569d) leaves `turn.current` null: the body's code runs in
// microtasks the scheduler cannot bracket, and other code's microtasks (another process's
// handler resumed after an await) run between them. Setting `current` for the held turn
// would make that other code look as if it ran in the body process.
describe('isRunning() during a body process turn held across receives', () => {
  it('is false for the body after a receive, and for code of others that runs meanwhile', async () => {
    const { runtime, clock } = virtualRuntime();
    let received = 0;
    const bodySeen: boolean[] = [];
    const othersSeen: { running: boolean; received: number }[] = [];
    let body: Pid<string> | undefined;
    const other = runtime.spawn<string>({
      handle: async () => {
        for (let i = 0; i < 20; i++) {
          await null;
          othersSeen.push({ running: isRunning(body!), received });
        }
      },
    });
    runtime.send(other, 'go');
    body = runtime.spawn<string>(async (ctx) => {
      for (let i = 0; i < 5; i++) {
        await ctx.receive();
        received++;
        bodySeen.push(isRunning(ctx.self));
      }
    });
    for (let i = 0; i < 5; i++) runtime.send(body, `m${i}`);
    await clock.settle();
    // The other process's code did run in the middle of the body's turn, and was not
    // taken for the body's.
    expect(othersSeen.some((s) => s.received > 0 && s.received < 5)).toBe(true);
    expect(othersSeen.every((s) => !s.running)).toBe(true);
    // The documented limit: after its first await, a body is not seen as running.
    expect(bodySeen).toEqual([false, false, false, false, false]);
  });
});
