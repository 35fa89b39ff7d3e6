import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  type DeadLetterEvent,
  InvalidArgumentError,
  NameTakenError,
  NoProcError,
  type Pid,
  Registry,
  type Runtime,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

function world() {
  const { runtime, clock } = virtualRuntime();
  return { runtime, settle: () => clock.settle() };
}

/** A handler process that keeps what it receives. */
function recorder(runtime: Runtime) {
  const inbox: unknown[] = [];
  const pid = runtime.spawn({ handle: (message) => void inbox.push(message) });
  return { pid, inbox };
}

describe('register()', () => {
  it('makes the PID findable by whereis and reachable by name', async () => {
    const { runtime, settle } = world();
    const a = recorder(runtime);
    runtime.register('logger', a.pid);
    expect(runtime.whereis('logger')).toBe(a.pid);
    expect(runtime.processInfo(a.pid)?.registeredName).toBe('logger');
    expect(runtime.processInfo('logger')?.pid).toBe(a.pid);
    expect(runtime.registered()).toEqual(['logger']);
    runtime.send('logger', 'hello');
    await settle();
    expect(a.inbox).toEqual(['hello']);
  });

  it('accepts a symbol as a name', async () => {
    const { runtime, settle } = world();
    const a = recorder(runtime);
    const name = Symbol('metrics');
    runtime.register(name, a.pid);
    expect(runtime.whereis(name)).toBe(a.pid);
    runtime.send(name, 1);
    await settle();
    expect(a.inbox).toEqual([1]);
  });

  it('throws NameTakenError naming the holder when the name is taken', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    const b = recorder(runtime);
    runtime.register('db', a.pid);
    let error: unknown;
    try {
      runtime.register('db', b.pid);
    } catch (caught) {
      error = caught;
    }
    expect(NameTakenError.is(error)).toBe(true);
    expect((error as NameTakenError).nameTaken).toBe('db');
    expect((error as NameTakenError).holder).toBe(a.pid);
    expect((error as Error).message).toContain(String(a.pid));
    expect(runtime.whereis('db')).toBe(a.pid);
    expect(runtime.processInfo(b.pid)?.registeredName).toBeUndefined();
  });

  it('throws NameTakenError from spawn({ name }) and spawns nothing', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.register('db', a.pid);
    const before = runtime.processCount;
    expect(() => runtime.spawn({ handle() {} }, { name: 'db' })).toThrow(NameTakenError);
    expect(runtime.processCount).toBe(before);
  });

  it.each([
    ['a number', 42],
    ['an object', { name: 'x' }],
    ['null', null],
  ])('throws InvalidArgumentError naming `name` for %s', (_label, name) => {
    const { runtime } = world();
    const a = recorder(runtime);
    expect(() => runtime.register(name as never, a.pid)).toThrow(InvalidArgumentError);
    expect(() => runtime.register(name as never, a.pid)).toThrow(/`name`/);
  });

  it('throws NoProcError for a dead PID', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.exit(a.pid, 'kill');
    expect(() => runtime.register('late', a.pid)).toThrow(NoProcError);
    expect(runtime.whereis('late')).toBeUndefined();
  });

  it('refuses a second name for the same process', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.register('first', a.pid);
    expect(() => runtime.register('second', a.pid)).toThrow(ActorkitError);
    expect(runtime.whereis('second')).toBeUndefined();
  });

  it('is available from inside a process as ctx.register(name)', async () => {
    const { runtime, settle } = world();
    const pid = runtime.spawn(async (ctx) => {
      ctx.register('self-named');
      await ctx.receive();
    });
    await settle();
    expect(runtime.whereis('self-named')).toBe(pid);
  });
});

describe('unregister()', () => {
  it('frees the name and returns true, then false', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.register('tmp', a.pid);
    expect(runtime.unregister('tmp')).toBe(true);
    expect(runtime.whereis('tmp')).toBeUndefined();
    expect(runtime.processInfo(a.pid)?.registeredName).toBeUndefined();
    expect(runtime.unregister('tmp')).toBe(false);
  });

  it('lets another process take the name', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    const b = recorder(runtime);
    runtime.register('slot', a.pid);
    runtime.unregister('slot');
    runtime.register('slot', b.pid);
    expect(runtime.whereis('slot')).toBe(b.pid);
  });
});

describe('whereis()', () => {
  it('returns undefined for a name nobody holds', () => {
    const { runtime } = world();
    expect(runtime.whereis('nobody')).toBeUndefined();
  });

  it('frees the name automatically when the process exits', async () => {
    const { runtime, settle } = world();
    const pid = runtime.spawn(
      async (ctx) => {
        await ctx.receive();
      },
      { name: 'short-lived' },
    );
    await settle();
    expect(runtime.whereis('short-lived')).toBe(pid);
    runtime.send(pid, 'finish');
    await settle();
    expect(runtime.whereis('short-lived')).toBeUndefined();
    expect(runtime.registered()).toEqual([]);
    const next = recorder(runtime);
    runtime.register('short-lived', next.pid);
    expect(runtime.whereis('short-lived')).toBe(next.pid);
  });

  it('frees the name of a killed process', () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.register('victim', a.pid);
    runtime.exit(a.pid, 'kill');
    expect(runtime.whereis('victim')).toBeUndefined();
  });
});

describe('send()', () => {
  it('throws NoProcError naming an unregistered name', () => {
    const { runtime } = world();
    expect(() => runtime.send('ghost', 'boo')).toThrow(NoProcError);
    expect(() => runtime.send('ghost', 'boo')).toThrow(/ghost/);
  });

  it('throws NoProcError from ctx.send to an unregistered name', async () => {
    const { runtime, settle } = world();
    let caught: unknown;
    runtime.spawn(async (ctx) => {
      try {
        ctx.send('ghost', 'boo');
      } catch (error) {
        caught = error;
      }
    });
    await settle();
    expect(NoProcError.is(caught)).toBe(true);
  });

  it('to a dead PID returns false and counts a dead letter, emitted as deadLetter', async () => {
    const { runtime } = world();
    const a = recorder(runtime);
    runtime.exit(a.pid, 'kill');
    const letters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => letters.push(event));
    const before = runtime.stats.deadLetters;
    expect(runtime.send(a.pid, 'late')).toBe(false);
    expect(runtime.stats.deadLetters).toBe(before + 1);
    expect(letters).toEqual([{ node: runtime.node, to: a.pid, message: 'late', reason: 'noproc' }]);
  });

  it('to a dead PID from inside a process does not hurt the sender', async () => {
    const { runtime, settle } = world();
    const a = recorder(runtime);
    runtime.exit(a.pid, 'kill');
    let result: boolean | undefined;
    const sender = runtime.spawn(async (ctx) => {
      result = ctx.send(a.pid, 'late');
      await ctx.receive();
    });
    await settle();
    expect(result).toBe(false);
    expect(runtime.isAlive(sender)).toBe(true);
    expect(runtime.stats.deadLetters).toBe(1);
  });

  it('throws InvalidArgumentError naming `dest` for a number', () => {
    const { runtime } = world();
    expect(() => runtime.send(42 as never, 'x')).toThrow(InvalidArgumentError);
    expect(() => runtime.send(42 as never, 'x')).toThrow(/`dest`/);
  });
});

describe('new Registry()', () => {
  it('throws InvalidArgumentError naming `options.keys` for anything but unique or duplicate', () => {
    const { runtime } = world();
    expect(() => new Registry(runtime, { keys: 'many' as never })).toThrow(InvalidArgumentError);
    expect(() => new Registry(runtime, { keys: 'many' as never })).toThrow(/`options\.keys`/);
  });

  // Elixir's registry/duplicate_test.exs "rejects invalid tuple syntax", and its
  // {:duplicate, :pid} / {:duplicate, :key}, which only choose how partitions split the
  // entries: with one table here, the error says to use 'duplicate'.
  it("refuses Elixir's {:duplicate, :pid} spelt in JavaScript, saying to use 'duplicate'", () => {
    const { runtime } = world();
    for (const keys of [['duplicate', 'pid'], { duplicate: 'key' }, ['duplicate', 'invalid']]) {
      expect(() => new Registry(runtime, { keys: keys as never })).toThrow(InvalidArgumentError);
      expect(() => new Registry(runtime, { keys: keys as never })).toThrow(/use 'duplicate'/);
    }
  });
});

describe("Registry with keys: 'unique'", () => {
  // Elixir's registry/unique_test.exs "compares using ===" registers 1.0 and 1 as two
  // keys, and a pattern {1.0, :_, :_} does not match {1, :atom, 1}. JavaScript has one
  // number type, in which 1.0 === 1: here they are one key, and 1.0 matches 1 (documented).
  it('takes 1 and 1.0 for the same key, and a pattern of 1.0 matches 1', () => {
    const { runtime } = world();
    const numbers = new Registry<number, [number, string, number]>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    numbers.register(a.pid, 1.0, [1, 'atom', 1]);
    expect(() => numbers.register(a.pid, 1, [1, 'atom', 1])).toThrow(NameTakenError);
    expect(numbers.keysOf(a.pid)).toEqual([1]);
    expect(numbers.match(1, [1.0, Registry.ANY, Registry.ANY])).toHaveLength(1);
  });

  it('registers, looks up with the value, and lists keys per process', () => {
    const { runtime } = world();
    const users = new Registry<string, { plan: string }>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    users.register(a.pid, 'user:1', { plan: 'pro' });
    users.register(a.pid, 'user:1:mirror', { plan: 'free' });
    expect(users.lookup('user:1')).toEqual([{ pid: a.pid, value: { plan: 'pro' } }]);
    expect(users.lookup('user:2')).toEqual([]);
    expect(users.keysOf(a.pid)).toEqual(['user:1', 'user:1:mirror']);
    expect(users.count()).toBe(2);
    expect(users.whereisName('user:1')).toBe(a.pid);
  });

  it('throws NameTakenError when a live process holds the key', () => {
    const { runtime } = world();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    const b = recorder(runtime);
    users.register(a.pid, 'user:1');
    expect(() => users.register(b.pid, 'user:1')).toThrow(NameTakenError);
    expect(users.lookup('user:1')).toEqual([{ pid: a.pid, value: undefined }]);
    expect(users.keysOf(b.pid)).toEqual([]);
  });

  it('throws NoProcError when registering a dead PID, and InvalidArgumentError for a non-PID', () => {
    const { runtime } = world();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    runtime.exit(a.pid, 'kill');
    expect(() => users.register(a.pid, 'k')).toThrow(NoProcError);
    expect(() => users.register('not a pid' as never, 'k')).toThrow(InvalidArgumentError);
    expect(users.count()).toBe(0);
  });

  it('unregister removes one key and keeps the others', () => {
    const { runtime } = world();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    users.register(a.pid, 'k1');
    users.register(a.pid, 'k2');
    users.unregister(a.pid, 'k1');
    expect(users.lookup('k1')).toEqual([]);
    expect(users.keysOf(a.pid)).toEqual(['k2']);
    users.unregisterName('k2');
    expect(users.count()).toBe(0);
    expect(users.keysOf(a.pid)).toEqual([]);
  });

  it('removes every key of a process when it exits, freeing them for others', async () => {
    const { runtime, settle } = world();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    const b = recorder(runtime);
    users.register(a.pid, 'k1');
    users.register(a.pid, 'k2');
    users.register(b.pid, 'k3');
    runtime.exit(a.pid, 'boom');
    await settle();
    expect(users.lookup('k1')).toEqual([]);
    expect(users.lookup('k2')).toEqual([]);
    expect(users.keysOf(a.pid)).toEqual([]);
    expect(users.count()).toBe(1);
    users.register(b.pid, 'k1');
    expect(users.whereisName('k1')).toBe(b.pid);
  });

  it('keeps no watch on a process whose keys were all unregistered', () => {
    const { runtime } = world();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const a = recorder(runtime);
    users.register(a.pid, 'k');
    users.unregister(a.pid, 'k');
    // Re-registering after the exit would throw if a stale owner record survived.
    runtime.exit(a.pid, 'kill');
    const b = recorder(runtime);
    users.register(b.pid, 'k');
    expect(users.lookup('k')).toEqual([{ pid: b.pid, value: undefined }]);
  });
});

describe("Registry with keys: 'duplicate'", () => {
  it('registers many processes under one key, in order, and counts them', () => {
    const { runtime } = world();
    const topics = new Registry<string, number>(runtime, { keys: 'duplicate' });
    const a = recorder(runtime);
    const b = recorder(runtime);
    topics.register(a.pid, 'news', 1);
    topics.register(b.pid, 'news', 2);
    topics.register(a.pid, 'sport', 3);
    expect(topics.lookup('news')).toEqual([
      { pid: a.pid, value: 1 },
      { pid: b.pid, value: 2 },
    ]);
    expect(topics.keysOf(a.pid)).toEqual(['news', 'sport']);
    expect(topics.count()).toBe(3);
  });

  it('dispatch calls back with every entry under the key, and not at all for an empty key', async () => {
    const { runtime, settle } = world();
    const topics = new Registry<string>(runtime, { keys: 'duplicate' });
    const a = recorder(runtime);
    const b = recorder(runtime);
    topics.register(a.pid, 'news');
    topics.register(b.pid, 'news');
    let calls = 0;
    topics.dispatch('news', (entries) => {
      calls++;
      for (const { pid } of entries) runtime.send(pid, 'headline');
    });
    topics.dispatch('empty', () => {
      calls += 100;
    });
    await settle();
    expect(calls).toBe(1);
    expect(a.inbox).toEqual(['headline']);
    expect(b.inbox).toEqual(['headline']);
  });

  it('removes only the exiting process’s entries', async () => {
    const { runtime, settle } = world();
    const topics = new Registry<string>(runtime, { keys: 'duplicate' });
    const a = recorder(runtime);
    const b = recorder(runtime);
    topics.register(a.pid, 'news');
    topics.register(b.pid, 'news');
    topics.register(a.pid, 'news');
    expect(topics.count()).toBe(3);
    runtime.exit(a.pid, 'kill');
    await settle();
    expect(topics.lookup('news')).toEqual([{ pid: b.pid, value: undefined }]);
    expect(topics.count()).toBe(1);
  });

  it('cannot be used as a via name', () => {
    const { runtime } = world();
    const topics = new Registry<string>(runtime, { keys: 'duplicate' });
    const a = recorder(runtime);
    topics.register(a.pid, 'news');
    expect(() => topics.whereisName('news')).toThrow(/unique/);
    expect(() => runtime.send({ via: topics, key: 'news' }, 'x')).toThrow(ActorkitError);
    // As Elixir's registry/duplicate_test.exs "raises if attempt to be used on via": the
    // error says a via name is what needs the unique registry.
    expect(() => topics.registerName('news', a.pid)).toThrow(/\{ via: registry, key \} name/);
  });
});

describe('{ via: registry, key }', () => {
  function setup() {
    const w = world();
    const users = new Registry<string>(w.runtime, { keys: 'unique' });
    const a = recorder(w.runtime);
    users.register(a.pid, 'user:42');
    return { ...w, users, a };
  }

  it('works with runtime.send', async () => {
    const { runtime, settle, users, a } = setup();
    expect(runtime.send({ via: users, key: 'user:42' }, 'sync')).toBe(true);
    await settle();
    expect(a.inbox).toEqual(['sync']);
  });

  it('works with ctx.send', async () => {
    const { runtime, settle, users, a } = setup();
    runtime.spawn(async (ctx) => {
      ctx.send({ via: users, key: 'user:42' }, 'from a process');
    });
    await settle();
    expect(a.inbox).toEqual(['from a process']);
  });

  it('resolves through runtime.resolve and runtime.exit', async () => {
    const { runtime, settle, users, a } = setup();
    expect(runtime.resolve({ via: users, key: 'user:42' })).toBe(a.pid);
    runtime.exit({ via: users, key: 'user:42' }, 'kill');
    await settle();
    expect(runtime.isAlive(a.pid)).toBe(false);
    expect(runtime.resolve({ via: users, key: 'user:42' })).toBeUndefined();
  });

  it('finds the process for runtime.processInfo, and undefined for a free key or a dead owner', async () => {
    const { runtime, settle, users, a } = setup();
    runtime.send(a.pid, 'queued');
    const info = runtime.processInfo({ via: users, key: 'user:42' });
    expect(info?.pid).toBe(a.pid);
    expect(info?.mailboxLength).toBe(1);
    expect(runtime.processInfo({ via: users, key: 'user:7' })).toBeUndefined();
    runtime.exit(a.pid, 'kill');
    await settle();
    expect(runtime.processInfo({ via: users, key: 'user:42' })).toBeUndefined();
  });

  it('runtime.processInfo throws InvalidArgumentError naming `dest` for an object that is no PID or via name', () => {
    const { runtime } = world();
    expect(() => runtime.processInfo({ key: 'user:42' } as never)).toThrow(InvalidArgumentError);
    expect(() => runtime.processInfo({ key: 'user:42' } as never)).toThrow(/`dest`/);
  });

  it('throws NoProcError for a missing key', () => {
    const { runtime, users } = setup();
    expect(() => runtime.send({ via: users, key: 'user:7' }, 'x')).toThrow(NoProcError);
    expect(() => runtime.send({ via: users, key: 'user:7' }, 'x')).toThrow(/user:7/);
  });

  it('throws NoProcError from ctx.send for a missing key', async () => {
    const { runtime, settle, users } = setup();
    let caught: unknown;
    runtime.spawn(async (ctx) => {
      try {
        ctx.send({ via: users, key: 'user:7' }, 'x');
      } catch (error) {
        caught = error;
      }
    });
    await settle();
    expect(caught).toBeInstanceOf(NoProcError);
  });

  it('throws NoProcError once the owner has exited', async () => {
    const { runtime, settle, users, a } = setup();
    runtime.exit(a.pid, 'boom');
    await settle();
    expect(() => runtime.send({ via: users, key: 'user:42' }, 'x')).toThrow(NoProcError);
  });

  it('accepts any object with whereisName, registerName and unregisterName', async () => {
    const { runtime, settle } = world();
    const a = recorder(runtime);
    const names = new Map<unknown, Pid<any>>([['k', a.pid]]);
    const via = {
      whereisName: (key: unknown) => names.get(key),
      registerName: (key: unknown, pid: Pid<any>) => void names.set(key, pid),
      unregisterName: (key: unknown) => void names.delete(key),
    };
    runtime.send({ via, key: 'k' }, 'custom via');
    await settle();
    expect(a.inbox).toEqual(['custom via']);
  });
});
