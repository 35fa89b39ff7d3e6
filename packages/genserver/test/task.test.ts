import {
  ActorkitError,
  Crash,
  ExitError,
  InvalidArgumentError,
  type Pid,
  type ReceiveContext,
  type Runtime,
  TimeoutError,
  type VirtualClock,
} from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../src/supervisor.js';
import { Task, type TaskResult } from '../src/task.js';
import { collect, deferred, sleep, stopRuntimesAfterEach, virtualRuntime } from './support.js';

let runtime: Runtime;
let clock: VirtualClock;

function setup(): void {
  ({ runtime, clock } = virtualRuntime());
}

stopRuntimesAfterEach();

/** A process that waits forever (an owner for linked tasks); resolves its exit reason. */
function spawnOwner(trapExit = false): { pid: Pid<any>; exited: Promise<unknown> } {
  const pid = runtime.spawn(
    async (ctx) => {
      for (;;) await ctx.receive();
    },
    { trapExit },
  );
  const exited = new Promise((resolve) => runtime.watch(pid, resolve));
  return { pid, exited };
}

describe('Task module example', () => {
  it('runs the documented async/await and asyncStream example', async () => {
    setup();
    const fetch = async (_url: string, init: { signal: AbortSignal }) => ({
      status: init.signal.aborted ? 499 : 200,
    });
    const task = Task.async(
      async (ctx) => {
        const response = await fetch('https://example.test', { signal: ctx.signal });
        return response.status;
      },
      { runtime },
    );
    expect(await Task.await(task)).toBe(200);
    const results: number[] = [];
    for await (const result of Task.asyncStream([1, 2, 3], (id) => id * 10, {
      maxConcurrency: 4,
      runtime,
    })) {
      if ('ok' in result) results.push(result.ok);
    }
    expect(results).toEqual([10, 20, 30]);
  });
});

describe('Task.start()', () => {
  it('runs fn in an unlinked process and ignores its result', async () => {
    setup();
    let ran = false;
    const pid = Task.start(
      (ctx) => {
        ran = ctx.self === pid;
        return 'ignored';
      },
      { runtime },
    );
    expect(runtime.processInfo(pid)?.links).toEqual([]);
    await clock.settle();
    expect(ran).toBe(true);
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('reports a throw as a crash event and never as an unhandled rejection', async () => {
    setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const crashes: unknown[] = [];
      runtime.events.on('crash', (report) => crashes.push(report.error));
      Task.start(
        () => {
          throw new Error('sync boom');
        },
        { runtime },
      );
      Task.start(
        async () => {
          await Promise.resolve();
          throw new Error('async boom');
        },
        { runtime },
      );
      await clock.settle();
      // Node reports a rejection left unhandled once the microtasks of the macrotask that
      // made it have run: by the next macrotask, any such rejection has been reported.
      await new Promise((resolve) => setImmediate(resolve));
      expect(crashes.map((e) => (e as Error).message).sort()).toEqual(['async boom', 'sync boom']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects a non-function with InvalidArgumentError', () => {
    setup();
    expect(() => Task.start(42 as any, { runtime })).toThrow(InvalidArgumentError);
  });
});

// Ported from Elixir's task_test.exs, "can be supervised directly" and "generates child_spec/1".
describe('Task.childSpec()', () => {
  it('runs [Task, fn] as a temporary child linked to its supervisor', async () => {
    setup();
    const ran = deferred<Pid<any>>();
    const go = deferred<void>();
    const sup = await Supervisor.start(
      [
        [
          Task,
          async (ctx: ReceiveContext<any>) => {
            ran.resolve(ctx.self);
            await go.promise;
          },
        ],
      ],
      { runtime },
    );
    const pid = await ran.promise;
    expect(runtime.processInfo(pid)?.links).toContainEqual(sup);
    const [child] = await Supervisor.whichChildren(sup);
    expect(child).toMatchObject({ id: 'Task', pid, restart: 'temporary', type: 'worker' });
    go.resolve();
    await clock.settle();
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
  });

  it('restarts a crashed task when overridden with restart: transient', async () => {
    setup();
    let runs = 0;
    const sup = await Supervisor.start(
      [
        [
          Task,
          () => {
            runs++;
            if (runs === 1) throw new Error('first run fails');
          },
          { restart: 'transient' },
        ],
      ],
      { runtime },
    );
    await clock.settle();
    expect(runs).toBe(2);
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 0 });
  });

  it('throws InvalidArgumentError for something that is not a function', () => {
    expect(() => Task.childSpec(42 as never)).toThrow(InvalidArgumentError);
  });
});

describe('Task.startLink()', () => {
  it('links the task to `link`, so its crash takes that process down', async () => {
    setup();
    const owner = spawnOwner();
    const pid = Task.startLink(
      () => {
        throw new Error('boom');
      },
      { link: owner.pid },
    );
    expect(runtime.processInfo(pid)?.links).toEqual([owner.pid]);
    const reason = await owner.exited;
    expect(reason).toBeInstanceOf(Crash);
    expect(((reason as Crash).error as Error).message).toBe('boom');
  });

  it('uses the linked process runtime and leaves it alone on a normal finish', async () => {
    setup();
    const owner = spawnOwner();
    const pid = Task.startLink(() => 1, { link: owner.pid });
    await clock.settle();
    expect(runtime.isAlive(pid)).toBe(false);
    expect(runtime.isAlive(owner.pid)).toBe(true);
  });
});

describe('Task.async() and Task.await()', () => {
  it('resolves with what fn returns or resolves to', async () => {
    setup();
    expect(await Task.await(Task.async(() => 42, { runtime }))).toBe(42);
    const task = Task.async(
      async (ctx) => {
        await sleep(ctx, 100);
        return 'later';
      },
      { runtime },
    );
    const result = Task.await(task);
    await clock.advance(100);
    expect(await result).toBe('later');
  });

  it('gives fn the task process context', async () => {
    setup();
    const task = Task.async((ctx) => ctx.self, { runtime });
    expect(await Task.await(task)).toBe(task.pid);
    expect(task.owner).toBeUndefined();
  });

  it('rejects with ExitError carrying the Crash when fn throws', async () => {
    setup();
    const task = Task.async(
      () => {
        throw new Error('boom');
      },
      { runtime },
    );
    const error = await Task.await(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBeInstanceOf(Crash);
    expect(((error as ExitError).reason as Crash).error).toEqual(new Error('boom'));
  });

  it("rejects with ExitError 'normal' when the task exits without a result", async () => {
    setup();
    const task = Task.async((ctx) => ctx.exit('normal'), { runtime });
    await expect(Task.await(task)).rejects.toMatchObject({ reason: 'normal' });
  });

  it('rejects with ExitError when the task is killed, and aborts its signal', async () => {
    setup();
    let signal: AbortSignal | undefined;
    const task = Task.async(
      async (ctx) => {
        signal = ctx.signal;
        await ctx.receive();
      },
      { runtime },
    );
    await clock.settle();
    runtime.exit(task.pid, 'kill');
    await expect(Task.await(task)).rejects.toMatchObject({ reason: 'killed' });
    expect(signal?.aborted).toBe(true);
  });

  it('rejects with TimeoutError after the timeout and shuts the task down', async () => {
    setup();
    const task = Task.async((ctx) => ctx.receive(), { runtime });
    const result = Task.await(task).catch((e: unknown) => e);
    await clock.advance(4999);
    expect(runtime.isAlive(task.pid)).toBe(true);
    await clock.advance(1);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe(5000);
    expect(runtime.isAlive(task.pid)).toBe(false);
  });

  it('drops a result that arrives after the timeout', async () => {
    setup();
    const gate = deferred<string>();
    let signal: AbortSignal | undefined;
    const task = Task.async(
      (ctx) => {
        signal = ctx.signal;
        return gate.promise;
      },
      { runtime },
    );
    const result = Task.await(task, 100).catch((e: unknown) => e);
    await clock.advance(100);
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(signal?.aborted).toBe(true);
    gate.resolve('too late');
    await clock.settle();
    await expect(Task.yield(task, 0)).rejects.toMatchObject({ code: 'TASK_CONSUMED' });
  });

  it('waits forever with timeout Infinity', async () => {
    setup();
    const task = Task.async(
      async (ctx) => {
        await sleep(ctx, 1_000_000);
        return 'done';
      },
      { runtime },
    );
    const result = Task.await(task, Number.POSITIVE_INFINITY);
    await clock.advance(1_000_000);
    expect(await result).toBe('done');
  });

  it('lets a result be taken once', async () => {
    setup();
    const task = Task.async(() => 1, { runtime });
    expect(await Task.await(task)).toBe(1);
    const error = await Task.await(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorkitError);
    expect((error as ActorkitError).code).toBe('TASK_CONSUMED');
  });

  it('rejects bad arguments with InvalidArgumentError', async () => {
    setup();
    await expect(Task.await({} as any)).rejects.toThrow(InvalidArgumentError);
    const task = Task.async(() => 1, { runtime });
    await expect(Task.await(task, -1)).rejects.toThrow(/timeout/);
    expect(() => Task.async(null as any, { runtime })).toThrow(InvalidArgumentError);
  });

  it('with `link`, a crashing task takes the linked process down', async () => {
    setup();
    const owner = spawnOwner();
    const task = Task.async(
      () => {
        throw new Error('boom');
      },
      { link: owner.pid },
    );
    expect(task.owner).toBe(owner.pid);
    expect(await owner.exited).toBeInstanceOf(Crash);
    await expect(Task.await(task)).rejects.toBeInstanceOf(ExitError);
  });

  it('with `link`, the task exits when the linked process does', async () => {
    setup();
    const owner = spawnOwner();
    const task = Task.async((ctx) => ctx.receive(), { link: owner.pid });
    await clock.settle();
    runtime.exit(owner.pid, 'boom');
    await expect(Task.await(task)).rejects.toMatchObject({ reason: 'boom' });
  });

  it('with `link`, a timeout shuts the task down without taking the linked process with it', async () => {
    setup();
    const owner = spawnOwner();
    const task = Task.async((ctx) => ctx.receive(), { link: owner.pid });
    const result = Task.await(task, 10).catch((e: unknown) => e);
    await clock.advance(10);
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(runtime.isAlive(task.pid)).toBe(false);
    expect(runtime.isAlive(owner.pid)).toBe(true);
  });
});

describe('Task.yield()', () => {
  it('resolves undefined on timeout and leaves the task running, to be yielded or awaited again', async () => {
    setup();
    const task = Task.async(
      async (ctx) => {
        await sleep(ctx, 300);
        return 'done';
      },
      { runtime },
    );
    const first = Task.yield(task, 100);
    await clock.advance(100);
    expect(await first).toBeUndefined();
    expect(runtime.isAlive(task.pid)).toBe(true);
    const second = Task.yield(task, 100);
    await clock.advance(100);
    expect(await second).toBeUndefined();
    const result = Task.await(task);
    await clock.advance(100);
    expect(await result).toBe('done');
  });

  it('resolves { ok } with the result and { exit } for a crash', async () => {
    setup();
    const ok = Task.async(() => 'value', { runtime });
    expect(await Task.yield(ok)).toEqual({ ok: 'value' });
    const crash = Task.async(
      () => {
        throw new Error('boom');
      },
      { runtime },
    );
    const result = await Task.yield(crash);
    expect(result && 'exit' in result && result.exit).toBeInstanceOf(Crash);
  });

  it('checks once and resolves at once with timeout 0', async () => {
    setup();
    const task = Task.async((ctx) => ctx.receive(), { runtime });
    expect(await Task.yield(task, 0)).toBeUndefined();
    const done = Task.async(() => 1, { runtime });
    await clock.settle();
    expect(await Task.yield(done, 0)).toEqual({ ok: 1 });
  });
});

describe('Task.shutdown()', () => {
  it('returns the result when it arrived before the shutdown', async () => {
    setup();
    const task = Task.async(() => 'finished', { runtime });
    await clock.settle();
    expect(await Task.shutdown(task)).toEqual({ ok: 'finished' });
  });

  it('returns undefined when the task stops as asked, and aborts its signal', async () => {
    setup();
    let signal: AbortSignal | undefined;
    const task = Task.async(
      async (ctx) => {
        signal = ctx.signal;
        await ctx.receive();
      },
      { runtime },
    );
    await clock.settle();
    expect(await Task.shutdown(task)).toBeUndefined();
    expect(runtime.isAlive(task.pid)).toBe(false);
    expect(signal?.aborted).toBe(true);
  });

  it("kills at once with 'brutal_kill' and returns undefined", async () => {
    setup();
    const task = Task.async((ctx) => ctx.receive(), { runtime });
    await clock.settle();
    expect(await Task.shutdown(task, 'brutal_kill')).toBeUndefined();
    expect(runtime.isAlive(task.pid)).toBe(false);
  });

  it("kills a task that traps exits after the timeout and returns { exit: 'killed' }", async () => {
    setup();
    const task = Task.async(
      async (ctx) => {
        ctx.trapExit(true);
        for (;;) await ctx.receive();
      },
      { runtime },
    );
    await clock.settle();
    const result = Task.shutdown(task, 1000);
    await clock.advance(999);
    expect(runtime.isAlive(task.pid)).toBe(true);
    await clock.advance(1);
    expect(await result).toEqual({ exit: 'killed' });
  });

  it('returns { exit: reason } for a task that had already crashed', async () => {
    setup();
    const task = Task.async(
      () => {
        throw new Error('boom');
      },
      { runtime },
    );
    await clock.settle();
    const result = await Task.shutdown(task);
    expect(result && 'exit' in result && result.exit).toBeInstanceOf(Crash);
  });

  it('unlinks the task first, so the linked process survives', async () => {
    setup();
    const owner = spawnOwner();
    const task = Task.async((ctx) => ctx.receive(), { link: owner.pid });
    await clock.settle();
    expect(await Task.shutdown(task, 'brutal_kill')).toBeUndefined();
    await clock.settle();
    expect(runtime.isAlive(owner.pid)).toBe(true);
  });

  // Elixir's task_test.exs: "returns {:exit, :noproc} if task handled".
  it("returns { exit: 'noproc' } for a task already awaited and down, either way", async () => {
    setup();
    const task = Task.async(() => 'done', { runtime });
    expect(await Task.await(task)).toBe('done');
    await clock.settle();
    expect(await Task.shutdown(task)).toEqual({ exit: 'noproc' });
    expect(await Task.shutdown(task, 'brutal_kill')).toEqual({ exit: 'noproc' });
  });

  it("returns { exit: 'shutdown' } with 'brutal_kill' for a task that exited 'shutdown' by itself", async () => {
    setup();
    const task = Task.async((ctx) => ctx.exit('shutdown'), { runtime });
    await clock.settle();
    expect(await Task.shutdown(task, 'brutal_kill')).toEqual({ exit: 'shutdown' });
  });

  it('shuts down a task that has not started running yet', async () => {
    setup();
    const owner = spawnOwner();
    let ran = false;
    const task = Task.async(
      () => {
        ran = true;
      },
      { link: owner.pid },
    );
    expect(await Task.shutdown(task, 'brutal_kill')).toBeUndefined();
    await clock.settle();
    expect(ran).toBe(false);
    expect(runtime.isAlive(owner.pid)).toBe(true);
  });
});

describe('Task.awaitMany()', () => {
  it('resolves with the results in the order of the tasks, not of completion', async () => {
    setup();
    const tasks = [300, 100, 200].map((ms) =>
      Task.async(
        async (ctx) => {
          await sleep(ctx, ms);
          return ms;
        },
        { runtime },
      ),
    );
    const results = Task.awaitMany(tasks);
    await clock.advance(300);
    expect(await results).toEqual([300, 100, 200]);
  });

  it('resolves [] for no tasks', async () => {
    setup();
    expect(await Task.awaitMany([])).toEqual([]);
  });

  it('rejects with ExitError when one task crashes, and shuts the others down', async () => {
    setup();
    const slow = Task.async((ctx) => ctx.receive(), { runtime });
    const crashing = Task.async(
      async (ctx) => {
        await sleep(ctx, 10);
        throw new Error('boom');
      },
      { runtime },
    );
    const result = Task.awaitMany<unknown>([slow, crashing]).catch((e: unknown) => e);
    await clock.advance(10);
    const error = await result;
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).pid).toBe(crashing.pid);
    expect(runtime.isAlive(slow.pid)).toBe(false);
  });

  it('rejects with TimeoutError after the overall timeout and shuts unfinished tasks down', async () => {
    setup();
    const fast = Task.async(() => 1, { runtime });
    const slow = Task.async(
      async (ctx) => {
        await sleep(ctx, 2000);
        return 2;
      },
      { runtime },
    );
    const result = Task.awaitMany([fast, slow], 1000).catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(runtime.isAlive(slow.pid)).toBe(false);
  });

  // Regression: the timeout was armed on the first task's runtime only; once that runtime
  // had stopped (its task done before), the timer never fired and the promise never settled.
  it("times out on the clock of a task still running, whatever the first task's runtime", async () => {
    setup();
    const { runtime: other, clock: otherClock } = virtualRuntime();
    const done = Task.async(() => 1, { runtime: other });
    await otherClock.settle();
    await other.stop({ timeout: 0 });
    const running = Task.async((ctx) => ctx.receive(), { runtime });
    const result = Task.awaitMany([done, running], 1000).catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(runtime.isAlive(running.pid)).toBe(false);
  });
});

describe('Task.asyncStream()', () => {
  /** A stream over `durations` whose fn sleeps each duration and counts concurrent tasks. */
  function timedStream(durations: number[], options: Parameters<typeof Task.asyncStream>[2]) {
    const counter = { current: 0, max: 0 };
    const stream = Task.asyncStream(
      durations,
      async (ms, ctx) => {
        counter.max = Math.max(counter.max, ++counter.current);
        try {
          await sleep(ctx, ms);
          return ms;
        } finally {
          counter.current--;
        }
      },
      { runtime, ...options },
    );
    return { stream, counter };
  }

  it('yields results in the order of the items by default', async () => {
    setup();
    const { stream } = timedStream([30, 10, 20], { maxConcurrency: 3 });
    const results = collect(stream);
    await clock.advance(30);
    expect(await results).toEqual([{ ok: 30 }, { ok: 10 }, { ok: 20 }]);
  });

  it('yields results as tasks finish with ordered: false', async () => {
    setup();
    const { stream } = timedStream([30, 10, 20], { maxConcurrency: 3, ordered: false });
    const results = collect(stream);
    await clock.advance(30);
    expect(await results).toEqual([{ ok: 10 }, { ok: 20 }, { ok: 30 }]);
  });

  it('never has more than maxConcurrency tasks alive', async () => {
    setup();
    const { stream, counter } = timedStream([5, 1, 4, 2, 3, 1, 1, 6, 2], { maxConcurrency: 2 });
    let maxAlive = 0;
    runtime.events.on('spawn', () => {
      maxAlive = Math.max(maxAlive, runtime.processCount);
    });
    const results = collect(stream);
    await clock.advance(100);
    expect((await results).length).toBe(9);
    expect(counter.max).toBe(2);
    expect(maxAlive).toBeLessThanOrEqual(2);
  });

  it('runs exactly min(maxConcurrency, items) tasks at once and keeps the results, for any durations (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // At least 1 ms each: every task started at t = 0 is still running when the next starts.
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (durations, maxConcurrency, ordered) => {
          setup();
          const { stream, counter } = timedStream(durations, { maxConcurrency, ordered });
          const results = collect(stream);
          await clock.advance(40 * durations.length + 1);
          const values = (await results).map((r) => (r as { ok: number }).ok);
          await runtime.stop();
          // The limit is reached, not only respected: a serial stream fails here.
          expect(counter.max).toBe(Math.min(maxConcurrency, durations.length));
          if (ordered) expect(values).toEqual(durations);
          else
            expect([...values].sort((a, b) => a - b)).toEqual([...durations].sort((a, b) => a - b));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads the items lazily, pulling only as slots free up', async () => {
    setup();
    let pulled = 0;
    function* items() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const stream = Task.asyncStream(items(), (n) => n, { runtime, maxConcurrency: 3 });
    expect(pulled).toBe(0);
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { ok: 0 } });
    expect(pulled).toBeLessThanOrEqual(4);
    await iterator.return();
  });

  it('accepts an async iterable', async () => {
    setup();
    async function* items() {
      yield 'a';
      await Promise.resolve();
      yield 'b';
    }
    const results = await collect(Task.asyncStream(items(), (s) => s.toUpperCase(), { runtime }));
    expect(results).toEqual([{ ok: 'A' }, { ok: 'B' }]);
  });

  it('throws ExitError when a task crashes, and shuts the other tasks down', async () => {
    setup();
    const started: Pid<any>[] = [];
    const stream = Task.asyncStream(
      [1, 2, 3],
      async (n, ctx) => {
        started.push(ctx.self);
        if (n === 2) throw new Error('boom');
        await ctx.receive();
      },
      { runtime, maxConcurrency: 3 },
    );
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect(((error as ExitError).reason as Crash).error).toEqual(new Error('boom'));
    expect(started).toHaveLength(3);
    expect(started.some((pid) => runtime.isAlive(pid))).toBe(false);
  });

  it("throws TimeoutError when a task times out with onTimeout 'exit'", async () => {
    setup();
    const { stream } = timedStream([10, 500, 10], { maxConcurrency: 3, timeout: 100 });
    const results = collect(stream).catch((e: unknown) => e);
    await clock.advance(100);
    const error = await results;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(runtime.processCount).toBe(0);
  });

  it("yields { exit: 'timeout' } and goes on with onTimeout 'kill_task'", async () => {
    setup();
    const { stream } = timedStream([10, 500, 20], {
      maxConcurrency: 2,
      timeout: 100,
      onTimeout: 'kill_task',
    });
    const results = collect(stream);
    await clock.advance(200);
    expect(await results).toEqual([{ ok: 10 }, { exit: 'timeout' }, { ok: 20 }]);
  });

  it('shuts the remaining tasks down and closes the source when the loop breaks early', async () => {
    setup();
    let closed = false;
    const signals: AbortSignal[] = [];
    function* items() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const stream = Task.asyncStream(
      items(),
      async (n, ctx) => {
        signals.push(ctx.signal);
        if (n > 0) await ctx.receive();
        return n;
      },
      { runtime, maxConcurrency: 4 },
    );
    const seen: TaskResult<number>[] = [];
    for await (const result of stream) {
      seen.push(result);
      break;
    }
    expect(seen).toEqual([{ ok: 0 }]);
    expect(closed).toBe(true);
    await clock.settle();
    expect(runtime.processCount).toBe(0);
    expect(signals.length).toBeGreaterThan(1);
    expect(signals.slice(1).every((signal) => signal.aborted)).toBe(true);
  });

  it('validates its options before anything runs', () => {
    setup();
    expect(() => Task.asyncStream([1], (n) => n, { runtime, maxConcurrency: 0 })).toThrow(
      /maxConcurrency/,
    );
    expect(() => Task.asyncStream([1], (n) => n, { runtime, onTimeout: 'nope' as any })).toThrow(
      /onTimeout/,
    );
    expect(() => Task.asyncStream(5 as any, (n) => n, { runtime })).toThrow(/items/);
  });
});
