import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  InvalidArgumentError,
  NameTakenError,
  type Pid,
  Registry,
  type Runtime,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

function idle(runtime: Runtime): Pid<unknown> {
  return runtime.spawn({ handle() {} });
}

describe('updateValue()', () => {
  it("replaces the process's own value and returns [new, old]", () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'world', 1);
    expect(registry.updateValue(a, 'world', (n) => n + 1)).toEqual([2, 1]);
    expect(registry.lookup('world')).toEqual([{ pid: a, value: 2 }]);
    expect(registry.values('world', a)).toEqual([2]);
  });

  it('returns undefined, without calling update, for a key nobody or another process holds', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    const b = idle(runtime);
    let calls = 0;
    const update = (n: number) => {
      calls++;
      return n;
    };
    expect(registry.updateValue(a, 'hello', update)).toBeUndefined();
    registry.register(b, 'hello', 1);
    expect(registry.updateValue(a, 'hello', update)).toBeUndefined();
    expect(calls).toBe(0);
    expect(registry.lookup('hello')).toEqual([{ pid: b, value: 1 }]);
  });

  it('leaves the value as it was when update throws', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'n', 1);
    expect(() =>
      registry.updateValue(a, 'n', () => {
        throw new Error('no update');
      }),
    ).toThrow('no update');
    expect(registry.lookup('n')).toEqual([{ pid: a, value: 1 }]);
  });

  it('returns undefined and writes nothing when update unregisters the key itself', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'n', 1);
    const result = registry.updateValue(a, 'n', (n) => {
      registry.unregister(a, 'n');
      return n + 1;
    });
    expect(result).toBeUndefined();
    expect(registry.lookup('n')).toEqual([]);
    expect(registry.count()).toBe(0);
  });

  it('does not change entries handed out before', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'n', 1);
    const before = registry.lookup('n');
    registry.updateValue(a, 'n', () => 5);
    expect(before).toEqual([{ pid: a, value: 1 }]);
  });

  it("throws REGISTRY_NOT_UNIQUE in a duplicate registry, as Elixir's ArgumentError", () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'duplicate' });
    const a = idle(runtime);
    registry.register(a, 'n', 1);
    let error: unknown;
    try {
      registry.updateValue(a, 'n', (n) => n + 1);
    } catch (caught) {
      error = caught;
    }
    expect(ActorkitError.is(error) && error.code).toBe('REGISTRY_NOT_UNIQUE');
    expect(registry.values('n', a)).toEqual([1]);
  });

  it('throws InvalidArgumentError naming `update` for a non-function', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    expect(() => registry.updateValue(idle(runtime), 'n', 3 as never)).toThrow(/`update`/);
  });
});

describe('register()', () => {
  it("throws NameTakenError with the owner as holder, Elixir's {:already_registered, pid}", () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, string>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    const b = idle(runtime);
    registry.register(a, 'hello', 'value');
    for (const pid of [a, b]) {
      let error: unknown;
      try {
        registry.register(pid, 'hello', 'later');
      } catch (caught) {
        error = caught;
      }
      expect(NameTakenError.is(error)).toBe(true);
      expect((error as NameTakenError).holder).toBe(a);
    }
    expect(registry.keysOf(a)).toEqual(['hello']);
    expect(registry.values('hello', a)).toEqual(['value']);
    expect(registry.keysOf(b)).toEqual([]);
  });

  it('compares keys as Map keys: 1 and "1" differ, an object key matches only itself', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<unknown, string>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    const key = { id: 1 };
    registry.register(a, 1, 'number');
    registry.register(a, '1', 'string');
    registry.register(a, key, 'object');
    expect(registry.lookup({ id: 1 })).toEqual([]);
    expect(registry.lookup(key)).toEqual([{ pid: a, value: 'object' }]);
    expect(registry.keysOf(a)).toEqual([1, '1', key]);
  });
});

describe('{ via: registry, key, value }', () => {
  it('registerName stores the value, and the name resolves without it', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string, string>(runtime, { keys: 'unique' });
    const inbox: unknown[] = [];
    const a = runtime.spawn({ handle: (m) => void inbox.push(m) });
    registry.registerName('agent', a, 'hello');
    expect(registry.lookup('agent')).toEqual([{ pid: a, value: 'hello' }]);
    runtime.send({ via: registry, key: 'agent', value: 'ignored when sending' }, 'with');
    runtime.send({ via: registry, key: 'agent' }, 'without');
    await clock.settle();
    expect(inbox).toEqual(['with', 'without']);
  });

  it('registerName without a value stores undefined, as before', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.registerName('agent', a);
    expect(registry.lookup('agent')).toEqual([{ pid: a, value: undefined }]);
  });

  it('registerName and unregisterName refuse a duplicate registry', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'duplicate' });
    const a = idle(runtime);
    expect(() => registry.registerName('agent', a, 'v')).toThrow(/unique/);
    expect(() => registry.unregisterName('agent')).toThrow(/unique/);
    expect(registry.count()).toBe(0);
  });
});

describe('meta()', () => {
  it('reads the metadata given as the meta option, and undefined for other keys', () => {
    const { runtime } = virtualRuntime();
    const tag = Symbol('tag');
    const registry = new Registry<string, unknown, { custom: string; [tag]: number }>(runtime, {
      keys: 'unique',
      meta: { custom: 'value', [tag]: 1 },
    });
    expect(registry.meta('custom')).toBe('value');
    expect(registry.meta(tag)).toBe(1);
    expect(new Registry(runtime, { keys: 'unique' }).meta('custom')).toBeUndefined();
  });

  it('follows putMeta and deleteMeta', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'duplicate' });
    registry.putMeta('custom', 'value');
    expect(registry.meta('custom')).toBe('value');
    registry.putMeta('custom', 'other');
    expect(registry.meta('custom')).toBe('other');
    registry.deleteMeta('custom');
    expect(registry.meta('custom')).toBeUndefined();
    registry.deleteMeta('never-set');
  });

  it('keeps metadata apart from registrations and from process exits', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique', meta: { custom: 1 } });
    const a = idle(runtime);
    registry.register(a, 'custom', 'an entry');
    runtime.exit(a, 'kill');
    expect(registry.meta('custom')).toBe(1);
    expect(registry.count()).toBe(0);
  });

  it.each([
    ['a number', 1],
    ['an object', { key: 1 }],
  ])('throws InvalidArgumentError naming `key` for %s', (_label, key) => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'unique' });
    expect(() => registry.meta(key as never)).toThrow(InvalidArgumentError);
    expect(() => registry.putMeta(key as never, 1)).toThrow(/`key`/);
    expect(() => registry.deleteMeta(key as never)).toThrow(/`key`/);
  });
});

describe('new Registry() options', () => {
  it.each([
    [
      'partitions that is not an integer >= 1',
      { keys: 'unique', partitions: 0 },
      /`options\.partitions`/,
    ],
    ['fractional partitions', { keys: 'duplicate', partitions: 1.5 }, /`options\.partitions`/],
    ['partitions as a string', { keys: 'duplicate', partitions: '8' }, /`options\.partitions`/],
    [
      'an unknown key',
      { keys: 'unique', name: 'MyRegistry' },
      /`options\.name`.*keys, listeners, meta/,
    ],
    ['meta that is not a plain object', { keys: 'unique', meta: [['k', 1]] }, /`options\.meta`/],
    ['no options', undefined, /`options`/],
  ])('throws InvalidArgumentError for %s', (_label, options, message) => {
    const { runtime } = virtualRuntime();
    const make = () => new Registry(runtime, options as never);
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(message);
  });

  // Elixir's registry/unique_test.exs and duplicate_test.exs run every case with
  // partitions: 1 and 8; here one table serves any count, and the cases behave the same.
  it.each([1, 8])('takes partitions: %i, and behaves as with none', (partitions) => {
    const { runtime } = virtualRuntime();
    const unique = new Registry<string, number>(runtime, { keys: 'unique', partitions });
    const duplicate = new Registry<string, number>(runtime, { keys: 'duplicate', partitions });
    expect([unique.partitions, duplicate.partitions]).toEqual([partitions, partitions]);
    expect(new Registry(runtime, { keys: 'unique' }).partitions).toBe(1);
    const pid = runtime.spawn({ handle() {} });
    unique.register(pid, 'hello', 1);
    duplicate.register(pid, 'hello', 1);
    duplicate.register(pid, 'hello', 2);
    expect(unique.lookup('hello')).toEqual([{ pid, value: 1 }]);
    expect(duplicate.keysOf(pid)).toEqual(['hello', 'hello']);
    expect([unique.count(), duplicate.count()]).toEqual([1, 2]);
  });

  it('throws InvalidArgumentError naming `runtime` for something that is not a runtime', () => {
    expect(() => new Registry({} as never, { keys: 'unique' })).toThrow(/`runtime`/);
  });
});
