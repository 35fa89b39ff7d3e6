// Code still running after a kill: JavaScript cannot cancel a running async function, so
// a GenServer callback or a Task killed in the middle of an await resumes later (the
// documented limit, issue #13). What is pinned here: from then on every ctx call throws
// ExitError with the kill's reason, its result lands nowhere (no reply, no terminate, no
// Task result), and a supervisor shutting it down never waits for that orphaned code.
import { ExitError, type Pid, type ProcessContext } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { type Call, GenServer, ok, Supervisor, stop, Task, TaskSupervisor } from '../src/index.js';
import { deferred, exitOf, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** Every ctx call a process can make, each recording what it threw. */
function tryEveryCall(ctx: ProcessContext<unknown>, other: Pid<any>): unknown[] {
  const calls: (() => unknown)[] = [
    () => ctx.send(other, 'hello'),
    () => ctx.spawn({ handle: () => {} }),
    () => ctx.spawnLink({ handle: () => {} }),
    () => ctx.spawnMonitor({ handle: () => {} }),
    () => ctx.link(other),
    () => ctx.unlink(other),
    () => ctx.monitor(other),
    () => ctx.trapExit(true),
    () => ctx.sendAfter('tick', 10),
    () => ctx.sendAfter(other, 'tick', 10),
    () => ctx.register('late-name'),
    () => ctx.exit(other, 'bye'),
    () => ctx.exit('late exit'),
  ];
  return calls.map((call) => {
    try {
      call();
      return 'no throw';
    } catch (error) {
      return error instanceof ExitError ? error.reason : error;
    }
  });
}

describe('a GenServer killed while a callback awaits', () => {
  it('throws ExitError(killed) from every ctx call when the callback resumes, and its result lands nowhere', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const resumed = deferred<unknown[]>();
    let terminated = false;
    const other = runtime.spawn({ handle: () => {} });
    class Slow extends GenServer<number, Call<'work', string>> {
      init() {
        return ok(0);
      }
      override async handleCall() {
        await gate.promise;
        resumed.resolve(tryEveryCall(this.ctx, other));
        // A stop result would run terminate: not for a server that was killed.
        return stop('normal', 1, 'done');
      }
      override terminate() {
        terminated = true;
      }
    }
    const server = await GenServer.start(Slow, null, { runtime });
    const call = rejection(GenServer.call(server, { type: 'work' }));
    await clock.settle();
    runtime.exit(server, 'kill');
    const error = (await call) as ExitError;
    expect(error.reason).toBe('killed');
    gate.resolve();
    expect(new Set(await resumed.promise)).toEqual(new Set(['killed']));
    await clock.settle();
    expect(terminated).toBe(false);
    expect(runtime.whereis('late-name')).toBeUndefined();
    expect(runtime.processCount).toBe(1);
  });

  it('lets its supervisor shut down without waiting for the orphaned callback', async () => {
    const { runtime, clock } = virtualRuntime();
    const never = new Promise<never>(() => {});
    class Stuck extends GenServer<number, Call<'hang', never>> {
      init() {
        this.ctx.trapExit(true);
        return ok(0);
      }
      override async handleCall(): Promise<never> {
        return never;
      }
    }
    const sup = await Supervisor.start([[Stuck, null]], { runtime });
    const [child] = await Supervisor.whichChildren(sup);
    void GenServer.call(child!.pid as Pid<any>, { type: 'hang' }).catch(() => {});
    await clock.settle();
    const childExit = exitOf(runtime, child!.pid as Pid<any>);
    let stopped = false;
    void Supervisor.stop(sup).then(() => {
      stopped = true;
    });
    // Trapping, it cannot see the 'shutdown' behind its stuck call: killed after 5000 ms.
    await clock.advance(4999);
    expect(stopped).toBe(false);
    await clock.advance(1);
    expect(await childExit).toBe('killed');
    await clock.settle();
    expect(stopped).toBe(true);
    expect(runtime.processCount).toBe(0);
  });
});

describe('a Task killed while its function awaits', () => {
  it('throws ExitError(killed) from every ctx call when the function resumes, and keeps no result', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const resumed = deferred<unknown[]>();
    const other = runtime.spawn({ handle: () => {} });
    const task = Task.async(
      async (ctx) => {
        await gate.promise;
        resumed.resolve(tryEveryCall(ctx, other));
        return 'late result';
      },
      { runtime },
    );
    await clock.settle();
    runtime.exit(task.pid, 'kill');
    const outcome = await Task.yield(task, 0);
    expect(outcome).toEqual({ exit: 'killed' });
    gate.resolve();
    expect(new Set(await resumed.promise)).toEqual(new Set(['killed']));
    await clock.settle();
    expect(runtime.processCount).toBe(1);
  });

  it('lets its TaskSupervisor shut down without waiting for the orphaned function', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    let resumed = false;
    const sup = await TaskSupervisor.start({ runtime });
    await TaskSupervisor.startChild(sup, async (ctx) => {
      ctx.trapExit(true);
      await gate.promise;
      resumed = true;
    });
    await clock.settle();
    let stopped = false;
    void GenServer.stop(sup, 'shutdown').then(() => {
      stopped = true;
    });
    await clock.advance(5000);
    await clock.settle();
    expect(stopped).toBe(true);
    expect(runtime.processCount).toBe(0);
    expect(resumed).toBe(false);
    gate.resolve();
    await clock.settle();
    expect(resumed).toBe(true);
  });
});
