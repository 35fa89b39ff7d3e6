import { describe, expect, it } from 'vitest';
import {
  Crash,
  type CrashReport,
  type Down,
  type ExitEvent,
  InvalidArgumentError,
  isCrash,
  isDown,
  isExit,
  NoProcError,
  type Pid,
  type ProcessContext,
  type Runtime,
} from '../src/index.js';
import { deferred, exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach();

/** Waits a few turns of the event loop (a different mix of microtasks and macrotasks). */
async function jitter(n: number): Promise<void> {
  for (let i = 0; i < n % 4; i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < n % 3; i++) await Promise.resolve();
}

function recordCrashes(runtime: Runtime): CrashReport[] {
  const crashes: CrashReport[] = [];
  runtime.events.on('crash', (report) => crashes.push(report));
  return crashes;
}

describe('spawn() of a body', () => {
  it('runs the async function on a later turn with a context for the new process', async () => {
    const { runtime } = virtualRuntime();
    const seen = deferred<ProcessContext<unknown>>();
    let ran = false;
    const pid = runtime.spawn(async (ctx) => {
      ran = true;
      seen.resolve(ctx);
    });
    expect(ran).toBe(false);
    expect(runtime.processInfo(pid)?.status).toBe('runnable');
    expect(runtime.processInfo(pid)?.kind).toBe('body');
    const ctx = await seen.promise;
    expect(ctx.self).toBe(pid);
    expect(ctx.runtime).toBe(runtime);
    expect(ctx.parent).toBe(runtime.initPid);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
  });

  it("exits 'normal' when the function returns", async () => {
    const { runtime } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const pid = runtime.spawn(async () => 42);
    expect(await exitOf(runtime, pid)).toBe('normal');
    expect(runtime.isAlive(pid)).toBe(false);
    expect(crashes).toEqual([]);
  });

  it("exits 'normal' when a plain (non-async) function returns", async () => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn(() => undefined);
    expect(await exitOf(runtime, pid)).toBe('normal');
  });

  it('exits with a Crash when the function throws synchronously', async () => {
    const { runtime } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const boom = new Error('boom');
    const pid = runtime.spawn(() => {
      throw boom;
    });
    const reason = await exitOf(runtime, pid);
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
    expect((reason as Crash).stack).toBe(boom.stack);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ pid, error: boom, stack: boom.stack });
  });

  it('exits with a Crash when its promise rejects, even with a non-Error value', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const pid = runtime.spawn(async (ctx) => {
      await ctx.receive();
      throw 'just a string';
    });
    const reason = exitOf(runtime, pid);
    runtime.send(pid, 'go');
    await clock.settle();
    expect(isCrash(await reason)).toBe(true);
    expect(((await reason) as Crash).error).toBe('just a string');
    expect(crashes).toHaveLength(1);
    expect(crashes[0]?.messagesHandled).toBe(1);
  });

  it('reports a crash once, as a crash event and an exit event with the same reason', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const exits: ExitEvent[] = [];
    runtime.events.on('exit', (event) => exits.push(event));
    const pid = runtime.spawn(
      async () => {
        throw new TypeError('bad');
      },
      { name: 'crasher' },
    );
    await exitOf(runtime, pid);
    await clock.settle();
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ pid, registeredName: 'crasher', initialCall: 'anonymous' });
    expect(exits).toHaveLength(1);
    expect(exits[0]?.pid).toBe(pid);
    expect(isCrash(exits[0]?.reason)).toBe(true);
    expect((exits[0]!.reason as Crash).error).toBe(crashes[0]?.error);
    expect(runtime.stats.crashed).toBe(1);
  });

  // Bug: processes that exit because a linked process crashed get a crash event (and
  // count in stats.crashed) too, so one throw is reported once per linked process.
  it('reports one crash event, for the crashed process only, when linked processes die of it', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const a = runtime.spawn({ handle() {} });
    const b = runtime.spawn({ handle() {} }, { link: a });
    const crasher = runtime.spawn(
      {
        handle() {
          throw new Error('only I crashed');
        },
      },
      { link: b },
    );
    runtime.send(crasher, 'go');
    await clock.settle();
    expect(runtime.isAlive(a)).toBe(false);
    expect(runtime.isAlive(b)).toBe(false);
    expect(crashes.map((c) => c.pid)).toEqual([crasher]);
  });

  it('does not crash when ctx.exit is called; the reason is the one given', async () => {
    const { runtime } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const after: string[] = [];
    const pid = runtime.spawn(async (ctx) => {
      ctx.exit({ shutdown: 'done' });
      after.push('ran on');
    });
    expect(await exitOf(runtime, pid)).toEqual({ shutdown: 'done' });
    expect(after).toEqual([]);
    expect(crashes).toEqual([]);
  });
});

describe('spawn() of a handler', () => {
  it('calls init first, then handle once per message in order', async () => {
    const { runtime, clock } = virtualRuntime();
    const calls: unknown[] = [];
    const pid = runtime.spawn<string>({
      init(ctx) {
        calls.push(['init', ctx.self === pid]);
      },
      handle(message, ctx) {
        calls.push([message, ctx.self === pid]);
      },
    });
    expect(runtime.processInfo(pid)?.kind).toBe('handler');
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await clock.settle();
    expect(calls).toEqual([
      ['init', true],
      ['a', true],
      ['b', true],
    ]);
  });

  it('works without init', async () => {
    const { runtime, clock } = virtualRuntime();
    const got: unknown[] = [];
    const pid = runtime.spawn({ handle: (m) => void got.push(m) });
    runtime.send(pid, 1);
    await clock.settle();
    expect(got).toEqual([1]);
  });

  it('handles no message before an async init has resolved', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const calls: unknown[] = [];
    const pid = runtime.spawn<string>({
      async init() {
        calls.push('init start');
        await gate.promise;
        calls.push('init end');
      },
      handle: (m) => void calls.push(m),
    });
    runtime.send(pid, 'a');
    await clock.settle();
    expect(calls).toEqual(['init start']);
    gate.resolve();
    await clock.settle();
    expect(calls).toEqual(['init start', 'init end', 'a']);
  });

  it('keeps running after handling, waiting for more messages', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} });
    runtime.send(pid, 'x');
    await clock.settle();
    expect(runtime.isAlive(pid)).toBe(true);
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
  });

  it('exits with a Crash when handle throws', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const handled: unknown[] = [];
    const boom = new RangeError('out of range');
    const pid = runtime.spawn<number>({
      handle(m) {
        handled.push(m);
        if (m === 2) throw boom;
      },
    });
    const reason = exitOf(runtime, pid);
    for (const m of [1, 2, 3]) runtime.send(pid, m);
    await clock.settle();
    expect(((await reason) as Crash).error).toBe(boom);
    expect(handled).toEqual([1, 2]);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]?.messagesHandled).toBe(2);
  });

  it('exits with a Crash when an async handle rejects', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const pid = runtime.spawn<number>({
      async handle(m) {
        await Promise.resolve();
        if (m === 1) throw new Error('async boom');
      },
    });
    const reason = exitOf(runtime, pid);
    runtime.send(pid, 1);
    runtime.send(pid, 2);
    await clock.settle();
    expect(((await reason) as Crash).error).toEqual(new Error('async boom'));
    expect(crashes).toHaveLength(1);
  });

  it('exits with a Crash when init throws or rejects', async () => {
    const { runtime, clock } = virtualRuntime();
    const crashes = recordCrashes(runtime);
    const sync = runtime.spawn({
      init() {
        throw new Error('init sync');
      },
      handle() {},
    });
    const async = runtime.spawn({
      async init() {
        throw new Error('init async');
      },
      handle() {},
    });
    const reasons = [exitOf(runtime, sync), exitOf(runtime, async)];
    await clock.settle();
    const [a, b] = (await Promise.all(reasons)) as Crash[];
    expect(String(a?.error)).toBe('Error: init sync');
    expect(String(b?.error)).toBe('Error: init async');
    expect(crashes.map((c) => c.pid)).toEqual([sync, async]);
  });
});

describe('one message at a time', () => {
  it('never overlaps two async handle calls of a handler process', async () => {
    const { runtime } = virtualRuntime();
    const done = deferred();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const pid = runtime.spawn<number>({
      async handle(m) {
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${m}`);
        await jitter(m as number);
        log.push(`end ${m}`);
        active--;
        if (m === 49) done.resolve();
      },
    });
    for (let i = 0; i < 50; i++) runtime.send(pid, i);
    await done.promise;
    expect(maxActive).toBe(1);
    expect(log).toEqual(Array.from({ length: 50 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
    expect(runtime.processInfo(pid)?.messagesHandled).toBe(50);
  });

  it('keeps messages queued while an async handle awaits, even across many deliveries', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const log: unknown[] = [];
    const pid = runtime.spawn<string>({
      async handle(m) {
        log.push(`start ${m}`);
        if (m === 'slow') await gate.promise;
        log.push(`end ${m}`);
      },
    });
    runtime.send(pid, 'slow');
    await clock.settle();
    for (const m of ['a', 'b', 'c']) {
      runtime.send(pid, m);
      await clock.settle();
    }
    expect(log).toEqual(['start slow']);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(3);
    gate.resolve();
    await clock.settle();
    expect(log).toEqual([
      'start slow',
      'end slow',
      'start a',
      'end a',
      'start b',
      'end b',
      'start c',
      'end c',
    ]);
  });

  // Bug: a handler process that has once been idle stays marked idle while its async
  // handle awaits, so the next delivered message schedules it and starts a second handle.
  it('does not start the next message while an async handle awaits, after having been idle', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const log: unknown[] = [];
    const pid = runtime.spawn<string>({
      async handle(m) {
        log.push(`start ${m}`);
        if (m === 'slow') await gate.promise;
        log.push(`end ${m}`);
      },
    });
    await clock.settle();
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
    runtime.send(pid, 'slow');
    await clock.settle();
    runtime.send(pid, 'next');
    await clock.settle();
    expect(log).toEqual(['start slow']);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(1);
    gate.resolve();
    await clock.settle();
    expect(log).toEqual(['start slow', 'end slow', 'start next', 'end next']);
  });

  it('never overlaps the work a body process does between receives', async () => {
    const { runtime } = virtualRuntime();
    const done = deferred();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const pid = runtime.spawn<number>(async (ctx) => {
      for (;;) {
        const m = (await ctx.receive()) as number;
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${m}`);
        await jitter(m);
        log.push(`end ${m}`);
        active--;
        if (m === 49) done.resolve();
      }
    });
    for (let i = 0; i < 50; i++) runtime.send(pid, i);
    await done.promise;
    expect(maxActive).toBe(1);
    expect(log).toEqual(Array.from({ length: 50 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
    expect(runtime.processInfo(pid)?.messagesHandled).toBe(50);
  });

  it('never overlaps handle calls when several processes send to one handler concurrently', async () => {
    const { runtime } = virtualRuntime();
    const done = deferred();
    let active = 0;
    let maxActive = 0;
    let count = 0;
    const sink = runtime.spawn<number>({
      async handle(m) {
        active++;
        maxActive = Math.max(maxActive, active);
        await jitter(m as number);
        count++;
        active--;
        if (count === 200) done.resolve();
      },
    });
    for (let s = 0; s < 10; s++) {
      runtime.spawn(async (ctx) => {
        for (let i = 0; i < 20; i++) {
          ctx.send(sink, s + i);
          await ctx.receive({ timeout: 0 });
        }
      });
    }
    await done.promise;
    expect(count).toBe(200);
    expect(maxActive).toBe(1);
  });
});

describe('ProcessContext.spawnLink()', () => {
  it('links the child before it runs, so its crash takes the parent down', async () => {
    const { runtime, clock } = virtualRuntime();
    const child = deferred<Pid<any>>();
    const parent = runtime.spawn(async (ctx) => {
      child.resolve(
        ctx.spawnLink(async () => {
          throw new Error('child failed');
        }),
      );
      await ctx.receive();
    });
    const childPid = await child.promise;
    expect(runtime.processInfo(childPid)?.links).toEqual([parent]);
    expect(runtime.processInfo(parent)?.links).toEqual([childPid]);
    expect(runtime.processInfo(childPid)?.parent).toBe(parent);
    const reason = await exitOf(runtime, parent);
    await clock.settle();
    expect(isCrash(reason)).toBe(true);
    expect(((reason as Crash).error as Error).message).toBe('child failed');
  });

  it("leaves the parent running when the child exits 'normal'", async () => {
    const { runtime, clock } = virtualRuntime();
    const parent = runtime.spawn(async (ctx) => {
      ctx.spawnLink(async () => {});
      await ctx.receive();
    });
    await clock.settle();
    expect(runtime.isAlive(parent)).toBe(true);
    expect(runtime.processInfo(parent)?.links).toEqual([]);
  });
});

describe('ProcessContext.spawnMonitor()', () => {
  it('returns the child PID and a ref whose DOWN carries the exit reason', async () => {
    const { runtime, clock } = virtualRuntime();
    const result = deferred<[Pid<any>, unknown, Down]>();
    const parent = runtime.spawn(async (ctx) => {
      const [pid, ref] = ctx.spawnMonitor(async (c) => {
        await c.receive();
        c.exit('custom');
      });
      ctx.send(pid, 'go');
      result.resolve([pid, ref, await ctx.receive(isDown)]);
    });
    const [pid, ref, down] = await result.promise;
    expect(down.ref).toBe(ref);
    expect(down.pid).toBe(pid);
    expect(down.reason).toBe('custom');
    await clock.settle();
    expect(runtime.isAlive(parent)).toBe(false);
  });

  it('does not link: the monitoring process survives the child crash', async () => {
    const { runtime, clock } = virtualRuntime();
    const got = deferred<Down>();
    const parent = runtime.spawn(async (ctx) => {
      const [child] = ctx.spawnMonitor(() => {
        throw new Error('x');
      });
      expect(runtime.processInfo(ctx.self)?.monitors).toEqual([child]);
      got.resolve((await ctx.receive(isDown)) as Down);
      await ctx.receive();
    });
    const down = await got.promise;
    expect(isCrash(down.reason)).toBe(true);
    await clock.settle();
    expect(runtime.isAlive(parent)).toBe(true);
    expect(runtime.processInfo(parent)?.monitors).toEqual([]);
  });
});

describe('spawn() argument checks', () => {
  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'handler'],
    ['an object without handle', {}],
    ['an object whose handle is not a function', { handle: 'nope' }],
  ])('throws InvalidArgumentError naming `spawnable` for %s', (_label, spawnable) => {
    const { runtime } = virtualRuntime();
    let error: unknown;
    try {
      runtime.spawn(spawnable as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as InvalidArgumentError).argument).toBe('spawnable');
    expect((error as Error).message).toContain('`spawnable`');
    expect((error as Error).message).toMatch(/handle\(message, ctx\)/);
    expect(runtime.processCount).toBe(0);
    expect(runtime.stats.spawned).toBe(0);
  });

  it('throws the same error from ctx.spawn inside a process, which may catch it', async () => {
    const { runtime } = virtualRuntime();
    const caught = deferred<unknown>();
    runtime.spawn(async (ctx) => {
      try {
        ctx.spawn(undefined as never);
        caught.resolve('no error');
      } catch (error) {
        caught.resolve(error);
      }
    });
    const error = await caught.promise;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('spawnable');
  });
});

describe('processInfo()', () => {
  it('reports status runnable, running and waiting for a handler', async () => {
    const { runtime, clock } = virtualRuntime();
    const during: unknown[] = [];
    const pid = runtime.spawn({
      handle(_m, ctx) {
        during.push(runtime.processInfo(ctx.self)?.status);
      },
    });
    expect(runtime.processInfo(pid)?.status).toBe('runnable');
    runtime.send(pid, 'x');
    await clock.settle();
    expect(during).toEqual(['running']);
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
  });

  it('reports status running and waiting for a body', async () => {
    const { runtime, clock } = virtualRuntime();
    const during: unknown[] = [];
    const pid = runtime.spawn(async (ctx) => {
      during.push(runtime.processInfo(ctx.self)?.status);
      await ctx.receive();
      during.push(runtime.processInfo(ctx.self)?.status);
      await ctx.receive();
    });
    await clock.settle();
    expect(runtime.processInfo(pid)?.status).toBe('waiting');
    runtime.send(pid, 'x');
    await clock.settle();
    expect(during).toEqual(['running', 'running']);
  });

  it('reports mailboxLength and messagesHandled', async () => {
    const { runtime, clock } = virtualRuntime();
    const gate = deferred();
    const pid = runtime.spawn({
      handle(m) {
        if (m === 'block') return gate.promise;
      },
    });
    runtime.send(pid, 'block');
    await clock.settle();
    for (let i = 0; i < 5; i++) runtime.send(pid, i);
    expect(runtime.processInfo(pid)).toMatchObject({ mailboxLength: 5, messagesHandled: 1 });
    gate.resolve();
    await clock.settle();
    expect(runtime.processInfo(pid)).toMatchObject({ mailboxLength: 0, messagesHandled: 6 });
  });

  it('reports links, monitors, monitoredBy, trapExit and the registered name', async () => {
    const { runtime, clock } = virtualRuntime();
    const other = runtime.spawn({ handle() {} });
    const watched = runtime.spawn({ handle() {} });
    const pid = runtime.spawn(
      {
        init(ctx) {
          ctx.link(other);
          ctx.monitor(watched);
          ctx.trapExit(true);
        },
        handle() {},
      },
      { name: 'worker' },
    );
    await clock.settle();
    const info = runtime.processInfo(pid)!;
    expect(info.links).toEqual([other]);
    expect(info.monitors).toEqual([watched]);
    expect(info.trapExit).toBe(true);
    expect(info.registeredName).toBe('worker');
    expect(runtime.processInfo(other)?.links).toEqual([pid]);
    expect(runtime.processInfo(watched)?.monitoredBy).toEqual([pid]);
    expect(runtime.processInfo('worker')?.pid).toBe(pid);
    runtime.exit(pid, 'kill');
  });

  it('reports the initial call: function name, handler class name, or the label option', () => {
    const { runtime } = virtualRuntime();
    class Counter {
      handle() {}
    }
    async function namedBody() {}
    const info = (pid: Pid<any>) => runtime.processInfo(pid)?.initialCall;
    expect(info(runtime.spawn(namedBody))).toBe('namedBody');
    expect(info(runtime.spawn(new Counter()))).toBe('Counter');
    expect(info(runtime.spawn({ handle() {} }))).toBe('handler');
    expect(info(runtime.spawn(async () => {}, { label: 'Mailer.run/1' }))).toBe('Mailer.run/1');
  });

  it('reports the parent: the init PID from outside, the spawning process from inside', async () => {
    const { runtime } = virtualRuntime();
    const outside = runtime.spawn({ handle() {} });
    expect(runtime.processInfo(outside)?.parent).toBe(runtime.initPid);
    const children = deferred<Pid<any>[]>();
    const parent = runtime.spawn(async (ctx) => {
      children.resolve([ctx.spawn({ handle() {} }), ctx.spawnLink({ handle() {} })]);
      await ctx.receive();
    });
    const [spawned, linked] = await children.promise;
    expect(runtime.processInfo(spawned!)?.parent).toBe(parent);
    expect(runtime.processInfo(linked!)?.parent).toBe(parent);
    const viaOption = runtime.spawn({ handle() {} }, { link: outside });
    expect(runtime.processInfo(viaOption)?.parent).toBe(outside);
  });

  it('returns undefined for a process that has exited', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn(async () => {});
    await clock.settle();
    expect(runtime.processInfo(pid)).toBeUndefined();
  });
});

describe('processes()', () => {
  it('lists every live PID, oldest first, and drops those that exit', async () => {
    const { runtime, clock } = virtualRuntime();
    const a = runtime.spawn({ handle() {} });
    const b = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    const c = runtime.spawn({ handle() {} });
    expect(runtime.processes()).toEqual([a, b, c]);
    expect(runtime.processCount).toBe(3);
    runtime.send(b, 'finish');
    await clock.settle();
    expect(runtime.processes()).toEqual([a, c]);
    runtime.exit(a, 'kill');
    await clock.settle();
    expect(runtime.processes()).toEqual([c]);
    expect(runtime.processCount).toBe(1);
  });
});

describe('trace()', () => {
  it('reports every message entering the mailbox: sends, timer messages and signals', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} }, { trapExit: true });
    const seen: unknown[] = [];
    const stop = runtime.trace(pid, (message) => seen.push(message));
    expect(runtime.processInfo(pid)?.traced).toBe(true);
    runtime.send(pid, 'sent');
    runtime.sendAfter(pid, 'timer', 5);
    runtime.exit(pid, 'shutdown');
    await clock.advance(5);
    expect(seen[0]).toBe('sent');
    expect(isExit(seen[1])).toBe(true);
    expect(seen[2]).toBe('timer');
    stop();
    runtime.send(pid, 'after');
    expect(seen).toHaveLength(3);
    expect(runtime.processInfo(pid)?.traced).toBe(false);
  });

  it('throws NoProcError for a dead PID and InvalidArgumentError for a non-function', async () => {
    const { runtime } = virtualRuntime();
    const pid = runtime.spawn({ handle() {} });
    expect(() => runtime.trace(pid, 42 as never)).toThrow(InvalidArgumentError);
    runtime.exit(pid, 'kill');
    expect(() => runtime.trace(pid, () => {})).toThrow(NoProcError);
  });
});

describe('processInfo() behaviour and startedAt', () => {
  it('names the kind of process and when it started on the runtime clock', async () => {
    const { runtime, clock } = virtualRuntime();
    await clock.advance(7);
    const body = runtime.spawn(async (ctx) => void (await ctx.receive()));
    const handler = runtime.spawn({ handle() {} });
    const tagged = runtime.spawn({ handle() {} }, { behaviour: 'gen_server' });
    expect(runtime.processInfo(body)).toMatchObject({ behaviour: 'process', startedAt: 7 });
    expect(runtime.processInfo(handler)?.behaviour).toBe('handler');
    expect(runtime.processInfo(tagged)?.behaviour).toBe('gen_server');
  });
});
