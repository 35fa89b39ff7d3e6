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
