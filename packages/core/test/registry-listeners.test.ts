import { describe, expect, it } from 'vitest';
import {
  type DeadLetterEvent,
  formatReason,
  InvalidArgumentError,
  isDown,
  NameTakenError,
  type Pid,
  Registry,
  type RegistryListenerMessage,
  RegistryRegister,
  type RegistryUnregister,
  type Runtime,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

function world() {
  const { runtime, clock } = virtualRuntime();
  return { runtime, settle: () => clock.settle() };
}

/** A handler process that keeps what it receives, registered under `name` if given. */
function recorder(runtime: Runtime, name?: string) {
  const inbox: unknown[] = [];
  const pid = runtime.spawn({ handle: (message) => void inbox.push(message) }, { name });
  return { pid, inbox };
}

/** A process that crashes on 'crash' and returns (exits 'normal') on 'finish'. */
function mortal(runtime: Runtime): Pid<'crash' | 'finish'> {
  return runtime.spawn<'crash' | 'finish'>(async (ctx) => {
    if ((await ctx.receive()) === 'crash') throw new Error('boom');
  });
}

/** Listener messages as plain tuples, Elixir's shape, for readable assertions. */
function tuples(inbox: unknown[]) {
  return (inbox as RegistryListenerMessage<string, unknown>[]).map((m) =>
    m instanceof RegistryRegister
      ? [m.type, m.key, m.pid, m.value]
      : [m.type, m.key, (m as RegistryUnregister<string>).pid],
  );
}

describe('new Registry({ listeners })', () => {
  it.each([
    ['a string', 'listener'],
    ['an array holding a PID-like object', [{ pid: 1 }]],
    ['an array holding a number', [1]],
  ])('throws InvalidArgumentError naming `options.listeners` for %s', (_label, listeners) => {
    const { runtime } = world();
    const make = () => new Registry(runtime, { keys: 'unique', listeners: listeners as never });
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(/`options\.listeners`/);
  });

  it('accepts strings and symbols, and shows them as `listeners`', () => {
    const { runtime } = world();
    const name = Symbol('audit');
    const registry = new Registry(runtime, { keys: 'unique', listeners: ['log', name] });
    expect(registry.listeners).toEqual(['log', name]);
  });
});

describe('listeners', () => {
  it('get a RegistryRegister with registry, key, pid and value for each registration', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string, string>(runtime, {
      keys: 'unique',
      listeners: ['listener'],
    });
    const a = recorder(runtime);
    users.register(a.pid, 'hello', 'world');
    await settle();
    expect(listener.inbox).toHaveLength(1);
    const message = listener.inbox[0] as RegistryRegister<string, string>;
    expect(message).toBeInstanceOf(RegistryRegister);
    expect(message.type).toBe('register');
    expect(message.registry).toBe(users);
    expect(message).toMatchObject({ key: 'hello', pid: a.pid, value: 'world' });
  });

  it('get a RegistryUnregister after every unregister, even of a key the process did not hold, as in Elixir', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    users.register(a.pid, 'world', 'value');
    users.unregister(a.pid, 'world');
    users.unregister(a.pid, 'never-held');
    await settle();
    expect(tuples(listener.inbox)).toEqual([
      ['register', 'world', a.pid, 'value'],
      ['unregister', 'world', a.pid],
      ['unregister', 'never-held', a.pid],
    ]);
    expect((listener.inbox[1] as RegistryUnregister).registry).toBe(users);
    expect(users.count()).toBe(0);
  });

  it('get a RegistryUnregister after unregisterName of a held key, and nothing for a free one', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    users.registerName('user:1', a.pid, 'v');
    users.unregisterName('user:1');
    users.unregisterName('user:1');
    users.register(a.pid, 'user:2');
    await settle();
    expect(tuples(listener.inbox)).toEqual([
      ['register', 'user:1', a.pid, 'v'],
      ['unregister', 'user:1', a.pid],
      ['register', 'user:2', a.pid, undefined],
    ]);
  });

  it('every listener gets every message, in the order the registry changed', async () => {
    const { runtime, settle } = world();
    const first = recorder(runtime, 'first');
    const second = recorder(runtime, 'second');
    const topics = new Registry<string, number>(runtime, {
      keys: 'duplicate',
      listeners: ['first', 'second'],
    });
    const a = recorder(runtime);
    const b = recorder(runtime);
    topics.register(a.pid, 'news', 1);
    topics.register(b.pid, 'news', 2);
    topics.register(a.pid, 'news', 3);
    topics.unregister(a.pid, 'news');
    await settle();
    const expected = [
      ['register', 'news', a.pid, 1],
      ['register', 'news', b.pid, 2],
      ['register', 'news', a.pid, 3],
      ['unregister', 'news', a.pid],
    ];
    expect(tuples(first.inbox)).toEqual(expected);
    expect(tuples(second.inbox)).toEqual(expected);
  });

  it('hear of unregisterMatch when it left the process no entry under the key, as in Elixir', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const topics = new Registry<string, string>(runtime, {
      keys: 'duplicate',
      listeners: ['listener'],
    });
    const a = recorder(runtime);
    topics.register(a.pid, 'news', 'sport');
    topics.register(a.pid, 'news', 'weather');
    topics.register(a.pid, 'news', 'weather');
    await settle();
    listener.inbox.length = 0;
    // Some removed, some left; then none of several matched: not told.
    expect(topics.unregisterMatch(a.pid, 'news', 'sport')).toBe(1);
    expect(topics.unregisterMatch(a.pid, 'news', 'nothing like it')).toBe(0);
    await settle();
    expect(listener.inbox).toEqual([]);
    // Every remaining entry matched: told once, however many went.
    expect(topics.unregisterMatch(a.pid, 'news', 'weather')).toBe(2);
    // Elixir's unregister_match tells the listeners when the process held nothing under
    // the key (it removed all, zero, of its entries there): so does this.
    expect(topics.unregisterMatch(a.pid, 'news', 'sport')).toBe(0);
    await settle();
    expect(tuples(listener.inbox)).toEqual([
      ['unregister', 'news', a.pid],
      ['unregister', 'news', a.pid],
    ]);
  });

  it('are not told of updateValue', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string, number>(runtime, {
      keys: 'unique',
      listeners: ['listener'],
    });
    const a = recorder(runtime);
    users.register(a.pid, 'n', 1);
    users.updateValue(a.pid, 'n', (n) => n + 1);
    await settle();
    expect(tuples(listener.inbox)).toEqual([['register', 'n', a.pid, 1]]);
  });

  it('are not told of a registration that failed', async () => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    const b = recorder(runtime);
    users.register(a.pid, 'k');
    expect(() => users.register(b.pid, 'k')).toThrow(NameTakenError);
    await settle();
    expect(tuples(listener.inbox)).toEqual([['register', 'k', a.pid, undefined]]);
  });

  it.each([
    ['killed', (runtime: Runtime, pid: Pid<any>) => runtime.exit(pid, 'kill')],
    ['crashing', (runtime: Runtime, pid: Pid<any>) => void runtime.send(pid, 'crash')],
    ['exiting normally', (runtime: Runtime, pid: Pid<any>) => void runtime.send(pid, 'finish')],
  ])('get nothing when a registered process exits (%s), as in Elixir', async (_label, end) => {
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const topics = new Registry<string, number>(runtime, {
      keys: 'duplicate',
      listeners: ['listener'],
    });
    const dying = mortal(runtime);
    const other = recorder(runtime);
    topics.register(dying, 'news', 1);
    topics.register(dying, 'news', 2);
    topics.register(dying, 'sport', 3);
    await settle();
    listener.inbox.length = 0;
    end(runtime, dying);
    await settle();
    expect(runtime.isAlive(dying)).toBe(false);
    expect(topics.keysOf(dying)).toEqual([]);
    // Messages to one mailbox keep their order: had the exit sent anything, it would
    // come before this registration.
    topics.register(other.pid, 'news', 4);
    await settle();
    expect(tuples(listener.inbox)).toEqual([['register', 'news', other.pid, 4]]);
    expect(topics.lookup('news')).toEqual([{ pid: other.pid, value: 4 }]);
  });

  it('learn of a registered process exit by monitoring it, as Elixir documents', async () => {
    const { runtime, settle } = world();
    const heard: string[] = [];
    runtime.spawn(
      {
        handle(message, ctx) {
          if (message instanceof RegistryRegister) {
            ctx.monitor(message.pid);
            heard.push(`register ${message.key}`);
          } else if (isDown(message)) {
            heard.push(`down ${formatReason(message.reason)}`);
          } else {
            heard.push(`unregister ${(message as RegistryUnregister<string>).key}`);
          }
        },
      },
      { name: 'listener' },
    );
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    users.register(a.pid, 'user:1');
    await settle();
    runtime.exit(a.pid, 'kill');
    await settle();
    expect(heard).toEqual(['register user:1', 'down killed']);
  });

  it('hear nothing when a via-named process exits, even if its starter frees the name from a watch', async () => {
    // GenServer frees a { via, key } name from a watch of its own, guarded by whereisName.
    // The registry's watch, made at registration, runs first and forgets the key, so the
    // exit is silent, as in Elixir.
    const { runtime, settle } = world();
    const listener = recorder(runtime, 'listener');
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    const b = recorder(runtime);
    users.registerName('user:1', a.pid, 'v');
    runtime.watch(a.pid, () => {
      if (users.whereisName('user:1')?.equals(a.pid)) users.unregisterName('user:1');
    });
    runtime.exit(a.pid, 'kill');
    users.registerName('user:1', b.pid, 'w');
    await settle();
    expect(tuples(listener.inbox)).toEqual([
      ['register', 'user:1', a.pid, 'v'],
      ['register', 'user:1', b.pid, 'w'],
    ]);
  });

  it('are looked up by name for each message, so a restarted listener keeps listening', async () => {
    const { runtime, settle } = world();
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const old = recorder(runtime, 'listener');
    const a = recorder(runtime);
    users.register(a.pid, 'first');
    await settle();
    runtime.exit(old.pid, 'kill');
    const restarted = recorder(runtime, 'listener');
    users.register(a.pid, 'second');
    await settle();
    expect(tuples(old.inbox)).toEqual([['register', 'first', a.pid, undefined]]);
    expect(tuples(restarted.inbox)).toEqual([['register', 'second', a.pid, undefined]]);
  });

  it('named by nobody turn messages into dead letters, and the registration still stands', () => {
    const { runtime } = world();
    const letters: DeadLetterEvent[] = [];
    runtime.events.on('deadLetter', (event) => letters.push(event));
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['nobody'] });
    const a = recorder(runtime);
    users.register(a.pid, 'k', 'v');
    expect(users.lookup('k')).toEqual([{ pid: a.pid, value: 'v' }]);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.to).toBe('nobody');
    expect(letters[0]!.message).toBeInstanceOf(RegistryRegister);
    expect(runtime.stats.deadLetters).toBe(1);
  });

  it('with a full rejecting mailbox lose the message, without failing the registration', async () => {
    const { runtime, settle } = world();
    const full = runtime.spawn(
      async (ctx) => {
        await ctx.receive((m) => m === 'never');
      },
      { name: 'listener', mailbox: { capacity: 1, overflow: 'reject' } },
    );
    const users = new Registry<string>(runtime, { keys: 'unique', listeners: ['listener'] });
    const a = recorder(runtime);
    users.register(a.pid, 'one');
    users.register(a.pid, 'two');
    await settle();
    expect(users.keysOf(a.pid)).toEqual(['one', 'two']);
    expect(runtime.processInfo(full)?.mailboxLength).toBe(1);
    expect(runtime.processInfo(full)?.mailboxDropped).toBe(1);
  });
});
