// Elixir's own lib/elixir/test/elixir/task/supervisor_test.exs, ported case by case
// (each `it` names the Elixir test it comes from). What maps differently, and why:
// starting a task is a call, so async/asyncNolink resolve with the Task; JavaScript has no
// implicit caller, so "linked to the caller" is `link: ctx.self`; a task's result and
// exit reach Task.await/yield, not the caller's mailbox as {ref, result} and :DOWN; an
// awaited task that times out is shut down (Elixir exits the caller, which takes a linked
// task along); the stream's {:exit, {input, reason}} is { exit: reason, input }. Not
// ported: spawn_opt priority, :proc_lib initial calls and $callers/$ancestors, which have
// no equivalent here (a supervised task's processInfo.parent is its supervisor).
import {
  ExitError,
  InvalidArgumentError,
  type Pid,
  type ReceiveContext,
  Registry,
  type Runtime,
  TIMEOUT,
  TimeoutError,
  type VirtualClock,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { DynamicSupervisor } from '../src/dynamic-supervisor.js';
import { type AlreadyStartedError, ChildError } from '../src/errors.js';
import { Supervisor } from '../src/supervisor.js';
import { Task } from '../src/task.js';
import { TaskSupervisor } from '../src/task-supervisor.js';
import { collect, exitOf, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

let runtime: Runtime;
let clock: VirtualClock;

async function setup(options: { maxChildren?: number } = {}) {
  ({ runtime, clock } = virtualRuntime());
  return TaskSupervisor.start({ runtime, ...options });
}

/** Elixir's sleep/1: waits `ms` of the virtual clock (forever for Infinity), returns it. */
async function sleep(ms: number, ctx: ReceiveContext<any>): Promise<number> {
  if (ms === Number.POSITIVE_INFINITY) await ctx.receive((m) => m === 'never');
  else await ctx.receive((m) => m === 'never', { timeout: ms });
  return ms;
}

/** Runs `body` in a process (Elixir's test process), and resolves with what it returns or throws. */
function inProcess<T>(
  body: (ctx: ReceiveContext<any>) => Promise<T>,
  options: { trapExit?: boolean } = {},
): { pid: Pid<any>; outcome: Promise<{ ok: T } | { thrown: unknown }> } {
  let settle!: (outcome: { ok: T } | { thrown: unknown }) => void;
  const outcome = new Promise<{ ok: T } | { thrown: unknown }>((resolve) => {
    settle = resolve;
  });
  const pid = runtime.spawn(async (ctx) => {
    ctx.trapExit(options.trapExit ?? false);
    try {
      settle({ ok: await body(ctx) });
    } catch (error) {
      settle({ thrown: error });
    }
  });
  return { pid, outcome };
}

/** wait_and_send/2: reports :ready, waits for true, answers `atom`. */
async function waitAndSend(parent: Pid<any>, atom: string, ctx: ReceiveContext<any>) {
  ctx.send(parent, 'ready');
  await ctx.receive((m) => m === true);
  ctx.send(parent, atom);
  return atom;
}

describe('TaskSupervisor, as task/supervisor_test.exs', () => {
  it('can be supervised directly', async () => {
    ({ runtime, clock } = virtualRuntime());
    const app = await Supervisor.start([[TaskSupervisor, { name: 'can_be_supervised' }]], {
      runtime,
    });
    expect(runtime.whereis('can_be_supervised')).toBeDefined();
    await Supervisor.stop(app);
  });

  it('multiple supervisors can be supervised and identified with simple child spec', async () => {
    ({ runtime, clock } = virtualRuntime());
    const names = new Registry<string>(runtime, { keys: 'unique' });
    const global = Symbol('global_name');
    const supsup = await Supervisor.start(
      [
        [TaskSupervisor, { name: 'simple_name' }],
        [TaskSupervisor, { name: global }],
        [TaskSupervisor, { name: { via: names, key: 'via_name' } }],
      ],
      { runtime },
    );
    const noName = (await Supervisor.startChild(supsup, [TaskSupervisor, {}]))!;
    expect(await TaskSupervisor.children('simple_name', { runtime })).toEqual([]);
    expect(await TaskSupervisor.children(global, { runtime })).toEqual([]);
    expect(await TaskSupervisor.children({ via: names, key: 'via_name' }, { runtime })).toEqual([]);
    expect(await TaskSupervisor.children(noName)).toEqual([]);
    const again = await rejection(Supervisor.startChild(supsup, [TaskSupervisor, {}]));
    expect((again as AlreadyStartedError).pid).toBe(noName);
    await Supervisor.stop(supsup);
  });

  it('counts and returns children', async () => {
    const sup = await setup();
    const none = { active: 0, specs: 0, supervisors: 0, workers: 0 };
    expect(await TaskSupervisor.children(sup)).toEqual([]);
    expect(await Supervisor.countChildren(sup)).toEqual(none);
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    expect(await DynamicSupervisor.countChildren(sup)).toEqual(none);
  });

  it('async/1 spawns tasks under the supervisor, linked to the caller', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      const task = await TaskSupervisor.async(sup, (t) => waitAndSend(ctx.self, 'done', t), {
        link: ctx.self,
      });
      expect(await TaskSupervisor.children(sup)).toEqual([task.pid]);
      expect(runtime.processInfo(ctx.self)?.links).toContainEqual(task.pid);
      expect(runtime.processInfo(task.pid)?.parent).toBe(sup);
      await ctx.receive((m) => m === 'ready');
      const exited = exitOf(runtime, task.pid);
      ctx.send(task.pid, true);
      return [await Task.await(task), await exited];
    });
    expect(await outcome).toEqual({ ok: ['done', 'normal'] });
  });

  it.each(['async', 'asyncNolink', 'startChild'] as const)(
    '%s with custom shutdown: brutal_kill kills the task when the supervisor shuts down',
    async (start) => {
      const sup = await setup();
      const fn = (ctx: ReceiveContext<any>) => ctx.receive();
      const pid =
        start === 'startChild'
          ? await TaskSupervisor.startChild(sup, fn, { shutdown: 'brutal_kill' })
          : (await TaskSupervisor[start](sup, fn, { shutdown: 'brutal_kill' })).pid;
      const exited = exitOf(runtime, pid);
      runtime.exit(sup, 'shutdown');
      expect(await exited).toBe('killed');
    },
  );

  it('async_nolink/1 spawns a task under the supervisor without linking to the caller', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      const task = await TaskSupervisor.asyncNolink(sup, (t) => waitAndSend(ctx.self, 'done', t));
      expect(await TaskSupervisor.children(sup)).toEqual([task.pid]);
      expect(runtime.processInfo(ctx.self)?.links).not.toContainEqual(task.pid);
      await ctx.receive((m) => m === 'ready');
      ctx.send(task.pid, true);
      return Task.await(task);
    });
    expect(await outcome).toEqual({ ok: 'done' });
  });

  it('start_child/1 and start_child/3: under the supervisor, not linked to the caller', async () => {
    const sup = await setup();
    const module = { waitAndSend };
    const { outcome } = inProcess(async (ctx) => {
      const a = await TaskSupervisor.startChild(sup, (t) => waitAndSend(ctx.self, 'done', t));
      const b = await TaskSupervisor.startChild(sup, [module, 'waitAndSend', [ctx.self, 'mfa']]);
      expect(await TaskSupervisor.children(sup)).toEqual([a, b]);
      expect(runtime.processInfo(ctx.self)?.links).toEqual([]);
      await ctx.receive((m) => m === 'ready');
      await ctx.receive((m) => m === 'ready');
      ctx.send(a, true);
      ctx.send(b, true);
      return [await ctx.receive((m) => m === 'done'), await ctx.receive((m) => m === 'mfa')];
    });
    expect(await outcome).toEqual({ ok: ['done', 'mfa'] });
  });

  it('start_child/1 with custom restart: a permanent task runs again after any exit', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      const pid = await TaskSupervisor.startChild(sup, (t) => waitAndSend(ctx.self, 'done', t), {
        restart: 'permanent',
      });
      await ctx.receive((m) => m === 'ready');
      const exited = exitOf(runtime, pid);
      runtime.exit(pid, 'shutdown');
      const reason = await exited;
      await ctx.receive((m) => m === 'ready');
      const [again] = await TaskSupervisor.children(sup);
      return [reason, again !== undefined && again !== pid];
    });
    expect(await outcome).toEqual({ ok: ['shutdown', true] });
  });

  it('terminate_child/2', async () => {
    const sup = await setup();
    const pid = await TaskSupervisor.startChild(sup, (ctx) => ctx.receive());
    expect(await TaskSupervisor.children(sup)).toEqual([pid]);
    await TaskSupervisor.terminateChild(sup, pid);
    expect(await TaskSupervisor.children(sup)).toEqual([]);
    const error = await rejection(TaskSupervisor.terminateChild(sup, pid));
    expect((error as ChildError).reason).toBe('not_found');
  });

  it('await/1 on timeout: the result never arrives afterwards', async () => {
    const sup = await setup();
    const task = await TaskSupervisor.async(sup, async (ctx) => {
      await ctx.receive((m) => m === 'go');
      return 'done';
    });
    expect(await rejection(Task.await(task, 0))).toBeInstanceOf(TimeoutError);
    await clock.settle();
    expect(runtime.isAlive(task.pid)).toBe(false);
    // Taken by the timeout, as documented: asking again is an error, never a late result.
    expect(await rejection(Task.yield(task, 0))).toMatchObject({ code: 'TASK_CONSUMED' });
  });

  it.each([
    ['throw', (ctx: ReceiveContext<any>) => ctx.exit('never'), 'never'],
    [
      'error',
      () => {
        throw new Error('oops');
      },
      undefined,
    ],
    ['exit', (ctx: ReceiveContext<any>) => ctx.exit('unknown'), 'unknown'],
  ] as const)('await/1 exits on task %s', async (_label, fn, reason) => {
    const sup = await setup();
    const task = await TaskSupervisor.asyncNolink(sup, fn);
    const error = await rejection(Task.await(task));
    expect(error).toBeInstanceOf(ExitError);
    if (reason !== undefined) expect((error as ExitError).reason).toBe(reason);
  });
});

describe.each([
  ['async_stream', false, {}],
  ['async_stream_nolink', true, { maxConcurrency: 4 }],
] as const)('TaskSupervisor %s, as task/supervisor_test.exs', (_name, nolink, opts) => {
  /** The stream, linked to `ctx` (async_stream) or to nobody (async_stream_nolink). */
  function stream<T, R>(
    sup: Pid<any>,
    items: T[],
    fn: (item: T, ctx: ReceiveContext<any>) => R | Promise<R>,
    ctx: ReceiveContext<any>,
    more: Record<string, unknown> = {},
  ) {
    return nolink
      ? TaskSupervisor.asyncStreamNolink(sup, items, fn, { ...opts, ...more })
      : TaskSupervisor.asyncStream(sup, items, fn, { ...opts, ...more, link: ctx.self });
  }

  it('streams an enumerable with fun, without leaking tasks or messages', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      const results = await collect(stream(sup, [1, 2, 3, 4], sleep, ctx));
      return [results, await ctx.receive({ timeout: 0 }), await TaskSupervisor.children(sup)];
    });
    await clock.advance(10);
    const ok = [{ ok: 1 }, { ok: 2 }, { ok: 3 }, { ok: 4 }];
    expect(await outcome).toEqual({ ok: [ok, TIMEOUT, []] });
  });

  it('streams an enumerable with slowest first', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => collect(stream(sup, [4, 3, 2, 1], sleep, ctx)), {
      trapExit: true,
    });
    await clock.advance(10);
    expect(await outcome).toEqual({ ok: [{ ok: 4 }, { ok: 3 }, { ok: 2 }, { ok: 1 }] });
  });

  it('streams an enumerable with exits', async () => {
    const sup = await setup();
    const exit = (n: number, ctx: ReceiveContext<any>) => ctx.exit(String(n));
    const { outcome } = inProcess(async (ctx) => collect(stream(sup, [1, 2, 3, 4], exit, ctx)), {
      trapExit: true,
    });
    expect(await outcome).toEqual({
      ok: [{ exit: '1' }, { exit: '2' }, { exit: '3' }, { exit: '4' }],
    });
  });

  it('shuts down unused tasks, without leaking messages', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      const taken: unknown[] = [];
      for await (const result of stream(sup, [0, Infinity, Infinity, Infinity], sleep, ctx)) {
        taken.push(result);
        break;
      }
      await clock.settle();
      return [
        taken,
        runtime.processInfo(ctx.self)?.links,
        await TaskSupervisor.children(sup),
        await ctx.receive({ timeout: 0 }),
      ];
    });
    await clock.advance(10);
    expect(await outcome).toEqual({ ok: [[{ ok: 0 }], [], [], TIMEOUT] });
  });

  it('raises an error if :max_children is reached with clean stream shutdown', async () => {
    const sup = await setup({ maxChildren: 1 });
    const { outcome } = inProcess(async (ctx) => {
      const error = await rejection(
        collect(stream(sup, [Infinity, Infinity, Infinity], sleep, ctx, { maxConcurrency: 2 })),
      );
      await clock.settle();
      return [error, runtime.processInfo(ctx.self)?.links, await TaskSupervisor.children(sup)];
    });
    const { ok } = (await outcome) as { ok: unknown[] };
    expect(ok[0]).toBeInstanceOf(ChildError);
    expect((ok[0] as ChildError).message).toMatch(/reached the maximum number of tasks/);
    expect(ok.slice(1)).toEqual([[], []]);
  });

  it('with timeout and :zip_input_on_exit set to true', async () => {
    const sup = await setup();
    const { outcome } = inProcess(
      async (ctx) =>
        collect(
          stream(sup, [1, 100], sleep, ctx, {
            zipInputOnExit: true,
            onTimeout: 'kill_task',
            timeout: 50,
          }),
        ),
      { trapExit: true },
    );
    await clock.advance(200);
    expect(await outcome).toEqual({ ok: [{ ok: 1 }, { exit: 'timeout', input: 100 }] });
  });

  it('with outer halt on failure and :zip_input_on_exit', async () => {
    const sup = await setup();
    const exit = (n: number, ctx: ReceiveContext<any>) => ctx.exit(n);
    const { outcome } = inProcess(
      async (ctx) => {
        const taken: unknown[] = [];
        for await (const r of stream(sup, [1, 2, 3, 4, 5, 6, 7, 8], exit, ctx, {
          zipInputOnExit: true,
        })) {
          taken.push(r);
          if (taken.length === 4) break;
        }
        return taken;
      },
      { trapExit: true },
    );
    expect(await outcome).toEqual({
      ok: [1, 2, 3, 4].map((n) => ({ exit: n, input: n })),
    });
  });

  it('consuming from another process', async () => {
    const sup = await setup();
    const parent = inProcess(async (ctx) => {
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++) seen.push(await ctx.receive());
      return seen;
    });
    inProcess(async (ctx) =>
      collect(stream(sup, [1, 2, 3], (n, t) => void t.send(parent.pid, n), ctx)),
    );
    expect(await parent.outcome).toEqual({ ok: [1, 2, 3] });
  });

  it('does not allow streaming with invalid :shutdown', async () => {
    const sup = await setup();
    const { outcome } = inProcess(async (ctx) => {
      expect(() => stream(sup, [], (n) => n, ctx, { shutdown: 'unknown' })).toThrow(
        InvalidArgumentError,
      );
      return 'checked';
    });
    expect(await outcome).toEqual({ ok: 'checked' });
  });
});
