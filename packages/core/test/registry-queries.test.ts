import { describe, expect, it } from 'vitest';
import { ANY, InvalidArgumentError, type Pid, Registry, type Runtime } from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

function idle(runtime: Runtime): Pid<unknown> {
  return runtime.spawn({ handle() {} });
}

type Job = { state: string; attempts: number; tags?: string[] };

/** A duplicate registry with two processes: a under 'jobs' twice and 'other' once, b under 'jobs'. */
function jobs() {
  const { runtime } = virtualRuntime();
  const registry = new Registry<string, Job>(runtime, { keys: 'duplicate' });
  const a = idle(runtime);
  const b = idle(runtime);
  registry.register(a, 'jobs', { state: 'retry', attempts: 3, tags: ['mail'] });
  registry.register(a, 'jobs', { state: 'done', attempts: 1 });
  registry.register(b, 'jobs', { state: 'retry', attempts: 1 });
  registry.register(a, 'other', { state: 'retry', attempts: 9 });
  return { runtime, registry, a, b };
}

describe('match()', () => {
  it('returns the entries under the key whose value matches an object pattern, in order', () => {
    const { registry, a, b } = jobs();
    expect(registry.match('jobs', { state: 'retry' })).toEqual([
      { pid: a, value: { state: 'retry', attempts: 3, tags: ['mail'] } },
      { pid: b, value: { state: 'retry', attempts: 1 } },
    ]);
    expect(registry.match('jobs', { state: 'lost' })).toEqual([]);
    expect(registry.match('missing', ANY)).toEqual([]);
  });

  it('applies the guard after the pattern, as Elixir’s guards', () => {
    const { registry, a } = jobs();
    expect(registry.match('jobs', { state: 'retry' }, (job) => job.attempts > 2)).toEqual([
      { pid: a, value: { state: 'retry', attempts: 3, tags: ['mail'] } },
    ]);
  });

  it('takes a function as the whole pattern', () => {
    const { registry, b } = jobs();
    expect(registry.match('jobs', (job) => job.attempts === 1 && job.state === 'retry')).toEqual([
      { pid: b, value: { state: 'retry', attempts: 1 } },
    ]);
  });

  it('matches arrays element by element and only at the same length, ANY anywhere', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, unknown>(runtime, { keys: 'duplicate' });
    const a = idle(runtime);
    registry.register(a, 'k', [1, 'atom', 1]);
    registry.register(a, 'k', [2, 'atom', 2]);
    registry.register(a, 'k', [1, 'atom']);
    const values = (pattern: unknown) =>
      registry.match('k', pattern as never).map((entry) => entry.value);
    expect(values([1, ANY, ANY])).toEqual([[1, 'atom', 1]]);
    expect(values([ANY, 'atom', ANY])).toEqual([
      [1, 'atom', 1],
      [2, 'atom', 2],
    ]);
    expect(values([1, ANY])).toEqual([[1, 'atom']]);
    expect(values(ANY)).toHaveLength(3);
    expect(registry.countMatch('k', [Registry.ANY, 'atom', 2])).toBe(1);
    expect(values({ 0: 1 })).toHaveLength(2);
  });

  it('matches nested objects by the listed properties only, and needs each listed one present', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, unknown>(runtime, { keys: 'duplicate' });
    const a = idle(runtime);
    registry.register(a, 'k', { user: { id: 1, name: 'Ada' }, flag: undefined });
    registry.register(a, 'k', { user: { id: 2 } });
    const count = (pattern: unknown) => registry.countMatch('k', pattern as never);
    expect(count({ user: { id: 1 } })).toBe(1);
    expect(count({ user: { name: ANY } })).toBe(1);
    expect(count({ user: ANY })).toBe(2);
    expect(count({ flag: undefined })).toBe(1);
    expect(count({ flag: ANY })).toBe(1);
    expect(count({})).toBe(2);
    expect(count({ user: 'not an object' })).toBe(0);
  });

  it('compares primitives by SameValueZero, PIDs by process, other objects by identity', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, unknown>(runtime, { keys: 'duplicate' });
    const a = idle(runtime);
    const b = idle(runtime);
    const when = new Date(0);
    registry.register(a, 'k', Number.NaN);
    registry.register(a, 'k', 0);
    registry.register(a, 'k', '0');
    registry.register(a, 'k', { owner: b });
    registry.register(a, 'k', when);
    const count = (pattern: unknown) => registry.countMatch('k', pattern as never);
    expect(count(Number.NaN)).toBe(1);
    expect(count(-0)).toBe(1);
    expect(count('0')).toBe(1);
    expect(count({ owner: b })).toBe(1);
    expect(count({ owner: a })).toBe(0);
    expect(count(when)).toBe(1);
    expect(count(new Date(0))).toBe(0);
  });

  it('matches class instances by their properties, getters included', () => {
    class Ticket {
      constructor(readonly id: number) {}
      get kind(): string {
        return 'ticket';
      }
    }
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, Ticket>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'k', new Ticket(7));
    expect(registry.countMatch('k', { kind: 'ticket', id: 7 })).toBe(1);
    expect(registry.countMatch('k', { kind: 'coupon' })).toBe(0);
  });

  it('throws InvalidArgumentError naming `guard` for a guard that is not a function', () => {
    const { registry } = jobs();
    expect(() => registry.match('jobs', ANY, 'yes' as never)).toThrow(InvalidArgumentError);
    expect(() => registry.match('jobs', ANY, 'yes' as never)).toThrow(/`guard`/);
  });

  it('returns entries a caller cannot change the registry through', () => {
    const { registry, a } = jobs();
    const [entry] = registry.match('other', ANY);
    expect(Object.isFrozen(entry)).toBe(true);
    expect(() => {
      (entry as { pid: unknown }).pid = 'someone else';
    }).toThrow(TypeError);
    registry.lookup('other').pop();
    expect(registry.lookup('other')).toEqual([{ pid: a, value: { state: 'retry', attempts: 9 } }]);
  });
});

describe('countMatch()', () => {
  it('counts what match would return', () => {
    const { registry } = jobs();
    expect(registry.countMatch('jobs', { state: 'retry' })).toBe(2);
    expect(registry.countMatch('jobs', { state: 'retry' }, (job) => job.attempts > 2)).toBe(1);
    expect(registry.countMatch('jobs', ANY)).toBe(3);
    expect(registry.countMatch('missing', ANY)).toBe(0);
  });
});

describe('select()', () => {
  it('returns every registration as { key, pid, value } without a pattern', () => {
    const { registry, a, b } = jobs();
    expect(registry.select().map(({ key, pid }) => [key, pid])).toEqual([
      ['jobs', a],
      ['jobs', a],
      ['jobs', b],
      ['other', a],
    ]);
  });

  it('filters by a structural pattern over key, pid and value', () => {
    const { registry, a } = jobs();
    expect(registry.select({ pid: a, value: { state: 'retry' } })).toEqual([
      { key: 'jobs', pid: a, value: { state: 'retry', attempts: 3, tags: ['mail'] } },
      { key: 'other', pid: a, value: { state: 'retry', attempts: 9 } },
    ]);
    expect(registry.select({ key: 'other' }).map((r) => r.value.attempts)).toEqual([9]);
  });

  it('filters by a function, or a pattern and a guard', () => {
    const { registry, b } = jobs();
    expect(registry.select((r) => r.pid === b).map((r) => r.key)).toEqual(['jobs']);
    expect(
      registry.select({ value: { state: 'retry' } }, (r) => r.value.attempts > 5).map((r) => r.key),
    ).toEqual(['other']);
  });

  it('returns [] for an empty registry', () => {
    const { runtime } = virtualRuntime();
    expect(new Registry(runtime, { keys: 'unique' }).select()).toEqual([]);
  });

  // Elixir's registry/unique_test.exs and duplicate_test.exs, "select raises on incorrect
  // shape of match spec": a pattern that is no pattern of { key, pid, value } records.
  it('throws InvalidArgumentError for a pattern that could never match a record', () => {
    const { registry } = jobs();
    for (const pattern of [42, 'jobs', [ANY, ANY, ANY], { name: 'jobs' }, null, new Map()]) {
      expect(() => registry.select(pattern as never)).toThrow(InvalidArgumentError);
    }
    expect(() => registry.select({ key: 'jobs', extra: 1 } as never)).toThrow(/`pattern`/);
  });
});

describe('countSelect()', () => {
  it('counts what select would return, and everything without a pattern', () => {
    const { registry, a } = jobs();
    expect(registry.countSelect()).toBe(4);
    expect(registry.countSelect({ pid: a })).toBe(3);
    expect(registry.countSelect({ value: { state: 'retry' } }, (r) => r.key === 'jobs')).toBe(2);
  });

  // Elixir's registry/unique_test.exs, "count_select raises on incorrect shape of match spec".
  it('throws InvalidArgumentError for a pattern that could never match a record', () => {
    const { registry } = jobs();
    for (const pattern of [42, [ANY, ANY, ANY], { name: 'jobs' }]) {
      expect(() => registry.countSelect(pattern as never)).toThrow(InvalidArgumentError);
    }
  });
});

describe('values()', () => {
  it("returns the process's values under the key, in order, and [] for others", () => {
    const { runtime, registry, a, b } = jobs();
    expect(registry.values('jobs', a)).toEqual([
      { state: 'retry', attempts: 3, tags: ['mail'] },
      { state: 'done', attempts: 1 },
    ]);
    expect(registry.values('jobs', b)).toEqual([{ state: 'retry', attempts: 1 }]);
    expect(registry.values('other', b)).toEqual([]);
    expect(registry.values('jobs', idle(runtime))).toEqual([]);
  });

  it('returns [] or the one value in a unique registry', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, string>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    const b = idle(runtime);
    expect(registry.values('hello', a)).toEqual([]);
    registry.register(a, 'hello', 'world');
    expect(registry.values('hello', a)).toEqual(['world']);
    expect(registry.values('hello', b)).toEqual([]);
  });
});

describe('keysOf()', () => {
  it('lists a key once per registration in a duplicate registry', () => {
    const { registry, a, b } = jobs();
    expect(registry.keysOf(a)).toEqual(['jobs', 'jobs', 'other']);
    expect(registry.keysOf(b)).toEqual(['jobs']);
  });
});

describe('unregisterMatch()', () => {
  it('removes only the matching entries of that process under that key', () => {
    const { registry, a, b } = jobs();
    expect(registry.unregisterMatch(a, 'jobs', { state: 'retry' })).toBe(1);
    expect(registry.lookup('jobs')).toEqual([
      { pid: a, value: { state: 'done', attempts: 1 } },
      { pid: b, value: { state: 'retry', attempts: 1 } },
    ]);
    expect(registry.keysOf(a)).toEqual(['jobs', 'other']);
    expect(registry.count()).toBe(3);
  });

  it('takes a guard, and removes every entry that matches', () => {
    const { registry, a } = jobs();
    expect(registry.unregisterMatch(a, 'jobs', ANY, (job) => job.attempts >= 1)).toBe(2);
    expect(registry.keysOf(a)).toEqual(['other']);
    expect(registry.count()).toBe(2);
  });

  it('in a unique registry removes the key only when the value matches', () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string, string>(runtime, { keys: 'unique' });
    const a = idle(runtime);
    registry.register(a, 'hello', 'world');
    expect(registry.unregisterMatch(a, 'hello', 'foo')).toBe(0);
    expect(registry.keysOf(a)).toEqual(['hello']);
    expect(registry.unregisterMatch(a, 'hello', 'world')).toBe(1);
    expect(registry.keysOf(a)).toEqual([]);
    expect(registry.whereisName('hello')).toBeUndefined();
  });

  it('leaves the registry as it was when the pattern function throws', () => {
    const { registry, a } = jobs();
    const before = registry.select();
    expect(() =>
      registry.unregisterMatch(a, 'jobs', () => {
        throw new Error('bad pattern');
      }),
    ).toThrow('bad pattern');
    expect(registry.select()).toEqual(before);
    expect(registry.count()).toBe(4);
  });

  it('does nothing for a process without entries under the key', () => {
    const { runtime, registry, b } = jobs();
    expect(registry.unregisterMatch(b, 'other', ANY)).toBe(0);
    expect(registry.unregisterMatch(idle(runtime), 'jobs', ANY)).toBe(0);
    expect(registry.count()).toBe(4);
  });
});

describe('count()', () => {
  it('counts entries: one per registration, across keys and processes', () => {
    const { runtime, registry, a } = jobs();
    expect(registry.count()).toBe(4);
    registry.unregister(a, 'jobs');
    expect(registry.count()).toBe(2);
    expect(new Registry(runtime, { keys: 'duplicate' }).count()).toBe(0);
  });
});

describe('dispatch()', () => {
  it('passes a copy: the callback may unregister while it iterates', () => {
    const { registry, a, b } = jobs();
    const seen: Pid<any>[] = [];
    registry.dispatch('jobs', (entries) => {
      for (const { pid } of entries) {
        seen.push(pid);
        registry.unregister(pid, 'jobs');
      }
    });
    expect(seen).toEqual([a, a, b]);
    expect(registry.lookup('jobs')).toEqual([]);
  });

  it('lets an error from the callback reach the caller', () => {
    const { registry } = jobs();
    expect(() =>
      registry.dispatch('jobs', () => {
        throw new Error('bad dispatch');
      }),
    ).toThrow('bad dispatch');
  });

  it('throws InvalidArgumentError naming `callback` for a non-function', () => {
    const { registry } = jobs();
    expect(() => registry.dispatch('jobs', undefined as never)).toThrow(/`callback`/);
  });

  // Elixir's registry/duplicate_test.exs, "dispatches to multiple keys in serial" and
  // "... in parallel" (with one partition, where `parallel: true` changes nothing).
  it.each([false, true])(
    'with { parallel: %s }, calls back once, in the caller, with the entries of that key only',
    (parallel) => {
      const { registry, a, b } = jobs();
      registry.dispatch(
        'none',
        () => {
          throw new Error('will never be invoked');
        },
        { parallel },
      );
      const calls: Pid<any>[][] = [];
      registry.dispatch('jobs', (entries) => void calls.push(entries.map((e) => e.pid)), {
        parallel,
      });
      expect(calls).toEqual([[a, a, b]]);
    },
  );

  it('throws InvalidArgumentError for an unknown option or a parallel that is not a boolean', () => {
    const { registry } = jobs();
    const none = () => {};
    expect(() => registry.dispatch('jobs', none, { paralel: true } as never)).toThrow(
      InvalidArgumentError,
    );
    expect(() => registry.dispatch('jobs', none, { parallel: 'yes' } as never)).toThrow(
      /`options.parallel`/,
    );
  });
});
