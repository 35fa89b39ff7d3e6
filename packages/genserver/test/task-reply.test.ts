import {
  Crash,
  type Down,
  InvalidArgumentError,
  isDown,
  type Pid,
  type ReceiveContext,
  type Ref,
  type Runtime,
  TIMEOUT,
  type VirtualClock,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { GenServer } from '../src/gen-server.js';
import { noreply, ok, reply } from '../src/results.js';
import { Task } from '../src/task.js';
import { isTaskReply, TaskReply } from '../src/task-reply.js';
import { TaskSupervisor } from '../src/task-supervisor.js';
import { deferred, stopRuntimesAfterEach, virtualRuntime } from './support.js';

let runtime: Runtime;
let clock: VirtualClock;

function setup(): void {
  ({ runtime, clock } = virtualRuntime());
}

stopRuntimesAfterEach();

/**
 * Runs `body` in a process and resolves with what it returns, after which the process
 * reads its mailbox dry (`rest`: the messages left, none waited for).
 */
function inProcess<T>(
  body: (ctx: ReceiveContext<any>) => Promise<T>,
): Promise<{ value: T; rest: unknown[] }> {
  const done = deferred<{ value: T; rest: unknown[] }>();
  runtime.spawn(async (ctx) => {
    const value = await body(ctx);
    const rest: unknown[] = [];
    for (
      let m = await ctx.receive({ timeout: 0 });
      m !== TIMEOUT;
      m = await ctx.receive({ timeout: 0 })
    )
      rest.push(m);
    done.resolve({ value, rest });
  });
  return done.promise;
}

describe('Task.async() with replyTo', () => {
  // Elixir's task_test.exs 'async/1': assert_receive {^ref, :done}, then {:DOWN, ^ref, _, _, :normal}.
  it('sends the reply, then a Down with the same ref when the task ends', async () => {
    setup();
    const { value, rest } = await inProcess(async (ctx) => {
      const task = Task.async(() => 'done', { runtime, link: ctx.self, replyTo: ctx.self });
      return { task, first: await ctx.receive(), second: await ctx.receive() };
    });
    const { task, first, second } = value;
    expect(first).toBeInstanceOf(TaskReply);
    expect(first).toMatchObject({ ref: task.ref, value: 'done', type: 'TASK_REPLY' });
    expect(isDown(second)).toBe(true);
    expect(second).toMatchObject({ ref: task.ref, pid: task.pid, reason: 'normal' });
    expect(rest).toEqual([]);
  });

  it('sends only a Down with the reason when the task crashes, and nothing reaches the owner through a link it does not have', async () => {
    setup();
    const boom = new Error('boom');
    const { value } = await inProcess(async (ctx) => {
      const task = Task.async(
        () => {
          throw boom;
        },
        { runtime, replyTo: ctx.self },
      );
      return { task, message: await ctx.receive() };
    });
    const down = value.message as Down;
    expect(isDown(down)).toBe(true);
    expect(down.ref).toBe(value.task.ref);
    expect(down.reason).toBeInstanceOf(Crash);
    expect((down.reason as Crash).error).toBe(boom);
  });

  it('lets demonitor with flush drop the Down once the reply is in', async () => {
    setup();
    const { value, rest } = await inProcess(async (ctx) => {
      const task = Task.async(() => 7, { runtime, replyTo: ctx.self });
      const first = await ctx.receive();
      // The task has ended by now: its Down waits in the mailbox, and flush takes it.
      await clock.settle();
      ctx.demonitor(task.ref, { flush: true });
      return first;
    });
    expect(isTaskReply(value) && value.value).toBe(7);
    expect(rest).toEqual([]);
  });

  it('leaves no reply, Down or monitor behind once Task.await took the outcome', async () => {
    setup();
    const { value, rest } = await inProcess(async (ctx) => {
      const task = Task.async(() => 'awaited', { runtime, replyTo: ctx.self });
      await clock.settle(); // the reply and the Down are both in the mailbox
      return Task.await(task);
    });
    expect(value).toBe('awaited');
    expect(rest).toEqual([]);
  });

  it('sends nothing more after Task.ignore or Task.shutdown, though the task runs on or is stopped', async () => {
    setup();
    const release = deferred();
    const { value, rest } = await inProcess(async (ctx) => {
      const ignored = Task.async(() => release.promise.then(() => 'late'), {
        runtime,
        replyTo: ctx.self,
      });
      const stopped = Task.async(() => new Promise(() => {}), { runtime, replyTo: ctx.self });
      await clock.settle();
      const early = Task.ignore(ignored);
      const shut = await Task.shutdown(stopped, 'brutal_kill');
      release.resolve();
      await clock.settle(); // the ignored task returns and ends meanwhile
      return { early, shut, ended: !runtime.isAlive(ignored.pid) };
    });
    expect(value).toEqual({ early: undefined, shut: undefined, ended: true });
    expect(rest).toEqual([]);
  });

  it('with retries, replies once with the attempt that succeeded, then one Down', async () => {
    setup();
    const { value, rest } = await inProcess(async (ctx) => {
      const task = Task.async(
        (attempt) => {
          if (attempt.attempt < 3) throw new Error(`attempt ${attempt.attempt}`);
          return attempt.attempt;
        },
        { runtime, replyTo: ctx.self, maxAttempts: 3, backoff: { initial: 10, jitter: 0 } },
      );
      const first = ctx.receive();
      await clock.advance(100);
      return { task, first: await first, second: await ctx.receive() };
    });
    expect(value.first).toMatchObject({ ref: value.task.ref, value: 3 });
    expect(value.second).toMatchObject({ ref: value.task.ref, reason: 'normal' });
    expect(rest).toEqual([]);
  });

  it('runs the task when replyTo is not alive, and the outcome can still be awaited', async () => {
    setup();
    const gone = runtime.spawn(async () => {});
    await clock.settle();
    const task = Task.async(() => 'still', { runtime, replyTo: gone });
    await expect(Task.await(task)).resolves.toBe('still');
  });

  it('takes only a PID as replyTo', () => {
    setup();
    expect(() => Task.async(() => 1, { runtime, replyTo: 'me' as unknown as Pid<any> })).toThrow(
      InvalidArgumentError,
    );
  });
});

interface Jobs {
  running: Ref | null;
  results: unknown[];
}

/** A server that runs each request as a task and handles its outcome in handleInfo. */
class Runner extends GenServer<Jobs, { type: 'results' } | { type: 'run'; fn: () => unknown }> {
  static supervisor: Pid<any>;

  init() {
    return ok({ running: null, results: [] });
  }

  override async handleCall(
    request: { type: 'results' } | { type: 'run'; fn: () => unknown },
    _from: unknown,
    state: Jobs,
  ) {
    if (request.type === 'results') return reply(state.results, state);
    const task = await TaskSupervisor.asyncNolink(Runner.supervisor, request.fn, {
      runtime: this.ctx.runtime,
      replyTo: this.self,
    });
    return reply('started', { ...state, running: task.ref });
  }

  override handleInfo(message: unknown, state: Jobs) {
    if (isTaskReply(message) && message.ref === state.running) {
      this.ctx.demonitor(message.ref, { flush: true });
      return noreply({ running: null, results: [...state.results, { ok: message.value }] });
    }
    if (isDown(message) && message.ref === state.running) {
      return noreply({ running: null, results: [...state.results, { down: message.reason }] });
    }
    return noreply({ ...state, results: [...state.results, { unexpected: message }] });
  }
}

describe('TaskSupervisor.asyncNolink() with replyTo', () => {
  it('lets a GenServer start a task, go on, and handle its outcome in handleInfo, as Elixir servers do', async () => {
    setup();
    Runner.supervisor = await TaskSupervisor.start({ runtime });
    const server = await GenServer.start(Runner, undefined, { runtime });
    await expect(GenServer.call(server, { type: 'run', fn: () => 'charged' })).resolves.toBe(
      'started',
    );
    await clock.settle();
    await expect(
      GenServer.call(server, {
        type: 'run',
        fn: () => {
          throw new Error('declined');
        },
      }),
    ).resolves.toBe('started');
    await clock.settle();
    const results = (await GenServer.call(server, { type: 'results' })) as unknown[];
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual({ ok: 'charged' });
    expect((results[1] as { down: Crash }).down).toBeInstanceOf(Crash);
    expect(runtime.isAlive(server as Pid<any>)).toBe(true);
  });

  it('takes replyTo on async too, and refuses it for streams', async () => {
    setup();
    const sup = await TaskSupervisor.start({ runtime });
    const { value } = await inProcess(async (ctx) => {
      const task = await TaskSupervisor.async(sup, () => 'linked', {
        link: ctx.self,
        replyTo: ctx.self,
      });
      return { task, message: await ctx.receive() };
    });
    expect(value.message).toMatchObject({ ref: value.task.ref, value: 'linked' });
    const replyTo = runtime.spawn(async () => {});
    expect(() =>
      TaskSupervisor.asyncStreamNolink(sup, [1], (n) => n, { replyTo } as never),
    ).toThrow(InvalidArgumentError);
  });
});
