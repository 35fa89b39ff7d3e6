// Issue #12, item 3: ctx.exit(pid) called with one argument by mistake ended the
// *calling* process, with the PID as its reason. Now that call throws.
import { describe, expect, it } from 'vitest';
import { ExitError, InvalidArgumentError, Registry } from '../src/index.js';
import { deferred, exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

describe('ctx.exit()', () => {
  it('throws InvalidArgumentError for a PID alone, and neither process exits', async () => {
    const { runtime, clock } = virtualRuntime();
    const target = runtime.spawn({ handle() {} });
    const thrown = deferred<unknown>();
    const caller = runtime.spawn(async (ctx) => {
      try {
        ctx.exit(target);
      } catch (error) {
        thrown.resolve(error);
      }
      await ctx.receive();
    });
    await clock.settle();
    const error = (await thrown.promise) as InvalidArgumentError;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('reason');
    expect(error.message).toContain('ctx.exit(reason) ends the calling process');
    expect(error.message).toContain('call ctx.exit(target, reason)');
    expect(runtime.isAlive(caller)).toBe(true);
    expect(runtime.isAlive(target)).toBe(true);
  });

  it('throws InvalidArgumentError for a { via, key } alone, from a handler too', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    let thrown: unknown;
    const caller = runtime.spawn({
      handle(_message, ctx) {
        try {
          ctx.exit({ via: registry, key: 'worker' });
        } catch (error) {
          thrown = error;
        }
      },
    });
    runtime.send(caller, 'go');
    await clock.settle();
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(runtime.isAlive(caller)).toBe(true);
  });

  it('throws InvalidArgumentError when called with no argument', async () => {
    const { runtime, clock } = virtualRuntime();
    let thrown: unknown;
    const caller = runtime.spawn({
      handle(_message, ctx) {
        try {
          (ctx.exit as unknown as () => void).call(ctx);
        } catch (error) {
          thrown = error;
        }
      },
    });
    runtime.send(caller, 'go');
    await clock.settle();
    expect(thrown).toMatchObject({ argument: 'reason' });
    expect(runtime.isAlive(caller)).toBe(true);
  });

  it('takes a string as a reason, even one a process is registered under', async () => {
    const { runtime, clock } = virtualRuntime();
    const named = runtime.spawn({ handle() {} }, { name: 'worker' });
    const caller = runtime.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit('worker');
    });
    const reason = exitOf(runtime, caller);
    runtime.send(caller, 'go');
    await clock.settle();
    expect(await reason).toBe('worker');
    expect(runtime.isAlive(named)).toBe(true);
  });

  it('exits the caller with a PID wrapped in an object, and throws ExitError to stop its code', async () => {
    const { runtime, clock } = virtualRuntime();
    const other = runtime.spawn({ handle() {} });
    let after = false;
    let thrown: unknown;
    const caller = runtime.spawn(async (ctx) => {
      try {
        ctx.exit({ pid: other });
        after = true;
      } catch (error) {
        thrown = error;
      }
    });
    const reason = exitOf(runtime, caller);
    await clock.settle();
    expect(await reason).toEqual({ pid: other });
    expect(thrown).toBeInstanceOf(ExitError);
    expect(after).toBe(false);
  });

  it('sends an exit signal with two arguments, leaving the caller running', async () => {
    const { runtime, clock } = virtualRuntime();
    const target = runtime.spawn({ handle() {} });
    const reason = exitOf(runtime, target);
    const caller = runtime.spawn(async (ctx) => {
      ctx.exit(target, 'enough');
      await ctx.receive();
    });
    await clock.settle();
    expect(await reason).toBe('enough');
    expect(runtime.isAlive(caller)).toBe(true);
  });
});
