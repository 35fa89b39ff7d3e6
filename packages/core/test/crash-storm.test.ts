import { afterEach, describe, expect, it } from 'vitest';
import { isCrash, isDown, type Pid, type Runtime } from '../src/index.js';
import { echoWorks, watchNode } from './hostile-values.js';
import { deferred, stopRuntimes, virtualRuntime } from './support.js';

const node = watchNode();
afterEach(() => stopRuntimes());

/** Resolves once every PID in `pids` has exited, with their reasons in order. */
function allExited(runtime: Runtime, pids: Pid<any>[]): Promise<unknown[]> {
  return Promise.all(pids.map((pid) => new Promise((resolve) => runtime.watch(pid, resolve))));
}

describe('crash storm', () => {
  it('causes no unhandled rejection or uncaught exception, and the runtime keeps working', async () => {
    const { runtime, clock } = virtualRuntime();
    const N = 1000;
    const pids: Pid<any>[] = [];

    // Bodies that throw synchronously, and bodies that reject later.
    for (let i = 0; i < N; i++) {
      pids.push(
        runtime.spawn(() => {
          throw new Error(`sync ${i}`);
        }),
      );
      pids.push(
        runtime.spawn(async (ctx) => {
          await ctx.receive({ timeout: 0 });
          await Promise.resolve();
          throw new Error(`async ${i}`);
        }),
      );
    }

    // Handlers that throw in handle, reject in handle, throw or reject in init.
    for (let i = 0; i < N; i++) {
      const syncHandler = runtime.spawn({
        handle() {
          throw new Error('handle sync');
        },
      });
      const asyncHandler = runtime.spawn({
        async handle() {
          await Promise.resolve();
          throw new Error('handle async');
        },
      });
      runtime.send(syncHandler, 'boom');
      runtime.send(asyncHandler, 'boom');
      pids.push(syncHandler, asyncHandler);
      pids.push(
        runtime.spawn({
          init() {
            throw 'init sync';
          },
          handle() {},
        }),
        runtime.spawn({
          init: () => Promise.reject(new Error('init async')),
          handle() {},
        }),
      );
    }

    // Chains of linked processes, each brought down by a crash at its tail.
    for (let c = 0; c < 100; c++) {
      let prev = runtime.spawn(async (ctx) => {
        await ctx.receive();
      });
      pids.push(prev);
      for (let i = 0; i < 9; i++) {
        prev = runtime.spawn({ handle() {} }, { link: prev });
        pids.push(prev);
      }
      const tail = runtime.spawn(
        async () => {
          await Promise.resolve();
          throw new Error(`chain ${c}`);
        },
        { link: prev },
      );
      pids.push(tail);
    }

    // Crashers that are monitored by a watcher process counting DOWNs.
    const downs = deferred<number>();
    const watcher = runtime.spawn(async (ctx) => {
      let count = 0;
      for (let i = 0; i < N; i++) {
        ctx.spawnMonitor(async () => {
          await Promise.resolve();
          throw new RangeError('monitored');
        });
      }
      while (count < N) {
        const down = await ctx.receive(isDown);
        if (isCrash(down.reason)) count++;
      }
      downs.resolve(count);
    });

    // Processes killed in the middle of an await, which then touch their context.
    const gate = deferred();
    const victims: Pid<any>[] = [];
    for (let i = 0; i < N; i++) {
      victims.push(
        runtime.spawn(async (ctx) => {
          await gate.promise;
          ctx.send(ctx.self, 'after kill');
        }),
        runtime.spawn({
          async init(ctx) {
            await gate.promise;
            ctx.send(ctx.self, 'after kill');
          },
          handle() {},
        }),
        runtime.spawn(async (ctx) => {
          await ctx.receive((m) => m === 'never');
        }),
      );
    }
    const crashed = allExited(runtime, pids);
    const killed = allExited(runtime, victims);
    await clock.settle();
    for (const victim of victims) runtime.exit(victim, 'kill');
    gate.resolve();

    const reasons = [...(await crashed), ...(await killed)];
    expect(await downs.promise).toBe(N);
    await clock.settle();
    await node.assertQuiet();
    expect(reasons.filter((r) => isCrash(r))).toHaveLength(pids.length);
    expect(reasons.filter((r) => r === 'killed')).toHaveLength(victims.length);
    expect(runtime.isAlive(watcher)).toBe(false);
    expect(runtime.processCount).toBe(0);
    expect(runtime.stats.exited).toBe(runtime.stats.spawned);
    await echoWorks(runtime);
  });

  it('survives killing processes whose own handlers later reject', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const pids: Pid<any>[] = [];
    for (let i = 0; i < 2000; i++) {
      const pid = runtime.spawn({
        async handle() {
          await gate.promise;
          throw new Error('rejected after being killed');
        },
      });
      runtime.send(pid, 'go');
      pids.push(pid);
    }
    await clock.settle();
    const exited = allExited(runtime, pids);
    for (const pid of pids) runtime.exit(pid, i(pid) % 2 === 0 ? 'kill' : 'reason');
    gate.resolve();
    await exited;
    await clock.settle();
    await node.assertQuiet();
    expect(runtime.stats.crashed).toBe(0);
    await echoWorks(runtime);
  });

  it('turns a throwing watcher callback into a report, not an uncaught exception', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: unknown[] = [];
    runtime.events.on('report', (report) => reports.push(report.type));
    for (let i = 0; i < 500; i++) {
      const pid = runtime.spawn(() => {
        throw new Error('crash');
      });
      runtime.watch(pid, () => {
        throw new Error('watcher failed');
      });
    }
    await clock.settle();
    await node.assertQuiet();
    expect(reports).toHaveLength(500);
    expect(new Set(reports)).toEqual(new Set(['watcher_error']));
    await echoWorks(runtime);
  });
});

describe('link chain exit cascade', () => {
  it('takes down a 10,000-long link chain without a stack overflow', async () => {
    const { runtime, clock } = virtualRuntime();
    const LENGTH = 10_000;
    const chain: Pid<any>[] = [runtime.spawn(async (ctx) => void (await ctx.receive()))];
    for (let i = 1; i < LENGTH; i++) {
      const body = async (ctx: { receive(): Promise<unknown> }) => void (await ctx.receive());
      chain.push(
        i % 2 === 0
          ? runtime.spawn(body, { link: chain[i - 1]! })
          : runtime.spawn({ handle() {} }, { link: chain[i - 1]! }),
      );
    }
    await clock.settle();
    expect(runtime.processCount).toBe(LENGTH);
    const reasons = allExited(runtime, chain);
    const boom = new Error('end of the chain');
    const tail = runtime.spawn(
      async () => {
        throw boom;
      },
      { link: chain[LENGTH - 1]! },
    );
    const all = await reasons;
    await clock.settle();
    await node.assertQuiet();
    expect(runtime.isAlive(tail)).toBe(false);
    expect(runtime.processCount).toBe(0);
    expect(all).toHaveLength(LENGTH);
    expect(all.every((r) => isCrash(r) && r.error === boom)).toBe(true);
    await echoWorks(runtime);
  });

  it("takes down a 10,000-long chain killed from its head, each exiting 'killed'", async () => {
    const { runtime, clock } = virtualRuntime();
    const chain: Pid<any>[] = [runtime.spawn({ handle() {} })];
    for (let i = 1; i < 10_000; i++) {
      chain.push(runtime.spawn({ handle() {} }, { link: chain[i - 1]! }));
    }
    await clock.settle();
    const reasons = allExited(runtime, chain);
    runtime.exit(chain[0]!, 'kill');
    const all = await reasons;
    await node.assertQuiet();
    expect(new Set(all)).toEqual(new Set(['killed']));
    expect(runtime.processCount).toBe(0);
  });
});

/** The process number of a PID, for splitting PIDs into groups. */
function i(pid: Pid<any>): number {
  return pid.id;
}
