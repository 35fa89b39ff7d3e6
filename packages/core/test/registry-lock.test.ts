// Ported from Elixir's registry_test.exs, the Registry.lock/3 tests.
import { describe, expect, it } from 'vitest';
import {
  ExitError,
  InvalidArgumentError,
  NoProcError,
  type Pid,
  Registry,
  type Runtime,
} from '../src/index.js';
import { watchNode } from './hostile-values.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();
const node = watchNode();

/** A process that waits forever: the holder of a lock, or a waiter. */
function idle(runtime: Runtime): Pid<any> {
  return runtime.spawn(async (ctx) => {
    for (;;) await ctx.receive();
  });
}

describe('lock()', () => {
  it('does not make different keys wait for each other', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const unlock1 = deferred();
    const unlock2 = deferred();
    const locked: number[] = [];
    const first = registry.lock(idle(runtime), 1, async () => {
      locked.push(1);
      await unlock1.promise;
      return 'done1';
    });
    const second = registry.lock(idle(runtime), 2, async () => {
      locked.push(2);
      await unlock2.promise;
      return 'done2';
    });
    expect(locked).toEqual([1, 2]);
    unlock1.resolve();
    unlock2.resolve();
    expect(await first).toBe('done1');
    expect(await second).toBe('done2');
    expect(await registry.lock(idle(runtime), 1, () => 'done')).toBe('done');
  });

  it('makes the same key wait, in the order asked', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'duplicate' });
    const unlock = deferred();
    const log: string[] = [];
    const first = registry.lock(idle(runtime), 'ok', async () => {
      log.push('locked1');
      await unlock.promise;
      log.push('unlocked1');
      return 'done1';
    });
    const second = registry.lock(idle(runtime), 'ok', () => {
      log.push('locked2');
      return 'done2';
    });
    const third = registry.lock(idle(runtime), 'ok', () => {
      log.push('locked3');
      return 'done3';
    });
    await clock.settle();
    expect(log).toEqual(['locked1']);
    unlock.resolve();
    expect(await Promise.all([first, second, third])).toEqual(['done1', 'done2', 'done3']);
    expect(log).toEqual(['locked1', 'unlocked1', 'locked2', 'locked3']);
  });

  it('releases the lock when the function throws, and the error reaches the caller', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const unlock = deferred();
    const first = registry.lock(idle(runtime), 'ok', async () => {
      await unlock.promise;
      throw new Error('oops');
    });
    const second = registry.lock(idle(runtime), 'ok', () => 'done');
    unlock.resolve();
    await expect(first).rejects.toThrow('oops');
    expect(await second).toBe('done');
    const sync = registry.lock(idle(runtime), 'ok', () => {
      throw new Error('at once');
    });
    await expect(sync).rejects.toThrow('at once');
    expect(await registry.lock(idle(runtime), 'ok', () => 'done')).toBe('done');
  });

  // Regression: Promise.resolve(result) ran outside the try, and throws at once for a
  // promise whose `constructor` getter throws: the lock stayed held forever, and when a
  // waiter's function returned one, the holder's promise never settled and Node saw an
  // unhandled rejection.
  it('releases the lock when what the function returns cannot be adopted, holder or waiter', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const lying = () => {
      const promise = Promise.resolve('hidden');
      Object.defineProperty(promise, 'constructor', {
        get() {
          throw new Error('constructor getter');
        },
      });
      return promise;
    };
    await expect(registry.lock(idle(runtime), 'k', lying)).rejects.toThrow('constructor getter');
    const unlock = deferred();
    const first = registry.lock(idle(runtime), 'k', async () => {
      await unlock.promise;
      return 'first';
    });
    const second = registry.lock(idle(runtime), 'k', lying);
    unlock.resolve();
    expect(await first).toBe('first');
    await expect(second).rejects.toThrow('constructor getter');
    expect(await registry.lock(idle(runtime), 'k', () => 'free')).toBe('free');
    await node.assertQuiet();
  });

  it('releases the lock when its holder exits', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const holder = idle(runtime);
    const never = deferred<string>();
    const held = registry.lock(holder, 'ok', () => never.promise);
    const second = registry.lock(idle(runtime), 'ok', () => 'done');
    runtime.exit(holder, 'kill');
    expect(await second).toBe('done');
    expect(await registry.lock(idle(runtime), 'ok', () => 'done')).toBe('done');
    never.resolve('late');
    expect(await held).toBe('late');
  });

  it('drops a waiter whose process exits, rejecting it with ExitError', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const unlock = deferred();
    let ranWaiter = false;
    const first = registry.lock(idle(runtime), 'ok', async () => {
      await unlock.promise;
      return 'done';
    });
    const waiter = idle(runtime);
    const waiting = registry.lock(waiter, 'ok', () => {
      ranWaiter = true;
    });
    runtime.exit(waiter, 'kill');
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBe('killed');
    unlock.resolve();
    expect(await first).toBe('done');
    expect(ranWaiter).toBe(false);
    expect(await registry.lock(idle(runtime), 'ok', () => 'done')).toBe('done');
  });

  it('rejects a dead pid with NoProcError, and bad arguments with InvalidArgumentError', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    const dead = runtime.spawn(() => undefined);
    await clock.settle();
    await expect(registry.lock(dead, 'ok', () => 1)).rejects.toBeInstanceOf(NoProcError);
    await expect(registry.lock('pid' as never, 'ok', () => 1)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(registry.lock(idle(runtime), 'ok', 1 as never)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await registry.lock(idle(runtime), 'ok', () => 'free')).toBe('free');
  });
});
