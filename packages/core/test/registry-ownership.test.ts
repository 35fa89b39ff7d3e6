// Invariant 5 (ownership): a process's registry entries die with it, however it ends.
import { describe, expect, it } from 'vitest';
import { ANY, isExit, NameTakenError, type Pid, Registry, type Runtime } from '../src/index.js';
import { echoWorks, hostileValues, watchNode } from './hostile-values.js';
import { exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** A process that crashes on 'crash', returns on 'finish', and ignores the rest. */
function mortal(runtime: Runtime, options: { link?: Pid<any>; trapExit?: boolean } = {}) {
  return runtime.spawn(async (ctx) => {
    for (;;) {
      const message = await ctx.receive();
      if (message === 'crash') throw new Error('boom');
      if (message === 'finish') return;
    }
  }, options);
}

const endings: [string, (runtime: Runtime, pid: Pid<any>) => void][] = [
  ['is killed', (runtime, pid) => runtime.exit(pid, 'kill')],
  ['crashes', (runtime, pid) => void runtime.send(pid, 'crash')],
  ['returns', (runtime, pid) => void runtime.send(pid, 'finish')],
  ['gets an exit signal', (runtime, pid) => runtime.exit(pid, 'shutdown')],
];

describe('Registry entries die with their process', () => {
  it.each(endings)('in a unique registry, when the process %s', async (_label, end) => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'unique' });
    const dying = mortal(runtime);
    const other = mortal(runtime);
    registry.register(dying, 'a', 1);
    registry.register(dying, 'b', 2);
    registry.register(other, 'c', 3);
    const exited = exitOf(runtime, dying);
    end(runtime, dying);
    await clock.settle();
    await exited;
    expect(registry.keysOf(dying)).toEqual([]);
    expect(registry.whereisName('a')).toBeUndefined();
    expect(registry.lookup('b')).toEqual([]);
    expect(registry.count()).toBe(1);
    expect(registry.select()).toEqual([{ key: 'c', pid: other, value: 3 }]);
    registry.register(other, 'a', 4);
    expect(registry.whereisName('a')).toBe(other);
  });

  it.each(endings)('in a duplicate registry, when the process %s', async (_label, end) => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string, number>(runtime, { keys: 'duplicate' });
    const dying = mortal(runtime);
    const other = mortal(runtime);
    registry.register(dying, 'news', 1);
    registry.register(other, 'news', 2);
    registry.register(dying, 'news', 3);
    registry.register(dying, 'sport', 4);
    end(runtime, dying);
    await clock.settle();
    expect(runtime.isAlive(dying)).toBe(false);
    expect(registry.lookup('news')).toEqual([{ pid: other, value: 2 }]);
    expect(registry.lookup('sport')).toEqual([]);
    expect(registry.countMatch('news', ANY)).toBe(1);
    expect(registry.count()).toBe(1);
  });

  it('when the process dies of a linked crash', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const crashing = mortal(runtime);
    const linked = mortal(runtime, { link: crashing });
    registry.register(linked, 'linked');
    runtime.send(crashing, 'crash');
    await clock.settle();
    expect(runtime.isAlive(linked)).toBe(false);
    expect(registry.count()).toBe(0);
  });

  it('but not when the process traps the exit signal and lives on', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const inbox: unknown[] = [];
    const trapping = runtime.spawn({ handle: (m) => void inbox.push(m) }, { trapExit: true });
    registry.register(trapping, 'survivor');
    runtime.exit(trapping, 'shutdown');
    await clock.settle();
    expect(inbox.some(isExit)).toBe(true);
    expect(registry.whereisName('survivor')).toBe(trapping);
  });

  it('in every registry the process was in', () => {
    const { runtime } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const topics = new Registry<string>(runtime, { keys: 'duplicate' });
    const pid = mortal(runtime);
    users.register(pid, 'user:1');
    topics.register(pid, 'news');
    runtime.exit(pid, 'kill');
    expect(users.count()).toBe(0);
    expect(topics.count()).toBe(0);
  });

  it('registered from inside the process with ctx.self', async () => {
    const { runtime, clock } = virtualRuntime();
    const registry = new Registry<string, string>(runtime, { keys: 'unique' });
    const pid = runtime.spawn(async (ctx) => {
      registry.register(ctx.self, 'me', 'inside');
      await ctx.receive();
    });
    await clock.settle();
    expect(registry.lookup('me')).toEqual([{ pid, value: 'inside' }]);
    runtime.send(pid, 'finish');
    await clock.settle();
    expect(registry.lookup('me')).toEqual([]);
  });

  it('when the runtime stops', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'duplicate' });
    for (let i = 0; i < 5; i++) registry.register(mortal(runtime), 'all');
    expect(registry.count()).toBe(5);
    await runtime.stop({ timeout: 0 });
    expect(registry.count()).toBe(0);
    expect(registry.select()).toEqual([]);
  });

  it('and a registration racing the exit is refused, never left behind', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry<string>(runtime, { keys: 'unique' });
    const pid = mortal(runtime);
    let refused: unknown;
    runtime.watch(pid, () => {
      try {
        registry.register(pid, 'too late');
      } catch (error) {
        refused = error;
      }
    });
    runtime.exit(pid, 'kill');
    expect(refused).toBeInstanceOf(Error);
    expect(registry.count()).toBe(0);
  });
});

describe('Registry with hostile keys and values', () => {
  const node = watchNode();

  it.each(hostileValues().map((h) => [h.label, h.value]))(
    'stores %s as a value, skips it in structural matches, and tells listeners',
    async (_label, value) => {
      const { runtime, clock } = virtualRuntime();
      const heard: unknown[] = [];
      runtime.spawn({ handle: (m) => void heard.push(m) }, { name: 'listener' });
      const registry = new Registry<string, unknown>(runtime, {
        keys: 'duplicate',
        listeners: ['listener'],
      });
      const pid = mortal(runtime);
      registry.register(pid, 'k', value);
      registry.register(pid, 'k', { state: 'ok' });
      expect(registry.countMatch('k', { state: 'ok' })).toBe(1);
      expect(registry.select({ value: { state: ANY } })).toHaveLength(1);
      expect(registry.unregisterMatch(pid, 'k', { state: 'ok' })).toBe(1);
      // toEqual would inspect the value itself: compare by identity.
      const left = registry.lookup('k');
      expect(left).toHaveLength(1);
      expect(left[0]!.value).toBe(value);
      runtime.exit(pid, 'kill');
      await clock.settle();
      expect(registry.count()).toBe(0);
      // The exit tells the listener nothing (as in Elixir); the next message it gets is
      // the next call's.
      const next = mortal(runtime);
      registry.register(next, 'k', value);
      registry.unregister(next, 'k');
      await clock.settle();
      expect(heard.map((m) => (m as { type: string }).type)).toEqual([
        'register',
        'register',
        'register',
        'unregister',
      ]);
      expect((heard[2] as { pid: unknown }).pid).toBe(next);
      await echoWorks(runtime);
      await node.assertQuiet();
    },
  );

  it.each(hostileValues().map((h) => [h.label, h.value]))(
    'uses %s as a key, and says who holds it when it is taken',
    (_label, key) => {
      const { runtime } = virtualRuntime();
      const registry = new Registry<unknown, number>(runtime, { keys: 'unique' });
      const pid = mortal(runtime);
      registry.register(pid, key, 1);
      expect(registry.whereisName(key)).toBe(pid);
      expect(() => registry.register(mortal(runtime), key, 2)).toThrow(NameTakenError);
      const selected = registry.select({ value: 1 });
      expect(selected).toHaveLength(1);
      expect(selected[0]!.key).toBe(key);
      runtime.exit(pid, 'kill');
      expect(registry.whereisName(key)).toBeUndefined();
    },
  );
});
