// Issue #12 (invariant 2), for the behaviours' public entry points: each hostile value in
// each argument position of GenServer, Task, Agent, Supervisor, DynamicSupervisor and
// TaskSupervisor (and in the options that take a value of their own: yieldMany's
// timeout, onTimeout and limit, DynamicSupervisor's extraArguments) either works or gets a typed actorkit error — a rejection from every
// function that returns a promise, never a synchronous throw — and never a raw TypeError
// (`instanceof`, a spread or `Object.keys` on a revoked proxy). Afterwards a fresh
// GenServer answers, and Node saw no unhandled rejection.
import { defaultRuntime, type Pid, type Runtime, type VirtualClock } from '@actorkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type HostileCall, sweepCall } from '../../core/test/hostile-calls.js';
import { watchNode } from '../../core/test/hostile-values.js';
import {
  Agent,
  type ChildSpec,
  DynamicSupervisor,
  type From,
  GenServer,
  ok,
  reply,
  Supervisor,
  Task,
  TaskSupervisor,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
const node = watchNode();
// A hostile name is looked up in the default runtime (the call has no `runtime` option).
afterAll(() => defaultRuntime().stop({ timeout: 0 }));

class Echo extends GenServer<null, string> {
  init() {
    return ok(null);
  }
  override handleCall(text: string, _from: From, state: null) {
    return reply(String(text), state);
  }
}

const worker = (id: string): ChildSpec => ({
  id,
  start: ({ runtime, self }) => GenServer.startLink(Echo, null, { runtime, link: self }),
});

/** What the calls work on, each started on first use: a fresh set per call. */
interface Fixture {
  runtime: Runtime;
  server(): Promise<Pid<any>>;
  /** A Supervisor with one running child, `'worker'`. */
  supervisor(): Promise<Pid<any>>;
  /** A DynamicSupervisor with one running child, `dynamicChild`. */
  dynamic(): Promise<Pid<any>>;
  dynamicChild(): Promise<Pid<any>>;
  /** A TaskSupervisor with one task waiting, `supervisedTask`. */
  tasks(): Promise<Pid<any>>;
  supervisedTask(): Promise<Pid<any>>;
  /** A Task that waits for a message. */
  task(): Task<unknown>;
  /** An Agent holding 0. */
  agent(): Promise<Pid<any>>;
}

function fixture(runtime: Runtime): Fixture {
  const once = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const dynamic = once(() => DynamicSupervisor.start({ runtime }));
  const dynamicChild = once(async () => {
    return (await DynamicSupervisor.startChild(await dynamic(), worker('dynamic')))!;
  });
  const tasks = once(() => TaskSupervisor.start({ runtime }));
  const supervisedTask = once(async () =>
    TaskSupervisor.startChild(await tasks(), (ctx) => ctx.receive()),
  );
  return {
    runtime,
    server: once(() => GenServer.start(Echo, null, { runtime })),
    supervisor: once(() => Supervisor.start([worker('worker')], { runtime })),
    dynamic,
    dynamicChild,
    tasks,
    supervisedTask,
    task: once(() => Task.async((ctx) => ctx.receive(), { runtime })),
    agent: once(() => Agent.start(() => 0, { runtime })),
  };
}

type Api = HostileCall<Fixture>;

const genServerApis: Api[] = [
  {
    name: 'GenServer.start(module, arg, options)',
    async: true,
    args: (f) => [Echo, null, { runtime: f.runtime }],
    call: (_, [m, a, o]) => GenServer.start(m as typeof Echo, a as never, o as {}),
  },
  {
    name: 'GenServer.call(server, request, timeout)',
    async: true,
    args: async (f) => [await f.server(), 'hi', 1000],
    call: (_, [s, r, t]) => GenServer.call(s as Pid<any>, r as never, t as number),
  },
  {
    name: 'GenServer.cast(server, request, options)',
    args: async (f) => [await f.server(), 'hi', { runtime: f.runtime }],
    call: (_, [s, r, o]) => GenServer.cast(s as Pid<any>, r as never, o as {}),
  },
  {
    name: 'GenServer.stop(server, reason, timeout)',
    async: true,
    args: async (f) => [await f.server(), 'normal', 1000],
    call: (_, [s, r, t]) => GenServer.stop(s as Pid<any>, r, t as number),
  },
  {
    name: 'GenServer.getState(server, timeout)',
    async: true,
    args: async (f) => [await f.server(), 1000],
    call: (_, [s, t]) => GenServer.getState(s as Pid<any>, t as number),
  },
  {
    name: 'GenServer.getStatus(server, timeout)',
    async: true,
    args: async (f) => [await f.server(), 1000],
    call: (_, [s, t]) => GenServer.getStatus(s as Pid<any>, t as number),
  },
  {
    name: 'GenServer.replaceState(server, update, timeout)',
    async: true,
    args: async (f) => [await f.server(), (state: unknown) => state, 1000],
    call: (_, [s, u, t]) => GenServer.replaceState(s as Pid<any>, u as never, t as number),
  },
  {
    name: 'GenServer.whereis(server, options)',
    args: async (f) => [await f.server(), { runtime: f.runtime }],
    call: (_, [s, o]) => GenServer.whereis(s as Pid<any>, o as {}),
  },
];

const taskApis: Api[] = [
  {
    name: 'Task.start(fn, options)',
    args: (f) => [() => 1, { runtime: f.runtime }],
    call: (_, [fn, o]) => Task.start(fn as () => number, o as {}),
  },
  {
    name: 'Task.async(fn, options)',
    args: (f) => [() => 1, { runtime: f.runtime }],
    call: (_, [fn, o]) => Task.async(fn as () => number, o as {}),
  },
  {
    // The outcome goes to a process as messages too: a hostile result or throw reaches it.
    name: 'Task.async with replyTo(fn, options)',
    args: (f) => [() => 1, { runtime: f.runtime, replyTo: f.runtime.spawn({ handle() {} }) }],
    call: (_, [fn, o]) => Task.async(fn as () => number, o as {}),
  },
  {
    name: 'Task.await(task, timeout)',
    async: true,
    args: (f) => [f.task(), 10],
    call: (_, [task, t]) => Task.await(task as Task<unknown>, t as number),
  },
  {
    name: 'Task.yield(task, timeout)',
    async: true,
    args: (f) => [f.task(), 10],
    call: (_, [task, t]) => Task.yield(task as Task<unknown>, t as number),
  },
  {
    name: 'Task.shutdown(task, timeout)',
    async: true,
    args: (f) => [f.task(), 10],
    call: (_, [task, t]) => Task.shutdown(task as Task<unknown>, t as number),
  },
  {
    name: 'Task.awaitMany(tasks, timeout)',
    async: true,
    args: (f) => [[f.task()], 10],
    call: (_, [tasks, t]) => Task.awaitMany(tasks as Task<unknown>[], t as number),
  },
  {
    name: 'Task.yieldMany(tasks, options)',
    async: true,
    args: (f) => [[f.task()], { timeout: 10, onTimeout: 'kill_task', limit: 1 }],
    call: (_, [tasks, o]) => Task.yieldMany(tasks as Task<unknown>[], o as {}),
  },
  ...(['timeout', 'onTimeout', 'limit'] as const).map(
    (key): Api => ({
      name: `Task.yieldMany(tasks, { ${key} }) with (${key})`,
      async: true,
      args: (f) => [[f.task()], { timeout: 10, onTimeout: 'ignore', limit: 1 }[key]],
      call: (_, [tasks, value]) =>
        Task.yieldMany(tasks as Task<unknown>[], { timeout: 10, [key]: value }),
    }),
  ),
  {
    name: 'Task.ignore(task)',
    args: (f) => [f.task()],
    call: (_, [task]) => Task.ignore(task as Task<unknown>),
  },
  {
    name: 'Task.childSpec(fn)',
    args: () => [() => 1],
    call: (_, [fn]) => Task.childSpec(fn as () => number),
  },
  {
    name: 'Supervisor.start([[Task, fn]]) with (fn)',
    async: true,
    args: () => [() => 1],
    call: (f, [fn]) => Supervisor.start([[Task, fn as () => number]], { runtime: f.runtime }),
  },
];

const agentApis: Api[] = [
  ...(['start', 'startLink'] as const).map(
    (fn): Api => ({
      name: `Agent.${fn}(fn, options)`,
      async: true,
      args: (f) => [
        () => 0,
        fn === 'start'
          ? { runtime: f.runtime }
          : { runtime: f.runtime, link: f.runtime.spawn(() => new Promise(() => {})) },
      ],
      call: (_, [init, o]) => Agent[fn](init as () => number, o as { link: Pid<any> }),
    }),
  ),
  ...(['get', 'update'] as const).map(
    (fn): Api => ({
      name: `Agent.${fn}(agent, fn, timeout)`,
      async: true,
      args: async (f) => [await f.agent(), (n: number) => n, 1000],
      call: (_, [a, g, t]) =>
        fn === 'get'
          ? Agent.get(a as Pid<any>, g as (n: number) => number, t as number)
          : Agent.update(a as Pid<any>, g as (n: number) => number, t as number),
    }),
  ),
  {
    name: 'Agent.getAndUpdate(agent, fn, timeout)',
    async: true,
    args: async (f) => [await f.agent(), (n: number) => [n, n + 1], 1000],
    call: (_, [a, g, t]) =>
      Agent.getAndUpdate(a as Pid<any>, g as (n: number) => [number, number], t as number),
  },
  {
    name: 'Agent.cast(agent, fn, options)',
    args: async (f) => [await f.agent(), (n: number) => n + 1, { runtime: f.runtime }],
    call: (_, [a, g, o]) => Agent.cast(a as Pid<any>, g as (n: number) => number, o as {}),
  },
  {
    name: 'Agent.stop(agent, reason, timeout)',
    async: true,
    args: async (f) => [await f.agent(), 'normal', 1000],
    call: (_, [a, r, t]) => Agent.stop(a as Pid<any>, r, t as number),
  },
  {
    name: 'Agent.childSpec(fn)',
    args: () => [() => 0],
    call: (_, [fn]) => Agent.childSpec(fn as () => number),
  },
  {
    name: 'Supervisor.start([[Agent, fn]]) with (fn)',
    async: true,
    args: () => [() => 0],
    call: (f, [fn]) => Supervisor.start([[Agent, fn as () => number]], { runtime: f.runtime }),
  },
];

const supervisorApis: Api[] = [
  {
    name: 'Supervisor.start(children, options)',
    async: true,
    args: (f) => [[worker('worker')], { runtime: f.runtime }],
    call: (_, [c, o]) => Supervisor.start(c as ChildSpec[], o as {}),
  },
  {
    name: 'Supervisor.startChild(supervisor, spec, options)',
    async: true,
    args: async (f) => [await f.supervisor(), worker('other'), {}],
    call: (_, [s, spec, o]) => Supervisor.startChild(s as Pid<any>, spec as ChildSpec, o as {}),
  },
  ...(['terminateChild', 'restartChild', 'deleteChild'] as const).map(
    (fn): Api => ({
      name: `Supervisor.${fn}(supervisor, id, options)`,
      async: true,
      args: async (f) => [await f.supervisor(), 'worker', {}],
      call: (_, [s, id, o]) => Supervisor[fn](s as Pid<any>, id as string, o as {}),
    }),
  ),
  ...(['whichChildren', 'countChildren', 'getFlags', 'restartCount'] as const).map(
    (fn): Api => ({
      name: `Supervisor.${fn}(supervisor, options)`,
      async: true,
      args: async (f) => [await f.supervisor(), {}],
      call: (_, [s, o]) => Supervisor[fn](s as Pid<any>, o as {}),
    }),
  ),
  {
    name: 'Supervisor.stop(supervisor, reason, options)',
    async: true,
    args: async (f) => [await f.supervisor(), 'normal', {}],
    call: (_, [s, r, o]) => Supervisor.stop(s as Pid<any>, r, o as {}),
  },
];

const dynamicSupervisorApis: Api[] = [
  {
    name: 'DynamicSupervisor.start(options)',
    async: true,
    args: (f) => [{ runtime: f.runtime }],
    call: (_, [o]) => DynamicSupervisor.start(o as {}),
  },
  {
    name: 'DynamicSupervisor.start({ runtime, extraArguments }) with (extraArguments)',
    async: true,
    args: () => [[1]],
    call: (f, [extra]) =>
      DynamicSupervisor.start({ runtime: f.runtime, extraArguments: extra as unknown[] }),
  },
  {
    name: 'DynamicSupervisor.startChild(supervisor, spec, options)',
    async: true,
    args: async (f) => [await f.dynamic(), worker('other'), {}],
    call: (_, [s, spec, o]) =>
      DynamicSupervisor.startChild(s as Pid<any>, spec as ChildSpec, o as {}),
  },
  {
    name: 'DynamicSupervisor.terminateChild(supervisor, pid, options)',
    async: true,
    args: async (f) => [await f.dynamic(), await f.dynamicChild(), {}],
    call: (_, [s, p, o]) => DynamicSupervisor.terminateChild(s as Pid<any>, p as Pid<any>, o as {}),
  },
  ...(['whichChildren', 'countChildren', 'getFlags', 'restartCount'] as const).map(
    (fn): Api => ({
      name: `DynamicSupervisor.${fn}(supervisor, options)`,
      async: true,
      args: async (f) => [await f.dynamic(), {}],
      call: (_, [s, o]) => DynamicSupervisor[fn](s as Pid<any>, o as {}),
    }),
  ),
  {
    name: 'DynamicSupervisor.stop(supervisor, reason, options)',
    async: true,
    args: async (f) => [await f.dynamic(), 'normal', {}],
    call: (_, [s, r, o]) => DynamicSupervisor.stop(s as Pid<any>, r, o as {}),
  },
];

const taskSupervisorApis: Api[] = [
  {
    name: 'TaskSupervisor.start(options)',
    async: true,
    args: (f) => [{ runtime: f.runtime }],
    call: (_, [o]) => TaskSupervisor.start(o as {}),
  },
  {
    name: 'TaskSupervisor.startChild(supervisor, task, options)',
    async: true,
    args: async (f) => [await f.tasks(), () => 1, {}],
    call: (_, [s, t, o]) => TaskSupervisor.startChild(s as Pid<any>, t as () => number, o as {}),
  },
  ...(['async', 'asyncNolink'] as const).map(
    (fn): Api => ({
      name: `TaskSupervisor.${fn}(supervisor, fn, options)`,
      async: true,
      args: async (f) => [await f.tasks(), () => 1, {}],
      call: (_, [s, t, o]) => TaskSupervisor[fn](s as Pid<any>, t as () => number, o as {}),
    }),
  ),
  ...(['children', 'countChildren', 'getFlags', 'restartCount'] as const).map(
    (fn): Api => ({
      name: `TaskSupervisor.${fn}(supervisor, options)`,
      async: true,
      args: async (f) => [await f.tasks(), {}],
      call: (_, [s, o]) => TaskSupervisor[fn](s as Pid<any>, o as {}),
    }),
  ),
  {
    name: 'TaskSupervisor.terminateChild(supervisor, pid, options)',
    async: true,
    args: async (f) => [await f.tasks(), await f.supervisedTask(), {}],
    call: (_, [s, p, o]) => TaskSupervisor.terminateChild(s as Pid<any>, p as Pid<any>, o as {}),
  },
  {
    name: 'TaskSupervisor.stop(supervisor, reason, options)',
    async: true,
    args: async (f) => [await f.tasks(), 'normal', {}],
    call: (_, [s, r, o]) => TaskSupervisor.stop(s as Pid<any>, r, o as {}),
  },
];

/**
 * Sweeps `api` on a fresh runtime, letting each call settle (a call still pending once
 * the runtime is idle and its timers have fired counts as working), then checks that a
 * fresh GenServer answers.
 */
async function sweepBehaviour(api: Api): Promise<void> {
  const { runtime, clock } = virtualRuntime();
  const failures = await sweepCall(
    api,
    () => fixture(runtime),
    (op) => settled(clock, op(undefined)),
  );
  expect(failures).toEqual([]);
  const echo = await GenServer.start(Echo, null, { runtime });
  const answer = GenServer.call(echo, 'still alive');
  await clock.settle();
  expect(await answer).toBe('still alive');
  await node.assertQuiet();
}

/** What `verdict` comes to once the runtime is idle and 10 s have passed, if it has come. */
async function settled<T>(clock: VirtualClock, verdict: Promise<T>): Promise<T | undefined> {
  let result: { value: T } | undefined;
  void verdict.then((value) => {
    result = { value };
  });
  await clock.advance(10_000);
  return result?.value;
}

describe('GenServer, given a hostile argument', () => {
  it.each(genServerApis)('$name works or fails with an actorkit error', sweepBehaviour);
});

describe('Task, given a hostile argument', () => {
  it.each(taskApis)('$name works or fails with an actorkit error', sweepBehaviour);
});

describe('Agent, given a hostile argument', () => {
  it.each(agentApis)('$name works or fails with an actorkit error', sweepBehaviour);
});

describe('Supervisor, given a hostile argument', () => {
  it.each(supervisorApis)('$name works or fails with an actorkit error', sweepBehaviour);
});

describe('DynamicSupervisor, given a hostile argument', () => {
  it.each(dynamicSupervisorApis)('$name works or fails with an actorkit error', sweepBehaviour);
});

describe('TaskSupervisor, given a hostile argument', () => {
  it.each(taskSupervisorApis)('$name works or fails with an actorkit error', sweepBehaviour);
});
