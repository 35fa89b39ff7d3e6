import { NameTakenError, type Pid, Registry, type Runtime, type Via } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  ChildError,
  type ChildSpec,
  ChildSpecError,
  DynamicSupervisor,
  type DynamicSupervisorRef,
  type From,
  GenServer,
  ignore,
  ok,
  reply,
  StartError,
  Supervisor,
  Task,
  TaskSupervisor,
} from '../src/index.js';
import { exitReason, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// ---- fixtures ----

/** What a test worker is started with; shared by every incarnation of the child. */
interface Probe {
  id: string;
  /** `start:<id>` when init runs, `stop:<id>` when terminate runs. */
  log: string[];
  trap?: boolean;
  /** `true`: init throws; `'ignore'`: init returns ignore(). Can be flipped between restarts. */
  failStart?: boolean | 'ignore';
}

class Worker extends GenServer<Probe, Call<'ping', string>> {
  init(probe: Probe) {
    if (probe.failStart === true) throw new Error(`${probe.id} cannot start`);
    if (probe.failStart === 'ignore') return ignore();
    if (probe.trap === true) this.ctx.trapExit(true);
    probe.log.push(`start:${probe.id}`);
    return ok(probe);
  }

  override handleCall(_request: Call<'ping', string>, _from: From, probe: Probe) {
    return reply(probe.id, probe);
  }

  override terminate(_reason: unknown, probe: Probe) {
    probe.log.push(`stop:${probe.id}`);
  }
}

function worker(probe: Probe, overrides: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id: probe.id,
    start: ({ runtime, self }) => GenServer.startLink(Worker, probe, { runtime, link: self }),
    ...overrides,
  };
}

type SessionCall = Call<'visit', number> | Call<'whoami', string>;

/** One per user, registered as `{ via: users, key: userId }`. */
class Session extends GenServer<{ userId: string; visits: number }, SessionCall> {
  init(userId: string) {
    return ok({ userId, visits: 0 });
  }

  override handleCall(
    request: SessionCall,
    _from: From,
    state: { userId: string; visits: number },
  ) {
    if (request.type === 'whoami') return reply(state.userId, state);
    const visits = state.visits + 1;
    return reply(visits, { ...state, visits });
  }
}

function session(
  users: Registry<string>,
  userId: string,
  restart?: ChildSpec['restart'],
): ChildSpec {
  return {
    id: userId,
    restart,
    start: ({ runtime, self }) =>
      GenServer.startLink(Session, userId, {
        runtime,
        link: self,
        name: { via: users, key: userId },
      }),
  };
}

stopRuntimesAfterEach();

async function children(sup: DynamicSupervisorRef, runtime?: Runtime): Promise<Pid<any>[]> {
  const which = await DynamicSupervisor.whichChildren(sup, runtime && { runtime });
  return which.map((child) => child.pid as Pid<any>);
}

// ---- tests ----

describe('DynamicSupervisor.start()', () => {
  it('starts with no children and a supervisor that traps exits', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({
      specs: 0,
      active: 0,
      supervisors: 0,
      workers: 0,
    });
    expect(runtime.processInfo(sup)?.trapExit).toBe(true);
  });

  it('registers a name and answers by it', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime, name: 'Jobs' });
    expect(runtime.whereis('Jobs')).toBe(sup);
    await DynamicSupervisor.startChild('Jobs', worker({ id: 'a', log: [] }), { runtime });
    expect(await DynamicSupervisor.countChildren('Jobs', { runtime })).toMatchObject({ active: 1 });
  });

  it('rejects bad options with a ChildSpecError that names them, before spawning', async () => {
    const { runtime } = virtualRuntime();
    const error = await rejection(DynamicSupervisor.start({ runtime, maxChildren: -1 }));
    expect(error).toBeInstanceOf(ChildSpecError);
    expect((error as Error).message).toMatch(
      /maxChildren must be a number >= 0 \(Infinity for no limit\), got -1/,
    );
    expect(runtime.processCount).toBe(0);
  });
});

describe('DynamicSupervisor.startChild()', () => {
  it('starts children at run time, in order, from any child spec form', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const a = await DynamicSupervisor.startChild(sup, worker({ id: 'a', log }));
    const b = await DynamicSupervisor.startChild(sup, [Worker, { id: 'b', log }]);
    const c = await DynamicSupervisor.startChild(sup, worker({ id: 'a', log }));
    expect(log).toEqual(['start:a', 'start:b', 'start:a']);
    for (const pid of [a, b, c]) {
      expect(runtime.isAlive(pid!)).toBe(true);
      expect(runtime.processInfo(pid!)?.parent).toBe(sup);
    }
    const which = await DynamicSupervisor.whichChildren(sup);
    // Ids need not be unique: children are told apart by PID.
    expect(which).toEqual([
      { id: 'a', pid: a, type: 'worker', restart: 'permanent', restarts: 0 },
      { id: 'Worker', pid: b, type: 'worker', restart: 'permanent', restarts: 0 },
      { id: 'a', pid: c, type: 'worker', restart: 'permanent', restarts: 0 },
    ]);
    expect(await GenServer.call(b!, { type: 'ping' })).toBe('b');
  });

  it('counts workers and supervisors', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    await DynamicSupervisor.startChild(sup, worker({ id: 'a', log: [] }));
    await DynamicSupervisor.startChild(sup, {
      id: 'nested',
      type: 'supervisor',
      start: ({ runtime, self }) => Supervisor.startLink([], { runtime, link: self }),
    });
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({
      specs: 2,
      active: 2,
      supervisors: 1,
      workers: 1,
    });
  });

  it("rejects past maxChildren with ChildError 'max_children', and has room again after a terminate", async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 2 });
    const a = await DynamicSupervisor.startChild(sup, worker({ id: 'a', log }));
    await DynamicSupervisor.startChild(sup, worker({ id: 'b', log }));
    const error = await rejection(DynamicSupervisor.startChild(sup, worker({ id: 'c', log })));
    expect(error).toBeInstanceOf(ChildError);
    expect(error).toMatchObject({ reason: 'max_children', code: 'CHILD_MAX_CHILDREN' });
    expect((error as Error).message).toMatch(/maximum of 2 children/);
    expect(log).toEqual(['start:a', 'start:b']);
    await DynamicSupervisor.terminateChild(sup, a!);
    await DynamicSupervisor.startChild(sup, worker({ id: 'c', log }));
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ active: 2 });
  });

  it('with maxChildren: 0 starts nothing', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 0 });
    await expect(
      DynamicSupervisor.startChild(sup, worker({ id: 'a', log: [] })),
    ).rejects.toMatchObject({ reason: 'max_children' });
  });

  it('rejects with the StartError of a child that fails to start, and keeps running', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const error = await rejection(
      DynamicSupervisor.startChild(sup, worker({ id: 'bad', log: [], failStart: true })),
    );
    expect(error).toBeInstanceOf(StartError);
    await clock.settle();
    expect(runtime.isAlive(sup)).toBe(true);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it('resolves undefined for a child that ignores, and keeps nothing', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const pid = await DynamicSupervisor.startChild(
      sup,
      worker({ id: 'i', log: [], failStart: 'ignore' }),
    );
    expect(pid).toBeUndefined();
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it('rejects an invalid child spec with ChildSpecError', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const error = await rejection(
      DynamicSupervisor.startChild(sup, {
        id: 'x',
        start: async () => undefined as never,
        shutdown: 'soon' as never,
      }),
    );
    expect(error).toBeInstanceOf(ChildSpecError);
    expect((error as Error).message).toMatch(/child spec "x": shutdown must be/);
    await expect(
      DynamicSupervisor.startChild(sup, { id: 'y', start: 'nope' as never }),
    ).rejects.toThrow(/start must be a function/);
  });
});

describe('DynamicSupervisor.terminateChild()', () => {
  it('stops the child (sending it shutdown) and does not restart it', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const a = await DynamicSupervisor.startChild(sup, worker({ id: 'a', log, trap: true }));
    const b = await DynamicSupervisor.startChild(sup, worker({ id: 'b', log }));
    const seen = exitReason(runtime, a!);
    await DynamicSupervisor.terminateChild(sup, a!);
    await clock.settle();
    expect(seen.reason).toBe('shutdown');
    expect(log).toEqual(['start:a', 'start:b', 'stop:a']);
    expect(await children(sup)).toEqual([b]);
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 1 });
  });

  it("rejects a PID that is not its child with ChildError 'not_found'", async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const a = await DynamicSupervisor.startChild(sup, worker({ id: 'a', log: [] }));
    await DynamicSupervisor.terminateChild(sup, a!);
    const again = await rejection(DynamicSupervisor.terminateChild(sup, a!));
    expect(ChildError.is(again)).toBe(true);
    expect(again).toMatchObject({ reason: 'not_found' });
    expect((again as Error).message).toMatch(/is not a child of this supervisor/);
    const stranger = await GenServer.start(Worker, { id: 's', log: [] }, { runtime });
    await expect(DynamicSupervisor.terminateChild(sup, stranger)).rejects.toMatchObject({
      reason: 'not_found',
    });
    expect(runtime.isAlive(stranger)).toBe(true);
  });

  it('kills a child that ignores shutdown after its shutdown ms', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const stubborn = await DynamicSupervisor.startChild(sup, {
      id: 'stubborn',
      shutdown: 200,
      start: async ({ runtime, self }) =>
        runtime.spawn({ handle: () => {} }, { link: self, trapExit: true }),
    });
    const seen = exitReason(runtime, stubborn!);
    const terminating = DynamicSupervisor.terminateChild(sup, stubborn!);
    await clock.advance(199);
    expect(seen.exited).toBe(false);
    await clock.advance(1);
    await terminating;
    expect(seen.reason).toBe('killed');
  });
});

describe('restarts', () => {
  it('permanent: restarted after a crash and after a normal exit', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const first = await DynamicSupervisor.startChild(sup, worker({ id: 'p', log }));
    runtime.exit(first!, 'kill');
    await clock.settle();
    const [second] = await children(sup);
    expect(second).not.toBe(first);
    expect(runtime.isAlive(second!)).toBe(true);
    await GenServer.stop(second!, 'normal');
    await clock.settle();
    const [third] = await children(sup);
    expect(runtime.isAlive(third!)).toBe(true);
    expect(log.filter((l) => l === 'start:p')).toHaveLength(3);
    expect(await DynamicSupervisor.whichChildren(sup)).toMatchObject([
      { id: 'p', restart: 'permanent' },
    ]);
  });

  for (const reason of ['normal', 'shutdown', { shutdown: 'done' }]) {
    it(`transient: not restarted after ${JSON.stringify(reason)}, and gone from the children`, async () => {
      const { runtime, clock } = virtualRuntime();
      const log: string[] = [];
      const sup = await DynamicSupervisor.start({ runtime });
      const pid = await DynamicSupervisor.startChild(
        sup,
        worker({ id: 't', log }, { restart: 'transient' }),
      );
      await GenServer.stop(pid!, reason);
      await clock.settle();
      expect(log.filter((l) => l === 'start:t')).toHaveLength(1);
      expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
    });
  }

  it('transient: restarted after a crash', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const pid = await DynamicSupervisor.startChild(
      sup,
      worker({ id: 't', log }, { restart: 'transient' }),
    );
    runtime.exit(pid!, 'boom');
    await clock.settle();
    expect(log).toEqual(['start:t', 'start:t']);
    expect(await DynamicSupervisor.whichChildren(sup)).toMatchObject([
      { id: 't', restart: 'transient' },
    ]);
  });

  it('temporary: never restarted', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const a = await DynamicSupervisor.startChild(
      sup,
      worker({ id: 'a', log }, { restart: 'temporary' }),
    );
    const b = await DynamicSupervisor.startChild(
      sup,
      worker({ id: 'b', log }, { restart: 'temporary' }),
    );
    runtime.exit(a!, 'kill');
    await GenServer.stop(b!, 'normal');
    await clock.settle();
    expect(log.filter((l) => l.startsWith('start:'))).toEqual(['start:a', 'start:b']);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it('restarts only the child that exited (one for one)', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    for (const id of ['a', 'b', 'c']) await DynamicSupervisor.startChild(sup, worker({ id, log }));
    const [a, b, c] = await children(sup);
    log.length = 0;
    runtime.exit(b!, 'kill');
    await clock.settle();
    expect(log).toEqual(['start:b']);
    const after = await children(sup);
    expect(after).toHaveLength(3);
    expect(after).toContain(a);
    expect(after).toContain(c);
    expect(after).not.toContain(b);
  });
});

// Ported from Elixir's dynamic_supervisor_test.exs, "restarting a child with
// extra_arguments successfully restarts child".
describe('extraArguments', () => {
  it("hands the supervisor's extraArguments to each start, again at a restart", async () => {
    const { runtime, clock } = virtualRuntime();
    const started: unknown[][] = [];
    const fn = async (ctx: { receive(): Promise<unknown> }) => {
      for (;;) await ctx.receive();
    };
    const sup = await DynamicSupervisor.start({ runtime, extraArguments: [fn, 'extra'] });
    const child: ChildSpec = {
      id: 'Task',
      restart: 'transient',
      start: async ({ runtime, self, extraArguments = [] }) => {
        started.push([...extraArguments]);
        return Task.startLink(extraArguments[0] as typeof fn, { runtime, link: self });
      },
    };
    const pid = (await DynamicSupervisor.startChild(sup, child)) as Pid<any>;
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ active: 1, workers: 1 });
    runtime.exit(pid, 'oops');
    await clock.settle();
    expect(started).toEqual([
      [fn, 'extra'],
      [fn, 'extra'],
    ]);
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ active: 1, workers: 1 });
  });

  it('gives a start no extraArguments when the supervisor has none, nor under a Supervisor', async () => {
    const { runtime } = virtualRuntime();
    const seen: unknown[] = [];
    const child: ChildSpec = {
      id: 'w',
      start: async ({ runtime, self, extraArguments }) => {
        seen.push(extraArguments);
        return runtime.spawn((ctx) => ctx.receive(), { link: self });
      },
    };
    await DynamicSupervisor.startChild(await DynamicSupervisor.start({ runtime }), child);
    await Supervisor.start([child], { runtime });
    expect(seen).toEqual([undefined, undefined]);
  });

  it('rejects extraArguments that is not an array, and refuses them for a TaskSupervisor', async () => {
    const { runtime } = virtualRuntime();
    expect(
      await rejection(DynamicSupervisor.start({ runtime, extraArguments: 'x' as never })),
    ).toBeInstanceOf(ChildSpecError);
    expect(
      await rejection(TaskSupervisor.start({ runtime, extraArguments: [] } as never)),
    ).toBeInstanceOf(ChildSpecError);
    expect(() => TaskSupervisor.childSpec({ extraArguments: [] } as never)).toThrow(ChildSpecError);
  });

  // Regression: Array.isArray threw a raw TypeError for a revoked proxy, and an array
  // whose items cannot be read crashed the supervisor's init instead of being refused.
  it('rejects extraArguments it cannot read with a ChildSpecError, before spawning', async () => {
    const { runtime } = virtualRuntime();
    const revoked = Proxy.revocable([], {});
    revoked.revoke();
    const unreadable = new Proxy([1], {
      get() {
        throw new Error('trap');
      },
    });
    for (const extraArguments of [revoked.proxy, unreadable]) {
      const error = await rejection(DynamicSupervisor.start({ runtime, extraArguments }));
      expect(error).toBeInstanceOf(ChildSpecError);
      expect((error as Error).message).toMatch(/extraArguments must be an array/);
      expect(() => DynamicSupervisor.childSpec({ extraArguments })).toThrow(ChildSpecError);
    }
    expect(runtime.processCount).toBe(0);
  });
});

describe('restart intensity', () => {
  it('more than maxRestarts within maxSeconds stops every child and exits with shutdown', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 2, maxSeconds: 5 });
    const supExit = exitReason(runtime, sup);
    const crasher = await DynamicSupervisor.startChild(sup, worker({ id: 'crasher', log }));
    const calm = await DynamicSupervisor.startChild(sup, worker({ id: 'calm', log, trap: true }));
    let current = crasher!;
    for (let i = 0; i < 2; i++) {
      runtime.exit(current, 'kill');
      await clock.settle();
      await clock.advance(1000);
      current = (await DynamicSupervisor.whichChildren(sup)).find((c) => c.id === 'crasher')!
        .pid as Pid<any>;
    }
    expect(runtime.isAlive(sup)).toBe(true);
    runtime.exit(current, 'kill');
    await clock.settle();
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
    expect(log).toContain('stop:calm');
    expect(runtime.isAlive(calm!)).toBe(false);
    expect(runtime.processCount).toBe(0);
  });

  it('restarts spread beyond maxSeconds never exceed the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 2, maxSeconds: 1 });
    await DynamicSupervisor.startChild(sup, worker({ id: 'a', log }));
    for (let i = 0; i < 8; i++) {
      const [pid] = await children(sup);
      runtime.exit(pid!, 'kill');
      await clock.settle();
      await clock.advance(600);
    }
    expect(runtime.isAlive(sup)).toBe(true);
    expect(log.filter((l) => l === 'start:a')).toHaveLength(9);
  });

  it('counts failing restart attempts and gives up past the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const probe: Probe = { id: 'a', log: [] };
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 3 });
    const supExit = exitReason(runtime, sup);
    const pid = await DynamicSupervisor.startChild(sup, worker(probe));
    probe.failStart = true;
    runtime.exit(pid!, 'kill');
    await clock.settle();
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
  });

  it('temporary and cleanly stopped transient children do not count toward it', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 0 });
    for (let i = 0; i < 3; i++) {
      const t = await DynamicSupervisor.startChild(
        sup,
        worker({ id: `t${i}`, log: [] }, { restart: 'temporary' }),
      );
      runtime.exit(t!, 'kill');
      const tr = await DynamicSupervisor.startChild(
        sup,
        worker({ id: `tr${i}`, log: [] }, { restart: 'transient' }),
      );
      await GenServer.stop(tr!, 'normal');
      await clock.settle();
    }
    expect(runtime.isAlive(sup)).toBe(true);
  });
});

describe('one process per user with Registry', () => {
  async function withUsers() {
    const { runtime, clock } = virtualRuntime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const sup = await DynamicSupervisor.start({ runtime, name: 'Sessions' });
    return { runtime, clock, users, sup };
  }

  it('names each child { via: registry, key: userId } and calls it by that name', async () => {
    const { runtime, users, sup } = await withUsers();
    const alice = await DynamicSupervisor.startChild(sup, session(users, 'alice'));
    const bob = await DynamicSupervisor.startChild(sup, session(users, 'bob'));
    expect(users.whereisName('alice')).toBe(alice);
    expect(users.lookup('bob')).toEqual([{ pid: bob, value: undefined }]);
    const aliceVia: Via = { via: users, key: 'alice' };
    expect(await GenServer.call(aliceVia, { type: 'whoami' }, { runtime })).toBe('alice');
    expect(await GenServer.call(aliceVia, { type: 'visit' }, { runtime })).toBe(1);
    expect(await GenServer.call(aliceVia, { type: 'visit' }, { runtime })).toBe(2);
    expect(await GenServer.call({ via: users, key: 'bob' }, { type: 'visit' }, { runtime })).toBe(
      1,
    );
    expect(runtime.resolve(aliceVia)).toBe(alice);
  });

  it('refuses a second process for the same user with NameTakenError', async () => {
    const { clock, users, sup } = await withUsers();
    const alice = await DynamicSupervisor.startChild(sup, session(users, 'alice'));
    const error = await rejection(DynamicSupervisor.startChild(sup, session(users, 'alice')));
    expect(error).toBeInstanceOf(NameTakenError);
    await clock.settle();
    expect(await children(sup)).toEqual([alice]);
    expect(users.whereisName('alice')).toBe(alice);
  });

  it('starts a user session on first use and finds it afterwards', async () => {
    const { runtime, users, sup } = await withUsers();
    const sessionFor = async (userId: string): Promise<Pid<any>> =>
      users.whereisName(userId) ??
      (await DynamicSupervisor.startChild(sup, session(users, userId)))!;
    const first = await sessionFor('carol');
    const again = await sessionFor('carol');
    expect(again).toBe(first);
    expect(await DynamicSupervisor.countChildren('Sessions', { runtime })).toMatchObject({
      active: 1,
    });
  });

  it('drops the registry entry when the child is terminated', async () => {
    const { runtime, clock, users, sup } = await withUsers();
    const alice = await DynamicSupervisor.startChild(sup, session(users, 'alice'));
    await DynamicSupervisor.terminateChild(sup, alice!);
    await clock.settle();
    expect(users.lookup('alice')).toEqual([]);
    expect(users.whereisName('alice')).toBeUndefined();
    expect(runtime.resolve({ via: users, key: 'alice' })).toBeUndefined();
    await expect(
      GenServer.call({ via: users, key: 'alice' }, { type: 'visit' }, { runtime }),
    ).rejects.toThrow(/no process/);
  });

  it('points the key at the restarted process after a crash', async () => {
    const { runtime, clock, users, sup } = await withUsers();
    const alice = await DynamicSupervisor.startChild(sup, session(users, 'alice'));
    await GenServer.call({ via: users, key: 'alice' }, { type: 'visit' }, { runtime });
    runtime.exit(alice!, 'kill');
    await clock.settle();
    const restarted = users.whereisName('alice');
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(alice);
    expect(await children(sup)).toEqual([restarted]);
    // A fresh process: the state starts over.
    expect(await GenServer.call({ via: users, key: 'alice' }, { type: 'visit' }, { runtime })).toBe(
      1,
    );
    expect(users.count()).toBe(1);
  });

  it('a transient session that ends normally leaves no entry behind', async () => {
    const { runtime, clock, users, sup } = await withUsers();
    const alice = await DynamicSupervisor.startChild(sup, session(users, 'alice', 'transient'));
    await GenServer.stop({ via: users, key: 'alice' }, 'normal', { runtime });
    await clock.settle();
    expect(runtime.isAlive(alice!)).toBe(false);
    expect(users.count()).toBe(0);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });
});

describe('DynamicSupervisor.stop()', () => {
  it('shuts every child down and exits', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const pids: Pid<any>[] = [];
    for (const id of ['a', 'b', 'c']) {
      pids.push((await DynamicSupervisor.startChild(sup, worker({ id, log, trap: true })))!);
    }
    const reasons = pids.map((pid) => exitReason(runtime, pid));
    log.length = 0;
    await DynamicSupervisor.stop(sup);
    await clock.settle();
    expect([...log].sort()).toEqual(['stop:a', 'stop:b', 'stop:c']);
    expect(reasons.map((r) => r.reason)).toEqual(['shutdown', 'shutdown', 'shutdown']);
    expect(runtime.isAlive(sup)).toBe(false);
    expect(runtime.processCount).toBe(0);
  });

  it('is what runtime.stop() does to it too', async () => {
    const { runtime } = virtualRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    await DynamicSupervisor.startChild(sup, worker({ id: 'a', log, trap: true }));
    await runtime.stop();
    expect(log).toEqual(['start:a', 'stop:a']);
    expect(runtime.processCount).toBe(0);
  });
});

describe('under a Supervisor', () => {
  it('nests through DynamicSupervisor.childSpec as a supervisor child', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const spec = DynamicSupervisor.childSpec({ name: 'Sessions', maxChildren: 2 });
    expect(spec).toMatchObject({ id: 'Sessions', type: 'supervisor' });
    expect(DynamicSupervisor.childSpec().id).toBe('DynamicSupervisor');
    // As Elixir's DynamicSupervisor.child_spec/1: the id is the name, or a via name's key.
    const sym = Symbol('Sessions');
    expect(DynamicSupervisor.childSpec({ name: sym }).id).toBe(sym);
    const names = new Registry<string>(runtime, { keys: 'unique' });
    expect(DynamicSupervisor.childSpec({ name: { via: names, key: 'jobs' } }).id).toBe('jobs');
    const top = await Supervisor.start([worker({ id: 'cache', log }), spec], { runtime });
    expect(await Supervisor.whichChildren(top)).toMatchObject([
      { id: 'cache', type: 'worker' },
      { id: 'Sessions', type: 'supervisor' },
    ]);
    const sessions = runtime.whereis('Sessions')!;
    expect(runtime.processInfo(sessions)?.parent).toBe(top);
    await DynamicSupervisor.startChild('Sessions', worker({ id: 's1', log, trap: true }), {
      runtime,
    });
    await DynamicSupervisor.startChild('Sessions', worker({ id: 's2', log, trap: true }), {
      runtime,
    });
    // The options reach the nested supervisor.
    await expect(
      DynamicSupervisor.startChild('Sessions', worker({ id: 's3', log }), { runtime }),
    ).rejects.toMatchObject({ reason: 'max_children' });
    log.length = 0;
    await Supervisor.stop(top);
    await clock.settle();
    expect(log.slice(0, 2).sort()).toEqual(['stop:s1', 'stop:s2']);
    expect(runtime.processCount).toBe(0);
  });

  it('is restarted by its parent, empty and under the same name, when it dies', async () => {
    const { runtime, clock } = virtualRuntime();
    const log: string[] = [];
    const top = await Supervisor.start([DynamicSupervisor.childSpec({ name: 'Jobs' })], {
      runtime,
    });
    const first = runtime.whereis('Jobs')!;
    const job = await DynamicSupervisor.startChild('Jobs', worker({ id: 'j', log }), { runtime });
    runtime.exit(first, 'kill');
    await clock.settle();
    const second = runtime.whereis('Jobs');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(runtime.isAlive(job!)).toBe(false);
    expect(await DynamicSupervisor.whichChildren('Jobs', { runtime })).toEqual([]);
    expect((await Supervisor.whichChildren(top))[0]!.pid).toBe(second);
  });

  it('escalates: past its intensity it exits shutdown and the parent restarts it', async () => {
    const { runtime, clock } = virtualRuntime();
    const top = await Supervisor.start(
      [DynamicSupervisor.childSpec({ name: 'Jobs', maxRestarts: 0 })],
      { runtime },
    );
    const first = runtime.whereis('Jobs')!;
    const firstExit = exitReason(runtime, first);
    const job = await DynamicSupervisor.startChild('Jobs', worker({ id: 'j', log: [] }), {
      runtime,
    });
    runtime.exit(job!, 'kill');
    await clock.settle();
    expect(firstExit).toEqual({ exited: true, reason: 'shutdown' });
    const second = runtime.whereis('Jobs')!;
    expect(second).not.toBe(first);
    expect(runtime.isAlive(second)).toBe(true);
    expect(runtime.isAlive(top)).toBe(true);
  });
});
