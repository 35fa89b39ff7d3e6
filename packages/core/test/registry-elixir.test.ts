// Elixir's own Registry tests, lib/elixir/test/elixir/registry/unique_test.exs and
// duplicate_test.exs, ported case by case (each `it` names the Elixir test it comes
// from). As there, every case runs with partitions: 1 and 8 and a listener. What maps
// differently, and why, is in the README's Registry section: the calling process is an
// argument, tuples are arrays, match specs are structural patterns or functions (a spec's
// body is a .map), {:error, {:already_registered, pid}} is a thrown NameTakenError, and
// JavaScript's 1 and 1.0 are one number. Not ported: which_children of the partitions,
// links to them and their ETS sizes (there is no partition process or table to look at).
import { describe, expect, it } from 'vitest';
import {
  ActorkitError,
  ANY,
  InvalidArgumentError,
  NameTakenError,
  type Pid,
  Registry,
  RegistryRegister,
  RegistryUnregister,
  type Runtime,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

type Keys = 'unique' | 'duplicate';

/** A registry as the Elixir tests' setup makes it, a listener, and a process standing for self(). */
function setup(keys: Keys, partitions: number) {
  const { runtime, clock } = virtualRuntime();
  const heard: unknown[] = [];
  const listener = runtime.spawn({ handle: (message) => void heard.push(message) });
  const name = `listener_${keys}_${partitions}`;
  runtime.register(name, listener);
  const registry = new Registry<unknown, unknown>(runtime, {
    keys,
    partitions,
    listeners: [name],
  });
  const self = idle(runtime);
  return { runtime, clock, registry, self, heard };
}

function idle(runtime: Runtime): Pid<unknown> {
  return runtime.spawn({ handle() {} });
}

const sorted = (list: unknown[]) => [...list].sort();

describe.each([1, 8])("Registry with keys: 'unique' and partitions: %i", (partitions) => {
  const make = () => setup('unique', partitions);

  it('counts 0 keys in an empty registry, then the number of keys', () => {
    const { registry, self } = make();
    expect(registry.count()).toBe(0);
    registry.register(self, 'hello', 'value');
    registry.register(self, 'world', 'value');
    expect(registry.count()).toBe(2);
  });

  it('has unique registrations', () => {
    const { registry, self } = make();
    registry.register(self, 'hello', 'value');
    expect(registry.keysOf(self)).toEqual(['hello']);
    expect(registry.values('hello', self)).toEqual(['value']);
    const error = thrown(() => registry.register(self, 'hello', 'value'));
    expect(error).toBeInstanceOf(NameTakenError);
    expect((error as NameTakenError).holder).toBe(self);
    expect(registry.keysOf(self)).toEqual(['hello']);
    expect(registry.values('hello', self)).toEqual(['value']);
    registry.register(self, 'world', 'value');
    expect(sorted(registry.keysOf(self))).toEqual(['hello', 'world']);
  });

  it('has unique registrations across processes', () => {
    const { runtime, registry, self } = make();
    const task = idle(runtime);
    registry.register(task, 'hello', 'value');
    expect(registry.keysOf(task)).toEqual(['hello']);
    expect(registry.values('hello', task)).toEqual(['value']);
    const error = thrown(() => registry.register(self, 'hello', 'recent'));
    expect((error as NameTakenError).holder).toBe(task);
    expect(registry.keysOf(self)).toEqual([]);
    expect(registry.values('hello', self)).toEqual([]);
  });

  it('has unique registrations even if partition is delayed: a killed holder frees the key', () => {
    const { runtime, registry, self } = make();
    const task = idle(runtime);
    registry.register(task, 'hello', 'value');
    expect((thrown(() => registry.register(self, 'hello', 'other')) as NameTakenError).holder).toBe(
      task,
    );
    runtime.exit(task, 'kill');
    registry.register(self, 'hello', 'other');
    expect(registry.lookup('hello')).toEqual([{ pid: self, value: 'other' }]);
  });

  it('supports match patterns', () => {
    const { registry, self } = make();
    const value = [1, 'atom', 1];
    registry.register(self, 'hello', value);
    expect(registry.match('hello', [1, ANY, ANY])).toEqual([{ pid: self, value }]);
    expect(registry.match('hello', [2, ANY, ANY])).toEqual([]);
    expect(registry.match('hello', [ANY, 'atom', ANY])).toEqual([{ pid: self, value }]);
    // {:"$1", :_, :"$1"}: a pattern variable used twice is a function comparing the parts.
    expect(
      registry.match('hello', (v: unknown) => (v as unknown[])[0] === (v as unknown[])[2]),
    ).toEqual([{ pid: self, value }]);
    expect(registry.match('hello', ANY)).toEqual([{ pid: self, value }]);
    expect(registry.match(ANY, ANY)).toEqual([]);
    const value2 = { a: 'a', b: 'b' };
    registry.register(self, 'world', value2);
    expect(registry.match('world', { b: 'b' })).toEqual([{ pid: self, value: value2 }]);
  });

  it('supports guard conditions', () => {
    const { registry, self } = make();
    const value = [1, 'atom', 2] as const;
    registry.register(self, 'hello', value);
    const third = (v: unknown) => (v as number[])[2]!;
    expect(registry.match('hello', [ANY, ANY, ANY], (v) => third(v) > 1)).toEqual([
      { pid: self, value },
    ]);
    expect(registry.match('hello', [ANY, ANY, ANY], (v) => third(v) > 2)).toEqual([]);
    expect(
      registry.match('hello', [ANY, ANY, ANY], (v) => typeof (v as unknown[])[1] === 'string'),
    ).toEqual([{ pid: self, value }]);
  });

  it('supports reserved keys: ANY, and array and object keys, are exact keys', () => {
    const { registry, self } = make();
    const keys = reservedKeys(registry, self, 'match_phase', ['reserved']);
    expect(registry.match(keys.good, ANY)).toEqual([{ pid: self, value: 'good' }]);
    expect(registry.match(ANY, ANY)).toEqual([{ pid: self, value: 'reserved' }]);
    expect(registry.match(keys.tuple, ANY)).toEqual([{ pid: self, value: 'tuple' }]);
    expect(registry.match(keys.map, ANY)).toEqual([{ pid: self, value: 'map' }]);
    expect(registry.countMatch(ANY, ANY)).toBe(1);
    expect(registry.countMatch(keys.map, ANY)).toBe(1);
    registry.unregisterMatch(self, ANY, 'reserved');
    registry.unregisterMatch(self, keys.tuple, 'tuple');
    registry.unregisterMatch(self, keys.map, 'map');
    expect(registry.lookup(keys.good)).toEqual([{ pid: self, value: 'good' }]);
    expect(registry.lookup(ANY)).toEqual([]);
    expect(registry.lookup(keys.tuple)).toEqual([]);
    expect(registry.lookup(keys.map)).toEqual([]);
    expect(registry.lookup(keys.superset)).toEqual([{ pid: self, value: 'superset' }]);
  });

  it('count_match supports match patterns and guard conditions', () => {
    const { registry, self } = make();
    registry.register(self, 'hello', [1, 'atom', 2]);
    expect(registry.countMatch('hello', [1, ANY, ANY])).toBe(1);
    expect(registry.countMatch('hello', [2, ANY, ANY])).toBe(0);
    expect(registry.countMatch('hello', ANY)).toBe(1);
    expect(registry.countMatch(ANY, ANY)).toBe(0);
    expect(registry.countMatch('hello', ANY, (v) => (v as number[])[2]! > 1)).toBe(1);
    expect(registry.countMatch('hello', ANY, (v) => (v as number[])[2]! > 2)).toBe(0);
  });

  it('unregister_match supports patterns and guards', () => {
    const { registry, self } = make();
    const value = [1, 'atom', 1];
    registry.register(self, 'hello', value);
    registry.unregisterMatch(self, 'hello', [2, ANY, ANY]);
    expect(registry.lookup('hello')).toEqual([{ pid: self, value }]);
    registry.unregisterMatch(self, 'hello', [ANY, 'atom', ANY], (v) => (v as number[])[0]! > 1);
    expect(registry.lookup('hello')).toEqual([{ pid: self, value }]);
    registry.unregisterMatch(self, 'hello', [ANY, 'atom', ANY]);
    expect(registry.lookup('hello')).toEqual([]);
  });

  it('updates current process value, and only its own', () => {
    const { runtime, registry, self } = make();
    const never = () => {
      throw new Error('will never be invoked');
    };
    expect(registry.updateValue(self, 'hello', never)).toBeUndefined();
    registry.register(idle(runtime), 'hello', 'value');
    expect(registry.updateValue(self, 'hello', never)).toBeUndefined();
    registry.register(self, 'world', 1);
    expect(registry.updateValue(self, 'world', (n) => (n as number) + 1)).toEqual([2, 1]);
    expect(registry.lookup('world')).toEqual([{ pid: self, value: 2 }]);
  });

  it('dispatches to a single key', () => {
    const { registry, self } = make();
    registry.dispatch('hello', () => {
      throw new Error('will never be invoked');
    });
    registry.register(self, 'hello', 'value');
    const calls: unknown[] = [];
    registry.dispatch('hello', (entries) => void calls.push(entries));
    expect(calls).toEqual([[{ pid: self, value: 'value' }]]);
  });

  it('unregisters process by key, and with no entries', () => {
    const { registry, self } = make();
    registry.unregister(self, 'hello');
    registry.register(self, 'hello', 'value');
    registry.register(self, 'world', 'value');
    registry.unregister(self, 'hello');
    expect(registry.keysOf(self)).toEqual(['world']);
    registry.unregister(self, 'world');
    expect(registry.keysOf(self)).toEqual([]);
  });

  it('allows listeners', async () => {
    const { runtime, clock, registry, self, heard } = make();
    const task = idle(runtime);
    registry.register(task, 'hello', 'world');
    registry.register(self, 'world', 'value');
    registry.unregister(self, 'world');
    await clock.settle();
    expect(heard).toEqual([
      new RegistryRegister(registry, 'hello', task, 'world'),
      new RegistryRegister(registry, 'world', self, 'value'),
      new RegistryUnregister(registry, 'world', self),
    ]);
  });

  it('via callbacks, and uses value provided in via', async () => {
    const { runtime, clock, registry } = make();
    const inbox: unknown[] = [];
    const pid = runtime.spawn({ handle: (message) => void inbox.push(message) });
    registry.registerName('hello', pid, 'value');
    runtime.send({ via: registry, key: 'hello' }, 'ping');
    await clock.settle();
    expect(inbox).toEqual(['ping']);
    expect(registry.whereisName('hello')).toBe(pid);
    expect(registry.lookup('hello')).toEqual([{ pid, value: 'value' }]);
    expect(() => registry.registerName('hello', idle(runtime))).toThrow(NameTakenError);
  });

  it('select: empty list for an empty registry, and select all', () => {
    const { runtime, registry, self } = make();
    expect(registry.select()).toEqual([]);
    const agent = idle(runtime);
    registry.registerName('hello', agent);
    registry.register(self, 'world', 'value');
    expect(registry.select().map(({ key, pid, value }) => [key, pid, value])).toEqual([
      ['hello', agent, undefined],
      ['world', self, 'value'],
    ]);
  });

  it('select supports full match specs, guard conditions and multiple specs', () => {
    const { registry, self } = make();
    const value = [1, 'atom', 1];
    registry.register(self, 'hello', value);
    const hello = [{ key: 'hello', pid: self, value }];
    expect(registry.select({ key: 'hello' })).toEqual(hello);
    expect(registry.select({ pid: self })).toEqual(hello);
    expect(registry.select({ value })).toEqual(hello);
    expect(registry.select({ key: 'world' })).toEqual([]);
    expect(registry.select({ value: [2, ANY, ANY] })).toEqual([]);
    expect(registry.select({ value: [ANY, 'atom', ANY] })).toEqual(hello);
    registry.register(self, 'world', { a: 'a', b: 'b' });
    expect(
      registry.select({ key: 'world', pid: self, value: { b: 'b' } }).map(() => 'match'),
    ).toEqual(['match']);
    expect(sorted(registry.select({}).map((r) => r.key))).toEqual(['hello', 'world']);
    expect(registry.select(ANY, (r) => (r.value as number[])[2]! > 1)).toEqual([]);
    expect(
      sorted(registry.select((r) => r.key === 'hello' || r.key === 'world').map((r) => r.key)),
    ).toEqual(['hello', 'world']);
  });

  it('select and count_select raise on incorrect shape of match spec', () => {
    const { registry } = make();
    expect(() => registry.select([ANY, [], []] as never)).toThrow(InvalidArgumentError);
    expect(() => registry.countSelect([ANY, [], []] as never)).toThrow(InvalidArgumentError);
  });

  it('count_select supports match specs, guard conditions and multiple specs', () => {
    const { registry, self } = make();
    const value = [1, 'atom', 1];
    registry.register(self, 'hello', value);
    expect(registry.countSelect({ value })).toBe(1);
    expect(registry.countSelect({ key: 'hello' })).toBe(1);
    expect(registry.countSelect({ value: [1, 'atom', ANY] })).toBe(1);
    expect(registry.countSelect({ key: 'hello', value: undefined })).toBe(0);
    expect(registry.countSelect(ANY, (r) => (r.value as number[])[2]! > 1)).toBe(0);
    registry.register(self, 'world', { a: 'a', b: 'b' });
    expect(registry.countSelect({ key: 'world' })).toBe(1);
    expect(registry.countSelect((r) => r.key === 'hello' || r.key === 'world')).toBe(2);
  });

  it("doesn't grow on already_registered, across processes too", () => {
    const { runtime, registry, self } = make();
    const task = idle(runtime);
    registry.register(task, 'hello', 'value');
    registry.register(self, 'world', 'value');
    expect(registry.count()).toBe(2);
    expect(() => registry.register(self, 'hello', 'recent')).toThrow(NameTakenError);
    expect(() => registry.register(self, 'world', 'recent')).toThrow(NameTakenError);
    expect(registry.count()).toBe(2);
    expect(registry.keysOf(self)).toEqual(['world']);
  });
});

describe.each([1, 8])("Registry with keys: 'duplicate' and partitions: %i", (partitions) => {
  const make = () => setup('duplicate', partitions);

  it('counts the number of keys in a registry', () => {
    const { registry, self } = make();
    expect(registry.count()).toBe(0);
    registry.register(self, 'hello', 'value');
    registry.register(self, 'hello', 'value');
    expect(registry.count()).toBe(2);
  });

  it('has duplicate registrations, across processes too', () => {
    const { runtime, registry, self } = make();
    registry.register(self, 'hello', 'value');
    registry.register(self, 'hello', 'value');
    expect(registry.keysOf(self)).toEqual(['hello', 'hello']);
    expect(registry.values('hello', self)).toEqual(['value', 'value']);
    registry.register(self, 'world', 'value');
    expect(sorted(registry.keysOf(self))).toEqual(['hello', 'hello', 'world']);
    const task = idle(runtime);
    registry.register(task, 'hello', 'world');
    expect(registry.keysOf(task)).toEqual(['hello']);
    expect(registry.values('hello', task)).toEqual(['world']);
  });

  it.each([false, true])(
    'dispatches to multiple keys (parallel: %s), in the caller',
    (parallel) => {
      const { registry, self } = make();
      registry.dispatch(
        'hello',
        () => {
          throw new Error('will never be invoked');
        },
        { parallel },
      );
      registry.register(self, 'hello', 'value1');
      registry.register(self, 'hello', 'value2');
      registry.register(self, 'world', 'value3');
      const seen: unknown[] = [];
      registry.dispatch('hello', (entries) => seen.push(...entries.map((e) => e.value)), {
        parallel,
      });
      expect(sorted(seen)).toEqual(['value1', 'value2']);
      registry.dispatch('world', (entries) => seen.push(...entries.map((e) => e.value)), {
        parallel,
      });
      expect(seen).toHaveLength(3);
      expect(seen[2]).toBe('value3');
    },
  );

  it('unregisters by key, and with no entries', () => {
    const { registry, self } = make();
    registry.unregister(self, 'hello');
    registry.register(self, 'hello', 'value');
    registry.register(self, 'hello', 'value');
    registry.register(self, 'world', 'value');
    registry.unregister(self, 'hello');
    expect(registry.keysOf(self)).toEqual(['world']);
    registry.unregister(self, 'world');
    expect(registry.keysOf(self)).toEqual([]);
  });

  it('supports match patterns and guards', () => {
    const { registry, self } = make();
    const value1 = [1, 'atom', 1];
    const value2 = [2, 'atom', 2];
    registry.register(self, 'hello', value1);
    registry.register(self, 'hello', value2);
    expect(registry.match('hello', [1, ANY, ANY])).toEqual([{ pid: self, value: value1 }]);
    expect(registry.match('hello', [ANY, 'atom', ANY])).toHaveLength(2);
    expect(registry.match('hello', [2, ANY, ANY])).toEqual([{ pid: self, value: value2 }]);
    const first = (v: unknown) => (v as number[])[0]!;
    expect(registry.match('hello', ANY, (v) => first(v) < 2)).toEqual([
      { pid: self, value: value1 },
    ]);
    expect(registry.match('hello', ANY, (v) => first(v) > 3)).toEqual([]);
    expect(registry.match('hello', ANY, (v) => first(v) < 3)).toHaveLength(2);
  });

  it('uses exact complex keys in lookup and match', () => {
    const { registry, self } = make();
    const tupleKey = [ANY, 'topic'];
    const mapKey = { b: 'b' };
    registry.register(self, tupleKey, 'tuple');
    registry.register(self, ['other', 'topic'], 'other_tuple');
    registry.register(self, mapKey, 'map');
    registry.register(self, { a: 'a', b: 'b' }, 'superset_map');
    expect(registry.lookup(tupleKey)).toEqual([{ pid: self, value: 'tuple' }]);
    expect(registry.match(tupleKey, ANY)).toEqual([{ pid: self, value: 'tuple' }]);
    expect(registry.countMatch(tupleKey, ANY)).toBe(1);
    expect(registry.lookup(mapKey)).toEqual([{ pid: self, value: 'map' }]);
    expect(registry.countMatch(mapKey, ANY)).toBe(1);
  });

  it('unregister_match supports patterns and guards', () => {
    const { registry, self } = make();
    const value1 = [1, 'atom', 1];
    const value2 = [2, 'atom', 2];
    registry.register(self, 'hello', value1);
    registry.register(self, 'hello', value2);
    registry.unregisterMatch(self, 'hello', [2, ANY, ANY]);
    expect(registry.lookup('hello')).toEqual([{ pid: self, value: value1 }]);
    registry.register(self, 'hello', value2);
    registry.unregisterMatch(self, 'hello', ANY, (v) => (v as number[])[0]! < 2);
    expect(registry.lookup('hello')).toEqual([{ pid: self, value: value2 }]);
    registry.unregisterMatch(self, 'hello', [ANY, 'atom', ANY]);
    expect(registry.lookup('hello')).toEqual([]);
  });

  it('supports reserved keys', () => {
    const { registry, self } = make();
    const keys = reservedKeys(registry, self, 'match_phase', ['reserved1', 'reserved2']);
    expect(registry.lookup(ANY).map((e) => e.value)).toEqual(['reserved1', 'reserved2']);
    expect(registry.countMatch(ANY, ANY)).toBe(2);
    registry.unregisterMatch(self, ANY, 'reserved1');
    expect(registry.lookup(ANY)).toEqual([{ pid: self, value: 'reserved2' }]);
    for (const key of [keys.good, ANY, keys.tuple, keys.map]) registry.unregister(self, key);
    for (const key of [keys.good, ANY, keys.tuple, keys.map]) {
      expect(registry.lookup(key)).toEqual([]);
    }
    expect(registry.lookup(keys.superset)).toEqual([{ pid: self, value: 'superset' }]);
  });

  it('allows listeners', async () => {
    const { runtime, clock, registry, self, heard } = make();
    const task = idle(runtime);
    registry.register(task, 'hello', 'world');
    registry.register(self, 'hello', 'value');
    registry.unregister(self, 'hello');
    await clock.settle();
    expect(heard).toEqual([
      new RegistryRegister(registry, 'hello', task, 'world'),
      new RegistryRegister(registry, 'hello', self, 'value'),
      new RegistryUnregister(registry, 'hello', self),
    ]);
  });

  it('raises if attempt to be used on via, and update_value is not supported', () => {
    const { runtime, registry, self } = make();
    expect(() => registry.registerName('hello', idle(runtime))).toThrow(ActorkitError);
    expect(() => runtime.send({ via: registry, key: 'hello' }, 'x')).toThrow(ActorkitError);
    expect(() => registry.updateValue(self, 'hello', (v) => v)).toThrow(/unique/);
  });

  it('select all, select with reserved keys, and count_select', () => {
    const { registry, self } = make();
    expect(registry.select()).toEqual([]);
    registry.register(self, ANY, [1, 'atom']);
    registry.register(self, ANY, [2, 'atom']);
    registry.register(self, '$1', [3, 'atom']);
    registry.register(self, 'hello', 'a');
    expect(registry.select({ key: ANY }).map((r) => r.value)).toHaveLength(4);
    expect(registry.select((r) => r.key === ANY).map((r) => r.value)).toEqual([
      [1, 'atom'],
      [2, 'atom'],
    ]);
    expect(registry.select({ key: 'hello' }).map((r) => [r.pid, r.value])).toEqual([[self, 'a']]);
    expect(registry.countSelect((r) => r.key === ANY)).toBe(2);
    expect(registry.countSelect({ key: '$1' })).toBe(1);
  });
});

/** register_reserved_keys/2: keys that are patterns elsewhere, registered as exact keys. */
function reservedKeys(
  registry: Registry<unknown, unknown>,
  self: Pid<unknown>,
  label: string,
  reserved: string[],
) {
  const keys = {
    good: `good:${label}`,
    tuple: ['$1', label],
    map: { label, b: 'b' },
    superset: { label, a: 'a', b: 'b' },
  };
  registry.register(self, keys.good, 'good');
  for (const value of reserved) registry.register(self, ANY, value);
  registry.register(self, keys.tuple, 'tuple');
  registry.register(self, keys.map, 'map');
  registry.register(self, keys.superset, 'superset');
  return keys;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
