// Issue #12, item 3: loose arguments were accepted — a mailbox capacity of 1.5 or '3',
// and any misspelt option, silently ignored. Every core options object now rejects an
// unknown key or a value of the wrong type with an InvalidArgumentError that names the
// key, says what was expected and shows what arrived.
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  type ReceiveOptions,
  Runtime,
  type SpawnOptions,
  TIMEOUT,
} from '../src/index.js';
import { deferred, stopRuntimesAfterEach, trackedRuntime, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** The InvalidArgumentError `fn` throws (fails the test if it throws nothing else). */
function invalid(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

const handler = { handle() {} };

describe('spawn() options', () => {
  it('rejects an unknown key, naming it, the options there are and the value, and starts nothing', () => {
    const { runtime } = virtualRuntime();
    const error = invalid(() => runtime.spawn(handler, { nmae: 'db' } as SpawnOptions));
    expect(error.argument).toBe('options.nmae');
    expect(error.message).toBe(
      'Expected `options.nmae` to be absent: spawn has no option `nmae` (its options are name, link, parent, trapExit, mailbox, label, behaviour), got "db".',
    );
    expect(runtime.processCount).toBe(0);
    expect(runtime.stats.spawned).toBe(0);
  });

  it.each([
    ['link', 'not a pid', 'a Pid'],
    ['parent', { id: 1 }, 'a Pid'],
    ['trapExit', 'yes', 'true or false'],
    ['label', 42, 'a string'],
    ['behaviour', Symbol('gen_server'), 'a string'],
    ['mailbox', 'big', 'an options object for a mailbox'],
  ])('rejects %s = %s before starting anything', (key, value, expected) => {
    const { runtime } = virtualRuntime();
    const error = invalid(() => runtime.spawn(handler, { [key]: value } as SpawnOptions));
    expect(error.argument).toBe(key === 'mailbox' ? 'mailbox' : `options.${key}`);
    expect(error.message).toContain(`to be ${expected}, got`);
    expect(runtime.processCount).toBe(0);
  });

  it('rejects options that are not an object', () => {
    const { runtime } = virtualRuntime();
    expect(invalid(() => runtime.spawn(handler, 'db' as never)).argument).toBe('options');
  });

  it('accepts every known key, and known keys left undefined (as higher layers pass them)', () => {
    const { runtime } = virtualRuntime();
    const parent = runtime.spawn(handler);
    const pid = runtime.spawn(handler, {
      name: 'db',
      link: parent,
      parent,
      trapExit: true,
      mailbox: { capacity: 10, overflow: 'reject' },
      label: 'Db',
      behaviour: 'gen_server',
    });
    expect(runtime.processInfo(pid)).toMatchObject({ registeredName: 'db', trapExit: true });
    expect(() =>
      runtime.spawn(handler, { name: undefined, link: undefined, mailbox: undefined }),
    ).not.toThrow();
  });

  it('checks the options of ctx.spawn too: the calling process may catch the error', async () => {
    const { runtime, clock } = virtualRuntime();
    const caught = deferred<unknown>();
    runtime.spawn((ctx) => {
      try {
        ctx.spawn(handler, { trap_exit: true } as SpawnOptions);
      } catch (error) {
        caught.resolve(error);
      }
    });
    await clock.settle();
    expect(await caught.promise).toMatchObject({ argument: 'options.trap_exit' });
  });
});

describe('mailbox options', () => {
  it.each([1.5, '3', 0, -1, Number.NaN, Number.NEGATIVE_INFINITY, true, null])(
    'rejects capacity %s: an integer >= 1, or Infinity',
    (capacity) => {
      const { runtime } = virtualRuntime();
      const error = invalid(() => runtime.spawn(handler, { mailbox: { capacity } as never }));
      expect(error.argument).toBe('mailbox.capacity');
      expect(error.message).toContain('to be an integer >= 1 (or Infinity)');
    },
  );

  it.each([1, 2, 1000, Number.POSITIVE_INFINITY])('accepts capacity %s', (capacity) => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn(handler, { mailbox: { capacity } });
    expect(runtime.processInfo(pid)).toBeDefined();
  });

  it('rejects an unknown key', () => {
    const { runtime } = virtualRuntime();
    const error = invalid(() => runtime.spawn(handler, { mailbox: { size: 10 } as never }));
    expect(error.argument).toBe('mailbox.size');
    expect(error.message).toContain(
      'a mailbox has no option `size` (its options are capacity, overflow)',
    );
  });

  it('rejects an overflow policy it does not know', () => {
    const { runtime } = virtualRuntime();
    const error = invalid(() =>
      runtime.spawn(handler, { mailbox: { overflow: 'block' as never } }),
    );
    expect(error.argument).toBe('mailbox.overflow');
  });
});

describe('new Runtime() options', () => {
  it('rejects an unknown key', () => {
    const error = invalid(() => new Runtime({ budgte: 10 } as never));
    expect(error.argument).toBe('options.budgte');
    expect(error.message).toContain('its options are clock, node, budget, sliceMs');
  });

  it.each([
    ['clock', {}, 'a Clock'],
    ['clock', Date, 'a Clock'],
    ['node', -1, 'an integer >= 0'],
    ['node', 1.5, 'an integer >= 0'],
    ['node', '2', 'an integer >= 0'],
  ])('rejects %s = %s', (key, value, expected) => {
    const error = invalid(() => new Runtime({ [key]: value } as never));
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`to be ${expected}`);
  });

  it('rejects options that are not an object', () => {
    expect(invalid(() => new Runtime('fast' as never)).argument).toBe('options');
  });

  it('accepts every known key', () => {
    const runtime = trackedRuntime({ node: 7, budget: 10, sliceMs: 1 });
    expect(runtime.node).toBe(7);
  });
});

describe('receive() options', () => {
  async function receiveWith(...args: unknown[]): Promise<unknown> {
    const { runtime, clock } = virtualRuntime();
    const outcome = deferred<unknown>();
    runtime.spawn(async (ctx) => {
      const receive = ctx.receive as (...a: unknown[]) => Promise<unknown>;
      outcome.resolve(await receive.apply(ctx, args).catch((error: unknown) => error));
    });
    await clock.settle();
    return outcome.promise;
  }

  it('rejects an unknown key, with or without a match function', async () => {
    const alone = await receiveWith({ timout: 5 });
    expect(alone).toBeInstanceOf(InvalidArgumentError);
    expect(alone).toMatchObject({ argument: 'options.timout' });
    expect((alone as Error).message).toContain('receive has no option `timout`');
    const withMatch = await receiveWith(() => true, { timeout: 0, after: 5 });
    expect(withMatch).toMatchObject({ argument: 'options.after' });
  });

  it('rejects a first argument that is neither a match function nor options', async () => {
    expect(await receiveWith('ping')).toMatchObject({ argument: 'options' });
  });

  it('accepts { timeout }', async () => {
    expect(await receiveWith({ timeout: 0 } satisfies ReceiveOptions)).toBe(TIMEOUT);
  });
});

describe('stop() options', () => {
  it.each([
    [{ timout: 0 }, 'options.timout'],
    [{ timeout: -1 }, 'options.timeout'],
    [{ timeout: '5' }, 'options.timeout'],
    [{ timeout: Number.NaN }, 'options.timeout'],
    ['now', 'options'],
  ])('rejects %o and leaves the runtime running', async (options, argument) => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn(handler);
    const error = await runtime.stop(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument });
    expect(runtime.running).toBe(true);
    expect(runtime.isAlive(pid)).toBe(true);
  });

  it('accepts a timeout of Infinity: it waits for every process to shut down', async () => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn(handler);
    await runtime.stop({ timeout: Number.POSITIVE_INFINITY });
    expect(runtime.running).toBe(false);
    expect(runtime.isAlive(pid)).toBe(false);
  });
});
