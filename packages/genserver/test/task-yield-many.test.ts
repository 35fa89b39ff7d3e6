import {
  ActorkitError,
  InvalidArgumentError,
  type Pid,
  type Runtime,
  type VirtualClock,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { Task } from '../src/task.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

let runtime: Runtime;
let clock: VirtualClock;

function setup(): void {
  ({ runtime, clock } = virtualRuntime());
}

stopRuntimesAfterEach();

/** A task that returns `value` once it receives 'go' (Elixir's `assert_receive(:go)`). */
function waitingTask<R>(value: R, link?: Pid<any>): Task<R> {
  return Task.async(
    async (ctx) => {
      await ctx.receive((m): m is 'go' => m === 'go');
      return value;
    },
    { runtime, link },
  );
}

/** A process that waits forever (an owner for linked tasks). */
function spawnOwner(): Pid<any> {
  return runtime.spawn(async (ctx) => {
    for (;;) await ctx.receive();
  });
}

// Ported from Elixir's task_test.exs, describe "yield_many/2".
describe('Task.yieldMany()', () => {
  it('returns results from multiple tasks in the order given, undefined for one still running', async () => {
    setup();
    const task1 = Task.async(() => 'result', { runtime });
    const task2 = waitingTask('late');
    const task3 = Task.async((ctx) => ctx.exit('normal'), { runtime });
    await clock.settle();
    expect(await Task.yieldMany([task1, task2, task3], 0)).toEqual([
      [task1, { ok: 'result' }],
      [task2, undefined],
      [task3, { exit: 'normal' }],
    ]);
    expect(runtime.isAlive(task2.pid)).toBe(true);
  });

  it('returns undefined on timeout by default and leaves the task to be yielded again', async () => {
    setup();
    const task = waitingTask('done');
    const first = Task.yieldMany([task], { timeout: 100 });
    await clock.advance(100);
    expect(await first).toEqual([[task, undefined]]);
    expect(runtime.isAlive(task.pid)).toBe(true);
    runtime.send(task.pid, 'go');
    expect(await Task.yield(task)).toEqual({ ok: 'done' });
  });

  it("shuts the tasks still running down on timeout with onTimeout: 'kill_task'", async () => {
    setup();
    const owner = spawnOwner();
    const task = waitingTask('never', owner);
    expect(await Task.yieldMany([task], { timeout: 0, onTimeout: 'kill_task' })).toEqual([
      [task, undefined],
    ]);
    await clock.settle();
    expect(runtime.isAlive(task.pid)).toBe(false);
    expect(runtime.isAlive(owner)).toBe(true);
  });

  it("ignores the tasks still running on timeout with onTimeout: 'ignore'", async () => {
    setup();
    const task = waitingTask('ok');
    expect(await Task.yieldMany([task], { timeout: 0, onTimeout: 'ignore' })).toEqual([
      [task, undefined],
    ]);
    expect(runtime.isAlive(task.pid)).toBe(true);
    const down = new Promise((resolve) => runtime.watch(task.pid, resolve));
    runtime.send(task.pid, 'go');
    expect(await down).toBe('normal');
    expect(await rejection(Task.yield(task, 0))).toBeInstanceOf(ActorkitError);
  });

  it('returns { exit } for a task that exited normal without a result', async () => {
    setup();
    const task = Task.async((ctx) => ctx.exit('normal'), { runtime });
    expect(await Task.yieldMany([task])).toEqual([[task, { exit: 'normal' }]]);
  });

  it('takes only the first limit outcomes to arrive, leaving the others to be yielded again', async () => {
    setup();
    const task1 = waitingTask('result');
    const task2 = waitingTask('late');
    const task3 = Task.async((ctx) => ctx.exit('normal'), { runtime });
    runtime.send(task1.pid, 'go');
    await clock.settle();
    // task3's exit came after task1's result: limit 1 takes task1's only.
    expect(await Task.yieldMany([task1, task2, task3], { limit: 1, timeout: Infinity })).toEqual([
      [task1, { ok: 'result' }],
      [task2, undefined],
      [task3, undefined],
    ]);
    expect(await Task.yieldMany([task2, task3], { limit: 1, timeout: Infinity })).toEqual([
      [task2, undefined],
      [task3, { exit: 'normal' }],
    ]);
  });

  it('returns once every task has replied when limit is above their number', async () => {
    setup();
    const task = Task.async(() => 'done', { runtime });
    expect(await Task.yieldMany([task], { limit: 2, timeout: Infinity })).toEqual([
      [task, { ok: 'done' }],
    ]);
  });

  it('applies onTimeout only on a timeout, not when the limit is met', async () => {
    setup();
    const task1 = waitingTask('never');
    const task2 = Task.async(() => 'done', { runtime });
    expect(
      await Task.yieldMany([task1, task2], {
        timeout: Infinity,
        onTimeout: 'kill_task',
        limit: 1,
      }),
    ).toEqual([
      [task1, undefined],
      [task2, { ok: 'done' }],
    ]);
    expect(runtime.isAlive(task1.pid)).toBe(true);
    expect(await Task.yieldMany([task1], { timeout: 0, onTimeout: 'kill_task', limit: 1 })).toEqual(
      [[task1, undefined]],
    );
    await clock.settle();
    expect(runtime.isAlive(task1.pid)).toBe(false);
  });

  it('returns every result with an Infinity timeout', async () => {
    setup();
    const task1 = Task.async(() => 'result', { runtime });
    const task2 = waitingTask('result');
    const task3 = Task.async((ctx) => ctx.exit('normal'), { runtime });
    const all = Task.yieldMany([task1, task2, task3], Infinity);
    await clock.settle();
    runtime.send(task2.pid, 'go');
    expect(await all).toEqual([
      [task1, { ok: 'result' }],
      [task2, { ok: 'result' }],
      [task3, { exit: 'normal' }],
    ]);
  });

  it('resolves an empty list at once', async () => {
    setup();
    expect(await Task.yieldMany([], { timeout: Infinity })).toEqual([]);
  });

  // Regression: the timeout was armed on the first task's runtime; when that runtime had
  // stopped (its task ended with it), the timer never fired and the promise never settled.
  it("times out on the clock of a task still running, whatever the first task's runtime", async () => {
    setup();
    const { runtime: stopped } = virtualRuntime();
    const ended = Task.async((ctx) => ctx.receive(), { runtime: stopped });
    await stopped.stop({ timeout: 0 });
    const running = Task.async((ctx) => ctx.receive(), { runtime });
    const yielded = Task.yieldMany([ended, running], 100);
    await clock.advance(100);
    expect(await yielded).toEqual([
      [ended, { exit: 'shutdown' }],
      [running, undefined],
    ]);
    // The same when the runtime of the first task still running stops meanwhile.
    const { runtime: stopping } = virtualRuntime();
    const first = Task.async((ctx) => ctx.receive(), { runtime: stopping });
    const waiting = Task.yieldMany([first, running], 100);
    await stopping.stop({ timeout: 0 });
    await clock.advance(100);
    expect(await waiting).toEqual([
      [first, { exit: 'shutdown' }],
      [running, undefined],
    ]);
  });

  // Regression: a hole in the array reached `task.control` (a raw TypeError), and an
  // index whose getter throws rejected with that getter's error.
  it('rejects an array with a hole or an unreadable item with InvalidArgumentError', async () => {
    setup();
    const task = Task.async(() => 1, { runtime });
    const unreadable: unknown[] = [];
    Object.defineProperty(unreadable, 0, {
      enumerable: true,
      get() {
        throw new Error('index getter');
      },
    });
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    for (const tasks of [[, task], unreadable]) {
      expect(await rejection(Task.yieldMany(tasks as never, 0))).toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(await rejection(Task.awaitMany(tasks as never, 0))).toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    expect(await Task.yieldMany([task], 0)).toEqual([[task, { ok: 1 }]]);
  });

  it('rejects a bad option with InvalidArgumentError', async () => {
    setup();
    const task = Task.async(() => 1, { runtime });
    for (const options of [{ limit: 0 }, { onTimeout: 'exit' }, { timeout: -1 }, { max: 1 }]) {
      expect(await rejection(Task.yieldMany([task], options as never))).toBeInstanceOf(
        InvalidArgumentError,
      );
    }
  });
});

// Ported from Elixir's task_test.exs, describe "ignore/1".
describe('Task.ignore()', () => {
  it('returns { ok } for a result that arrived, and the task can no longer be awaited', async () => {
    setup();
    const task = Task.async(() => 'ok', { runtime });
    await clock.settle();
    expect(Task.ignore(task)).toEqual({ ok: 'ok' });
    expect(await rejection(Task.await(task, 0))).toBeInstanceOf(ActorkitError);
  });

  it('returns undefined for a task still running and drops its late result', async () => {
    setup();
    const task = waitingTask('ok');
    expect(Task.ignore(task)).toBeUndefined();
    const down = new Promise((resolve) => runtime.watch(task.pid, resolve));
    runtime.send(task.pid, 'go');
    expect(await down).toBe('normal');
    expect(await rejection(Task.await(task, 0))).toBeInstanceOf(ActorkitError);
    expect(Task.ignore(task)).toBeUndefined();
  });

  it('returns { exit } for a task that already failed', async () => {
    setup();
    const task = Task.async((ctx) => ctx.exit('oops'), { runtime });
    await clock.settle();
    expect(Task.ignore(task)).toEqual({ exit: 'oops' });
  });

  it('unlinks a running task, so its late failure does not reach the owner', async () => {
    setup();
    const owner = spawnOwner();
    const task = Task.async(
      async (ctx) => {
        await ctx.receive((m): m is 'go' => m === 'go');
        ctx.exit('oops');
      },
      { runtime, link: owner },
    );
    await clock.settle();
    expect(Task.ignore(task)).toBeUndefined();
    const down = new Promise((resolve) => runtime.watch(task.pid, resolve));
    runtime.send(task.pid, 'go');
    expect(await down).toBe('oops');
    await clock.settle();
    expect(runtime.isAlive(owner)).toBe(true);
  });
});
