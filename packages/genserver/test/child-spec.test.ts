import { Crash, NameTakenError, type Pid, Registry } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  type ChildModule,
  ChildSpecError,
  type ChildSpecLike,
  childSpec,
  DynamicSupervisor,
  type From,
  GenServer,
  ok,
  reply,
  StartError,
  Supervisor,
  type SupervisorSpec,
  TaskSupervisor,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

type CounterCall = Call<'get', number> | Call<'name', string | symbol | undefined>;

/** A counter that reports the name it was registered under when its init ran. */
class Counter extends GenServer<{ count: number; nameAtInit: unknown }, CounterCall> {
  init(count: number) {
    const nameAtInit = this.ctx.runtime.processInfo(this.self)?.registeredName;
    return ok({ count, nameAtInit });
  }

  override handleCall(
    request: CounterCall,
    _from: From,
    state: { count: number; nameAtInit: unknown },
  ) {
    if (request.type === 'get') return reply(state.count, state);
    return reply(this.ctx.runtime.processInfo(this.self)?.registeredName, state);
  }
}

/** A module-based supervisor with one counter. */
class Counters extends Supervisor<number> {
  init(start: number): SupervisorSpec {
    return Supervisor.init([[Counter, start]], { strategy: 'one_for_one' });
  }
}

stopRuntimesAfterEach();

describe('a registered name for a child', () => {
  it('[Module, arg, { name }] registers the child, and again after each restart', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([[Counter, 7, { name: 'counter' }]], { runtime });
    const first = runtime.whereis('counter');
    expect(first).toBeDefined();
    expect(await GenServer.call('counter', { type: 'get' }, { runtime })).toBe(7);
    runtime.exit(first!, 'kill');
    await clock.settle();
    const second = runtime.whereis('counter');
    expect(second).toBeDefined();
    expect(second!.equals(first)).toBe(false);
    const [child] = await Supervisor.whichChildren(sup);
    expect(child!.pid).toBe(second);
  });

  it('childSpec([Module, arg], { name, id }) gives two children of one module their own names', async () => {
    const { runtime } = virtualRuntime();
    await Supervisor.start(
      [
        childSpec([Counter, 1], { id: 'one', name: 'counter-1' }),
        childSpec([Counter, 2], { id: 'two', name: Symbol.for('counter-2') }),
      ],
      { runtime },
    );
    expect(await GenServer.call('counter-1', { type: 'get' }, { runtime })).toBe(1);
    expect(await GenServer.call(Symbol.for('counter-2'), { type: 'get' }, { runtime })).toBe(2);
  });

  it('registers a { via, key } name under a DynamicSupervisor, and points it at the restarted child', async () => {
    const { runtime, clock } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const sup = await DynamicSupervisor.start({ runtime });
    const name = { via: users, key: 'alice', value: 'admin' };
    const pid = await DynamicSupervisor.startChild(sup, childSpec([Counter, 3], { name }));
    expect(users.whereisName('alice')).toBe(pid);
    expect(users.lookup('alice')).toEqual([{ pid, value: 'admin' }]);
    expect(await GenServer.call(name, { type: 'get' })).toBe(3);
    runtime.exit(pid!, 'kill');
    await clock.settle();
    const [restarted] = await DynamicSupervisor.whichChildren(sup);
    expect(users.whereisName('alice')).toBe(restarted!.pid);
  });

  it('passes the name to a start that registers it itself, before init runs', async () => {
    const { runtime } = virtualRuntime();
    const app = await Supervisor.start(
      [
        [Counters, 5, { name: 'counters' }],
        [TaskSupervisor, {}, { name: 'tasks' }],
        [DynamicSupervisor, {}, { name: 'sessions' }],
      ],
      { runtime },
    );
    const which = await Supervisor.whichChildren(app);
    expect(which.map((c) => [c.id, c.pid])).toEqual([
      ['Counters', runtime.whereis('counters')],
      ['TaskSupervisor', runtime.whereis('tasks')],
      ['DynamicSupervisor', runtime.whereis('sessions')],
    ]);
  });

  it('fails the start with NameTakenError when another process holds the name, and kills the child', async () => {
    const { runtime } = virtualRuntime();
    const holder = runtime.spawn({ handle: () => {} }, { name: 'taken' });
    const error = await rejection(Supervisor.start([[Counter, 1, { name: 'taken' }]], { runtime }));
    expect(error).toBeInstanceOf(StartError);
    const reason = (error as StartError).reason as { shutdown: { reason: unknown } };
    expect(reason.shutdown.reason).toBeInstanceOf(NameTakenError);
    expect(runtime.whereis('taken')).toBe(holder);
    expect(runtime.processCount).toBe(1);

    const sup = await Supervisor.start([], { runtime });
    const again = await rejection(Supervisor.startChild(sup, [Counter, 1, { name: 'taken' }]));
    expect(again).toBeInstanceOf(NameTakenError);
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 0 });
    expect(runtime.processCount).toBe(2);
  });

  it('registers the name of a GenServer child before its init runs, as OTP', async () => {
    // Issue #13: GenServer.childSpec ignored StartContext.name, so the supervisor
    // registered the name only after init had returned.
    const { runtime } = virtualRuntime();
    await Supervisor.start([[Counter, 0, { name: 'early' }]], { runtime });
    const state = (await GenServer.getState('early', { runtime })) as { nameAtInit: unknown };
    expect(state.nameAtInit).toBe('early');
    expect(await GenServer.call('early', { type: 'name' }, { runtime })).toBe('early');
  });
});

describe('Supervisor.childSpec(children, options)', () => {
  it('nests a list of children with its own flags as one child of type supervisor', async () => {
    const { runtime, clock } = virtualRuntime();
    const app = await Supervisor.start(
      [
        Supervisor.childSpec(
          [childSpec([Counter, 1], { id: 'a' }), childSpec([Counter, 2], { id: 'b' })],
          {
            id: 'storage',
            name: 'Storage',
            strategy: 'one_for_all',
          },
        ),
      ],
      { runtime },
    );
    const [storage] = await Supervisor.whichChildren(app);
    expect(storage).toMatchObject({
      id: 'storage',
      type: 'supervisor',
      pid: runtime.whereis('Storage'),
    });
    const before = await Supervisor.whichChildren('Storage', { runtime });
    runtime.exit(before[0]!.pid as Pid<any>, 'kill');
    await clock.settle();
    const after = await Supervisor.whichChildren('Storage', { runtime });
    // one_for_all: both restarted.
    expect(after.map((c) => (c.pid as Pid<any>).equals(before[1]!.pid))).toEqual([false, false]);
  });

  it('takes its id from a string name, else Supervisor, and [Supervisor, children] is the same with default flags', async () => {
    const { runtime } = virtualRuntime();
    expect(Supervisor.childSpec([], { name: 'Named' }).id).toBe('Named');
    expect(Supervisor.childSpec([]).id).toBe('Supervisor');
    const app = await Supervisor.start([[Supervisor, [[Counter, 4]]]], { runtime });
    const [nested] = await Supervisor.whichChildren(app);
    expect(nested).toMatchObject({ id: 'Supervisor', type: 'supervisor' });
    const [counter] = await Supervisor.whichChildren(nested!.pid as Pid<any>);
    expect(await GenServer.call(counter!.pid as Pid<any>, { type: 'get' })).toBe(4);
  });

  it('a module-based supervisor keeps its own childSpec(arg)', () => {
    const spec = Counters.childSpec(1);
    expect(spec).toMatchObject({ id: 'Counters', type: 'supervisor' });
  });

  it('throws ChildSpecError at once for a bad child, flag or option', () => {
    expect(() => Supervisor.childSpec([42 as never])).toThrow(ChildSpecError);
    expect(() => Supervisor.childSpec([], { strategy: 'one_for_none' as never })).toThrow(
      /strategy must be/,
    );
    expect(() => Supervisor.childSpec([], { runtime: 1 } as never)).toThrow(
      /unknown option "runtime"/,
    );
    expect(() => Supervisor.childSpec({ children: [] } as never)).toThrow(
      /the children must be an array of child specs/,
    );
  });
});

describe('child spec validation', () => {
  const invalid: [string, ChildSpecLike, RegExp][] = [
    [
      'an unknown key in a full spec',
      { id: 'a', start: async () => undefined as never, modules: [] } as never,
      /child spec "a": unknown key "modules"; a child spec has id, start, restart, shutdown, type or backoff/,
    ],
    [
      'a name in a full spec, with where it goes',
      { id: 'a', start: async () => undefined as never, name: 'x' } as never,
      /unknown key "name".*childSpec\(spec, \{ name \}\)/,
    ],
    [
      'an unknown override in [Module, arg, overrides]',
      [Counter, 1, { nmae: 'x' }] as never,
      /the overrides of child spec "Counter": unknown key "nmae"/,
    ],
    [
      'a name that is no name',
      [Counter, 1, { name: 42 }] as never,
      /name must be a string, a symbol or \{ via, key \}, got 42/,
    ],
    [
      'overrides that are no object',
      [Counter, 1, 'fast'] as never,
      /the overrides of child spec "Counter" must be an object, got fast/,
    ],
    [
      'a tuple of the wrong length',
      [Counter] as never,
      /a child tuple is \[Module, arg\] or \[Module, arg, overrides\], got an array of 1/,
    ],
    [
      'an infinite shutdown in ms',
      { id: 'a', start: async () => undefined as never, shutdown: Number.POSITIVE_INFINITY },
      /shutdown must be ms >= 0, 'brutal_kill' or 'infinity'/,
    ],
    [
      'a NaN id',
      { id: Number.NaN, start: async () => undefined as never },
      /id must be a string, number or symbol/,
    ],
    [
      'a module whose childSpec returns no spec',
      [{ name: 'Broken', childSpec: () => 'nope' } as unknown as ChildModule, 1],
      /Broken.childSpec\(arg\) returned nope, not a child spec/,
    ],
  ];

  for (const [what, child, message] of invalid) {
    it(`rejects ${what} with ChildSpecError`, async () => {
      const { runtime } = virtualRuntime();
      const error = await rejection(Supervisor.start([child], { runtime }));
      expect(error).toBeInstanceOf(ChildSpecError);
      expect((error as Error).message).toMatch(message);
      expect(runtime.processCount).toBe(0);
    });
  }

  it('childSpec() throws ChildSpecError for an unknown override', () => {
    expect(() => childSpec([Counter, 1], { restrat: 'transient' } as never)).toThrow(
      /unknown key "restrat"; overrides can set id, start, restart, shutdown, type, backoff or name/,
    );
  });

  it('describes a symbol or bigint id without throwing', async () => {
    const { runtime } = virtualRuntime();
    const symbol = await rejection(
      Supervisor.start(
        [{ id: Symbol('s'), start: async () => 1 as never, restart: 'x' as never }],
        {
          runtime,
        },
      ),
    );
    expect((symbol as Error).message).toMatch(/child spec Symbol\(s\): restart must be/);
    const bigint = await rejection(
      Supervisor.start([{ id: 10n as never, start: async () => 1 as never }], { runtime }),
    );
    expect((bigint as Error).message).toMatch(/child spec 10n: id must be/);
  });

  it('a Crash in init still reaches the caller of startChild', async () => {
    class Failing extends GenServer<void> {
      init(): never {
        throw new Error('no');
      }
    }
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const error = await rejection(Supervisor.startChild(sup, [Failing, undefined, { name: 'f' }]));
    expect(error).toBeInstanceOf(StartError);
    expect((error as StartError).reason).toBeInstanceOf(Crash);
    expect(runtime.whereis('f')).toBeUndefined();
  });
});
