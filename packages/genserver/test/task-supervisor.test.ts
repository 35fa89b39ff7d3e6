import {
  Crash,
  ExitError,
  InvalidArgumentError,
  type Pid,
  type ReceiveContext,
  Registry,
  type Runtime,
  type VirtualClock,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { AlreadyStartedError, ChildError } from '../src/errors.js';
import { Supervisor } from '../src/supervisor.js';
import { Task, type TaskResult } from '../src/task.js';
import { TaskSupervisor } from '../src/task-supervisor.js';
import { collect, rejection, sleep, stopRuntimesAfterEach, virtualRuntime } from './support.js';

let runtime: Runtime;
let clock: VirtualClock;

function setup(): void {
  ({ runtime, clock } = virtualRuntime());
}

stopRuntimesAfterEach();

function exitOf(pid: Pid<any>): Promise<unknown> {
  return new Promise((resolve) => runtime.watch(pid, resolve));
}

describe('TaskSupervisor.start() and childSpec()', () => {
  it('starts an empty supervisor', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    expect(await TaskSupervisor.children(sup)).toEqual([]);
    await TaskSupervisor.stop(sup);
    expect(runtime.isAlive(sup)).toBe(false);
  });

  it('runs under a Supervisor as [TaskSupervisor, { name }], typed as a supervisor', async () => {
    setup();
    const app = await Supervisor.start([[TaskSupervisor, { name: 'AccountSetupSupervisor' }]], {
      runtime,
    });
    const [child] = await Supervisor.whichChildren(app);
    expect(child).toMatchObject({ id: 'AccountSetupSupervisor', type: 'supervisor' });
    const sup = runtime.whereis('AccountSetupSupervisor');
    expect(sup).toBe(child!.pid);
    const pid = await TaskSupervisor.startChild('AccountSetupSupervisor', (ctx) => ctx.receive(), {
      runtime,
    });
    expect(await TaskSupervisor.children('AccountSetupSupervisor', { runtime })).toEqual([pid]);
    await Supervisor.stop(app);
    expect(runtime.processCount).toBe(0);
  });

  // Elixir's task/supervisor_test.exs, "multiple supervisors can be supervised and
  // identified with simple child spec": the id is the name, or a via name's key.
  it('takes its id from a symbol name or a via key, so several run side by side', async () => {
    setup();
    const names = new Registry<string>(runtime, { keys: 'unique' });
    const simple = Symbol('simple_name');
    expect(TaskSupervisor.childSpec({ name: simple }).id).toBe(simple);
    expect(TaskSupervisor.childSpec({ name: { via: names, key: 'via_name' } }).id).toBe('via_name');
    const supsup = await Supervisor.start(
      [
        [TaskSupervisor, { name: 'string_name' }],
        [TaskSupervisor, { name: simple }],
        [TaskSupervisor, { name: { via: names, key: 'via_name' } }],
      ],
      { runtime },
    );
    const noName = await Supervisor.startChild(supsup, [TaskSupervisor, {}]);
    expect(await TaskSupervisor.children('string_name', { runtime })).toEqual([]);
    expect(await TaskSupervisor.children(simple, { runtime })).toEqual([]);
    expect(await TaskSupervisor.children({ via: names, key: 'via_name' }, { runtime })).toEqual([]);
    expect(await TaskSupervisor.children(noName!)).toEqual([]);
    const again = await rejection(Supervisor.startChild(supsup, [TaskSupervisor, {}]));
    expect(again).toBeInstanceOf(AlreadyStartedError);
    expect((again as AlreadyStartedError).pid).toBe(noName);
    await Supervisor.stop(supsup);
  });
});

describe('TaskSupervisor.startChild()', () => {
  it('starts a task under the supervisor, resolves with its PID and ignores its result', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pid = await TaskSupervisor.startChild(sup, async () => {
      await gate;
      return 'ignored';
    });
    expect(runtime.processInfo(pid)?.links).toEqual([sup]);
    expect(await TaskSupervisor.children(sup)).toEqual([pid]);
    release();
    await clock.settle();
    expect(runtime.isAlive(pid)).toBe(false);
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it('calls [module, functionName, args] as module[functionName](...args, ctx)', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const calls: unknown[][] = [];
    const Mailer = {
      greeting: 'hello',
      sendWelcome(this: { greeting: string }, user: string, ctx: ReceiveContext<any>) {
        calls.push([this.greeting, user, runtime.isAlive(ctx.self)]);
      },
    };
    await TaskSupervisor.startChild(sup, [Mailer, 'sendWelcome', ['ada']]);
    await clock.settle();
    expect(calls).toEqual([['hello', 'ada', true]]);
  });

  it('rejects what is neither a function nor an MFA with InvalidArgumentError', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    await expect(TaskSupervisor.startChild(sup, 'nope' as any)).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(TaskSupervisor.startChild(sup, [{}, 'missing', []])).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it("reruns a 'transient' task after a crash until it finishes", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let runs = 0;
    await TaskSupervisor.startChild(
      sup,
      () => {
        if (++runs < 3) throw new Error(`attempt ${runs}`);
      },
      { restart: 'transient' },
    );
    await clock.settle();
    expect(runs).toBe(3);
    expect(runtime.isAlive(sup)).toBe(true);
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it("does not rerun a 'transient' task after a normal or shutdown exit", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let normal = 0;
    let shutdown = 0;
    await TaskSupervisor.startChild(sup, () => void normal++, { restart: 'transient' });
    await TaskSupervisor.startChild(
      sup,
      (ctx) => {
        shutdown++;
        ctx.exit({ shutdown: 'done early' });
      },
      { restart: 'transient' },
    );
    await clock.settle();
    expect([normal, shutdown]).toEqual([1, 1]);
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it("never reruns a 'temporary' task (the default)", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let runs = 0;
    await TaskSupervisor.startChild(sup, () => {
      runs++;
      throw new Error('boom');
    });
    await clock.settle();
    expect(runs).toBe(1);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it("goes down with 'shutdown' past 3 restarts in 5 s, taking its other tasks along", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const exited = exitOf(sup);
    const bystander = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive());
    let runs = 0;
    await TaskSupervisor.startChild(
      sup,
      () => {
        runs++;
        throw new Error('always');
      },
      { restart: 'transient' },
    );
    expect(await exited).toBe('shutdown');
    expect(runs).toBe(4);
    expect(runtime.isAlive(bystander)).toBe(false);
  });

  it('keeps going when restarts are spread wider than maxSeconds', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime, maxRestarts: 3, maxSeconds: 5 });
    let runs = 0;
    await TaskSupervisor.startChild(
      sup,
      async (ctx) => {
        runs++;
        await sleep(ctx, 2000);
        if (runs < 7) throw new Error('flaky');
      },
      { restart: 'transient' },
    );
    await clock.advance(7 * 2000);
    expect(runs).toBe(7);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('escalates: a parent Supervisor restarts the TaskSupervisor that gave up', async () => {
    setup();
    const app = await Supervisor.start([[TaskSupervisor, { name: 'Tasks' }]], { runtime });
    const first = runtime.whereis('Tasks')!;
    const exited = exitOf(first);
    await TaskSupervisor.startChild(
      'Tasks',
      () => {
        throw new Error('always');
      },
      { restart: 'transient', runtime },
    );
    expect(await exited).toBe('shutdown');
    await clock.settle();
    const second = runtime.whereis('Tasks');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(runtime.isAlive(second!)).toBe(true);
    expect(runtime.isAlive(app)).toBe(true);
  });

  it('rejects with ChildError past maxChildren', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime, maxChildren: 1 });
    await TaskSupervisor.startChild(sup, (ctx) => ctx.receive());
    const error = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChildError);
    expect((error as ChildError).reason).toBe('max_children');
    expect((error as ChildError).message).toMatch(/reached the maximum number of tasks/);
  });
});

describe('TaskSupervisor.async() and asyncNolink()', () => {
  // Elixir's task/supervisor_test.exs "async/3" and "async_nolink/3" (async/5 and
  // async_nolink/5 with a module, a function name and arguments).
  it('call [module, functionName, args] as module[functionName](...args, ctx)', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const Greeter = {
      greeting: 'hello',
      greet(this: { greeting: string }, user: string, ctx: ReceiveContext<any>) {
        return [this.greeting, user, runtime.isAlive(ctx.self)];
      },
    };
    const linked = await TaskSupervisor.async(sup, [Greeter, 'greet', ['ada']]);
    const unlinked = await TaskSupervisor.asyncNolink(sup, [Greeter, 'greet', ['bob']]);
    expect(await Task.await(linked)).toEqual(['hello', 'ada', true]);
    expect(await Task.await(unlinked)).toEqual(['hello', 'bob', true]);
    for (const bad of [[Greeter, 'missing', []], [Greeter, 'greet'], 42]) {
      const error = await rejection(TaskSupervisor.asyncNolink(sup, bad as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
    }
  });

  // Elixir's task/supervisor_test.exs, async/1 and async_nolink/1 "raises when
  // :max_children is reached", and async_stream's "raises an error if :max_children is
  // reached with clean stream shutdown".
  it('rejects with ChildError max_children, saying the task supervisor is full', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime, maxChildren: 1 });
    await TaskSupervisor.asyncNolink(sup, (ctx) => ctx.receive());
    const refusals = [
      await rejection(TaskSupervisor.async(sup, () => 1)),
      await rejection(TaskSupervisor.asyncNolink(sup, () => 1)),
      await rejection(collect(TaskSupervisor.asyncStream(sup, [1], (n) => n))),
      await rejection(collect(TaskSupervisor.asyncStreamNolink(sup, [1], (n) => n))),
    ];
    for (const error of refusals) {
      expect(error).toBeInstanceOf(ChildError);
      expect((error as ChildError).reason).toBe('max_children');
      expect((error as ChildError).message).toMatch(/reached the maximum number of tasks/);
    }
  });

  it('returns a Task that Task.await resolves', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const task = await TaskSupervisor.async(sup, () => 21 * 2);
    expect(await Task.await(task)).toBe(42);
    expect(runtime.processInfo(task.pid)).toBeUndefined();
  });

  it('with `link`, a crash takes the linked process down', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const caller = runtime.spawn(async (ctx) => {
      for (;;) await ctx.receive();
    });
    const callerExit = exitOf(caller);
    const task = await TaskSupervisor.async(
      sup,
      () => {
        throw new Error('boom');
      },
      { link: caller },
    );
    expect(await callerExit).toBeInstanceOf(Crash);
    await expect(Task.await(task)).rejects.toBeInstanceOf(ExitError);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('asyncNolink: a crash gives { exit } and crashes nobody', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const caller = runtime.spawn(async (ctx) => {
      for (;;) await ctx.receive();
    });
    const task = await TaskSupervisor.asyncNolink(sup, () => {
      throw new Error('boom');
    });
    const result = (await Task.yield(task)) as { exit: unknown };
    expect(result.exit).toBeInstanceOf(Crash);
    expect(((result.exit as Crash).error as Error).message).toBe('boom');
    await clock.settle();
    expect(runtime.isAlive(sup)).toBe(true);
    expect(runtime.isAlive(caller)).toBe(true);
  });

  it('asyncNolink tasks are never restarted', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let runs = 0;
    const task = await TaskSupervisor.asyncNolink(sup, () => {
      runs++;
      throw new Error('boom');
    });
    await expect(Task.await(task)).rejects.toBeInstanceOf(ExitError);
    await clock.settle();
    expect(runs).toBe(1);
  });

  it('works with Task.shutdown, and the supervisor forgets the task', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const task = await TaskSupervisor.asyncNolink(sup, (ctx) => ctx.receive());
    expect(await TaskSupervisor.children(sup)).toEqual([task.pid]);
    expect(await Task.shutdown(task)).toBeUndefined();
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it("rejects Task.await with 'shutdown' when the supervisor stops", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const task = await TaskSupervisor.asyncNolink(sup, (ctx) => ctx.receive());
    const result = Task.await(task, Number.POSITIVE_INFINITY).catch((e: unknown) => e);
    await TaskSupervisor.stop(sup);
    expect(await result).toMatchObject({ reason: 'shutdown' });
  });
});

describe('TaskSupervisor.asyncStream() and asyncStreamNolink()', () => {
  // Elixir's task/supervisor_test.exs "streams an enumerable with mfa" (async_stream/6:
  // each item goes first, before the arguments).
  it('call [module, functionName, args] as module[functionName](item, ...args, ctx)', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const Scaler = {
      unit: 'x',
      scale(this: { unit: string }, n: number, by: number, ctx: ReceiveContext<any>) {
        return `${n * by}${this.unit}${runtime.isAlive(ctx.self) ? '' : '?'}`;
      },
    };
    const mfa = [Scaler, 'scale', [10]] as const;
    const expected = [{ ok: '10x' }, { ok: '20x' }];
    expect(await collect(TaskSupervisor.asyncStream(sup, [1, 2], mfa))).toEqual(expected);
    expect(await collect(TaskSupervisor.asyncStreamNolink(sup, [1, 2], mfa))).toEqual(expected);
    expect(() => TaskSupervisor.asyncStream(sup, [1], [Scaler, 'nope', []] as never)).toThrow(
      InvalidArgumentError,
    );
  });

  it('runs every item under the supervisor with bounded concurrency, in order', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    let current = 0;
    let max = 0;
    const stream = TaskSupervisor.asyncStream(
      sup,
      [40, 10, 30, 20, 5],
      async (ms, ctx) => {
        max = Math.max(max, ++current);
        await sleep(ctx, ms);
        current--;
        return ms;
      },
      { maxConcurrency: 2 },
    );
    const results = collect(stream);
    await clock.advance(200);
    expect(await results).toEqual([{ ok: 40 }, { ok: 10 }, { ok: 30 }, { ok: 20 }, { ok: 5 }]);
    expect(max).toBe(2);
  });

  it('asyncStream throws ExitError when a task crashes', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const stream = TaskSupervisor.asyncStream(sup, [1, 2], (n) => {
      if (n === 2) throw new Error('boom');
      return n;
    });
    await expect(collect(stream)).rejects.toBeInstanceOf(ExitError);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('asyncStreamNolink yields { exit: reason } for a crash and goes on', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const results: TaskResult<number>[] = await collect(
      TaskSupervisor.asyncStreamNolink(sup, [1, 2, 3], (n) => {
        if (n === 2) throw new Error('boom');
        return n * 10;
      }),
    );
    expect(results[0]).toEqual({ ok: 10 });
    expect((results[1] as { exit: unknown }).exit).toBeInstanceOf(Crash);
    expect(results[2]).toEqual({ ok: 30 });
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('throws ChildError when the supervisor is full', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime, maxChildren: 1 });
    const stream = TaskSupervisor.asyncStreamNolink(sup, [1, 2], (_n, ctx) => ctx.receive(), {
      maxConcurrency: 2,
    });
    await expect(collect(stream)).rejects.toBeInstanceOf(ChildError);
    await clock.settle();
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it('shuts the supervised tasks down when the loop breaks early', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    for await (const result of TaskSupervisor.asyncStreamNolink(
      sup,
      [0, 1, 2, 3],
      async (n, ctx) => {
        if (n > 0) await ctx.receive();
        return n;
      },
      { maxConcurrency: 4 },
    )) {
      expect(result).toEqual({ ok: 0 });
      break;
    }
    await clock.settle();
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });
});

describe('TaskSupervisor.children(), terminateChild() and stop()', () => {
  it('lists running tasks and terminates one without restarting it', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const a = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive(), {
      restart: 'transient',
    });
    const b = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive());
    expect(await TaskSupervisor.children(sup)).toEqual([a, b]);
    await TaskSupervisor.terminateChild(sup, a);
    await clock.settle();
    expect(runtime.isAlive(a)).toBe(false);
    expect(await TaskSupervisor.children(sup)).toEqual([b]);
  });

  it('rejects terminateChild of an unknown PID with ChildError not_found', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const other = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    await expect(TaskSupervisor.terminateChild(sup, other)).rejects.toMatchObject({
      reason: 'not_found',
    });
  });

  // Elixir's Task.Supervisor takes `shutdown: :infinity` (a timeout()) in start_child,
  // async and async_nolink; its async_stream does not ("... a positive integer or
  // :brutal_kill", task/supervisor_test.exs "does not allow streaming with invalid :shutdown").
  it("gives a task started with shutdown 'infinity' all the time it needs to stop", async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const starts = [
      (fn: (ctx: ReceiveContext<unknown>) => unknown) =>
        TaskSupervisor.startChild(sup, fn, { shutdown: 'infinity' }),
      async (fn: (ctx: ReceiveContext<unknown>) => unknown) =>
        (await TaskSupervisor.async(sup, fn, { shutdown: 'infinity' })).pid,
      async (fn: (ctx: ReceiveContext<unknown>) => unknown) =>
        (await TaskSupervisor.asyncNolink(sup, fn, { shutdown: 'infinity' })).pid,
    ];
    const tasks: Pid<any>[] = [];
    for (const start of starts) {
      tasks.push(
        await start(async (ctx) => {
          ctx.trapExit(true);
          await ctx.receive((m) => m === 'go');
        }),
      );
    }
    const stopped = TaskSupervisor.stop(sup, 'shutdown');
    await clock.advance(3_600_000);
    expect(tasks.map((task) => runtime.isAlive(task))).toEqual([true, true, true]);
    for (const task of tasks.reverse()) {
      const exited = exitOf(task);
      runtime.send(task, 'go');
      expect(await exited).toBe('normal');
    }
    await stopped;
    expect(() =>
      TaskSupervisor.asyncStream(sup, [], (n) => n, { shutdown: 'infinity' as never }),
    ).toThrow(InvalidArgumentError);
  });

  it('stop() stops every task with the supervisor', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const task = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive());
    await TaskSupervisor.stop(sup);
    expect(runtime.isAlive(task)).toBe(false);
    expect(runtime.processCount).toBe(0);
  });
});
