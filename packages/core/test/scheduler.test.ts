import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCrash, type Pid, type ReceiveContext, VirtualClock } from '../src/index.js';
import { DEFAULT_BUDGET } from '../src/scheduler.js';
import { deferred, exitOf, stopRuntimesAfterEach, trackedRuntime } from './support.js';

// The flood tests assert order, not speed: the flood stops by itself after far more
// messages than the event loop needs turns for (an HTTP request takes a few, a timer
// one), and the HTTP response and the timer must come while it still runs. A scheduler
// that kept the event loop out until the flood was over would fail them on any machine,
// and no machine is too slow to pass them.

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Warm up the HTTP client, so the first request is not a cold start.
  await httpGet();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

stopRuntimesAfterEach();

/** Waits (one event-loop turn at a time) until `condition()` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** A real HTTP GET on a fresh connection. */
function httpGet(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

/**
 * Makes an HTTP request and sets a real 5 ms timer while a flood runs; resolves with the
 * flood's progress (`progress()`) when each was served, and when they were started.
 */
async function probeDuring(progress: () => number) {
  const started = progress();
  const [http, timer] = await Promise.all([
    httpGet().then(progress),
    new Promise<void>((resolve) => setTimeout(resolve, 5)).then(progress),
  ]);
  return { started, http, timer };
}

/** Asserts that both probes were served while the flood ran: after it had begun, before its end. */
function expectServedDuring(probe: Awaited<ReturnType<typeof probeDuring>>, end: number): void {
  for (const at of [probe.http, probe.timer]) {
    expect(at).toBeGreaterThan(probe.started);
    expect(at).toBeLessThan(end);
  }
}

describe('scheduler fairness', () => {
  it('serves HTTP and timers while two handler processes ping-pong, long before the flood ends', async () => {
    const runtime = trackedRuntime();
    const CAP = 20_000_000;
    let count = 0;
    let stop = false;
    const done = deferred();
    let pong: Pid<number>;
    const ping = runtime.spawn<number>({
      handle(n, ctx) {
        if (++count >= CAP || stop) done.resolve();
        else ctx.send(pong, (n as number) + 1);
      },
    });
    pong = runtime.spawn<number>({
      handle(n, ctx) {
        count++;
        ctx.send(ping, (n as number) + 1);
      },
    });
    runtime.send(ping, 0);
    await until(() => count >= 10_000);
    const probes = [];
    for (let i = 0; i < 3; i++) probes.push(await probeDuring(() => count));
    stop = true;
    await done.promise;
    for (const probe of probes) expectServedDuring(probe, CAP);
  });

  it('serves HTTP and timers while one process works through 1,000,000 queued messages, before it is done', async () => {
    const runtime = trackedRuntime();
    let handled = 0;
    let sink = 0;
    const N = 1_000_000;
    const pid = runtime.spawn<number>({
      handle(n) {
        // A little work per message, so the flood outlasts many event-loop turns.
        let x = n as number;
        for (let i = 0; i < 300; i++) x = (x * 31 + i) | 0;
        sink ^= x;
        handled++;
      },
    });
    for (let i = 0; i < N; i++) runtime.send(pid, i);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(N);
    await until(() => handled > 0);
    const probe = await probeDuring(() => handled);
    expectServedDuring(probe, N);
    expect(sink).not.toBeNaN();
  });

  it('serves HTTP and timers while async handlers ping-pong, long before the flood ends', async () => {
    const runtime = trackedRuntime();
    const CAP = 5_000_000;
    let count = 0;
    let stop = false;
    const done = deferred();
    let pong: Pid<number>;
    const ping = runtime.spawn<number>({
      async handle(_n, ctx) {
        await Promise.resolve();
        if (++count >= CAP || stop) done.resolve();
        else ctx.send(pong, count);
      },
    });
    pong = runtime.spawn<number>({
      async handle(n, ctx) {
        await Promise.resolve();
        ctx.send(ping, n as number);
      },
    });
    runtime.send(ping, 0);
    await until(() => count >= 1_000);
    const probe = await probeDuring(() => count);
    stop = true;
    await done.promise;
    expectServedDuring(probe, CAP);
  });

  it('serves HTTP and timers while two body processes ping-pong with receive, long before the flood ends', async () => {
    const runtime = trackedRuntime();
    const CAP = 5_000_000;
    let count = 0;
    let stop = false;
    const done = deferred();
    const pong = runtime.spawn<{ from: Pid<number> }>(async (ctx) => {
      for (;;) {
        const { from } = (await ctx.receive()) as { from: Pid<number> };
        ctx.send(from, count);
      }
    });
    runtime.spawn<number>(async (ctx) => {
      while (!stop && count < CAP) {
        ctx.send(pong, { from: ctx.self });
        await ctx.receive();
        count++;
      }
      done.resolve();
    });
    await until(() => count >= 1_000);
    const probe = await probeDuring(() => count);
    stop = true;
    await done.promise;
    expectServedDuring(probe, CAP);
  });
});

/** Computes (spins) for `ms` of real time, as a CPU-bound handler does. */
function computeFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

/**
 * Counts the messages `handled()` reports between consecutive event-loop turns (each a
 * `setImmediate` callback) until `done()` holds.
 */
async function messagesPerEventLoopTurn(handled: () => number, done: () => boolean) {
  const counts: number[] = [];
  let last = 0;
  while (!done()) {
    await new Promise((resolve) => setImmediate(resolve));
    counts.push(handled() - last);
    last = handled();
  }
  return counts;
}

describe('scheduler responsiveness with slow messages', () => {
  // Each message computes for 4 ms, longer than the 3 ms slice, so the assertions hold on
  // any machine: a slower one only makes each message longer. The first look at the clock
  // may come after CLOCK_EVERY reductions; from then on the scheduler looks after each.
  it('gives the event loop back after each message of a self-continuing CPU-bound process', async () => {
    const runtime = trackedRuntime();
    let handled = 0;
    const worker = runtime.spawn<number>({
      handle(n, ctx) {
        computeFor(4);
        handled++;
        if (typeof n === 'number' && n < 60) ctx.send(ctx.self, n + 1);
      },
    });
    runtime.send(worker, 0);
    const counts = await messagesPerEventLoopTurn(
      () => handled,
      () => handled === 61,
    );
    expect(counts.filter((n) => n > 1)).toHaveLength(1);
  });

  it('gives the event loop back after each message of a long mailbox of CPU-bound messages', async () => {
    const runtime = trackedRuntime();
    let handled = 0;
    const worker = runtime.spawn<number>({
      handle() {
        computeFor(4);
        handled++;
      },
    });
    for (let i = 0; i < 150; i++) runtime.send(worker, i);
    const counts = await messagesPerEventLoopTurn(
      () => handled,
      () => handled === 150,
    );
    expect(counts.filter((n) => n > 1)).toHaveLength(1);
  });
});

describe('scheduler budget', () => {
  it('runs each process for at most `budget` messages per turn, taking turns', async () => {
    const clock = new VirtualClock();
    const runtime = trackedRuntime({ clock, budget: 10 });
    const log: string[] = [];
    const a = runtime.spawn<number>({ handle: (m) => void log.push(`a${m}`) });
    const b = runtime.spawn<number>({ handle: (m) => void log.push(`b${m}`) });
    for (let i = 0; i < 35; i++) {
      runtime.send(a, i);
      runtime.send(b, i);
    }
    await clock.settle();
    const runs: string[] = [];
    for (const entry of log) {
      const who = entry[0]!;
      if (runs.length > 0 && runs[runs.length - 1]![0] === who) runs[runs.length - 1] += who;
      else runs.push(who);
    }
    expect(runs.map((r) => `${r[0]}${r.length}`)).toEqual([
      'a10',
      'b10',
      'a10',
      'b10',
      'a10',
      'b10',
      'a5',
      'b5',
    ]);
    expect(log.filter((e) => e[0] === 'a')).toEqual(Array.from({ length: 35 }, (_, i) => `a${i}`));
  });

  it('lets a process with one message run before a busy process has emptied its mailbox', async () => {
    const clock = new VirtualClock();
    // No slice runs out during the test: the turn ends by the default budget alone.
    const runtime = trackedRuntime({ clock, sliceMs: 1e9 });
    const log: string[] = [];
    const busy = runtime.spawn<number>({ handle: (m) => void log.push(`busy ${m}`) });
    const queued = DEFAULT_BUDGET * 2 + 10;
    for (let i = 0; i < queued; i++) runtime.send(busy, i);
    const other = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    runtime.send(other, 'other');
    await clock.settle();
    expect(log).toHaveLength(queued + 1);
    // A message costs one reduction: 'other' runs after the busy process's first turn.
    expect(log.indexOf('other')).toBe(DEFAULT_BUDGET);
  });

  it('gives the event loop a turn when the slice is over, and then goes on first with the turn it cut short', async () => {
    const clock = new VirtualClock();
    // Every slice is over at once: each turn stops at its first look at the clock.
    const runtime = trackedRuntime({ clock, budget: 200, sliceMs: Number.MIN_VALUE });
    const log: string[] = [];
    const busy = runtime.spawn<number>({ handle: (m) => void log.push(`busy ${m}`) });
    for (let i = 0; i < 1000; i++) runtime.send(busy, i);
    const other = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    runtime.send(other, 'other');
    setImmediate(() => log.push('immediate'));
    await clock.settle();
    // The event loop's turn came at the first look at the clock, after 64 messages...
    expect(log.indexOf('immediate')).toBe(64);
    // ...and `other` still waited for the whole turn of `busy`: its budget of 200.
    const messages = log.filter((entry) => entry !== 'immediate');
    expect(messages).toHaveLength(1001);
    expect(messages.indexOf('other')).toBe(200);
  });

  it('runs two body processes receiving full mailboxes in turns of `budget` receives', async () => {
    const clock = new VirtualClock();
    const runtime = trackedRuntime({ clock, budget: 10, sliceMs: 1e9 });
    const log: string[] = [];
    const reader = (name: string) => async (ctx: ReceiveContext<number>) => {
      for (;;) log.push(`${name}${await ctx.receive()}`);
    };
    const a = runtime.spawn<number>(reader('a'));
    const b = runtime.spawn<number>(reader('b'));
    for (let i = 0; i < 100; i++) {
      runtime.send(a, i);
      runtime.send(b, i);
    }
    await clock.settle();
    // Each turn takes ten messages that were queued when it began, at once.
    const turns = Array.from({ length: 10 }, (_, t) =>
      ['a', 'b'].flatMap((name) => Array.from({ length: 10 }, (_, i) => `${name}${t * 10 + i}`)),
    );
    expect(log).toEqual(turns.flat());
  });
});

describe('scheduler and the timer alarm', () => {
  it('runs the processes an alarm wakes right after it, before setImmediate callbacks', async () => {
    const runtime = trackedRuntime();
    const order: string[] = [];
    const { promise, resolve } = deferred();
    let ticks = 0;
    // The callback, due in the same millisecond and set first, queues an immediate as
    // the alarm goes off; the tick's handler must not wait behind it.
    const next = (ctx: { sendAfter(message: 'tick', ms: number): unknown }): void => {
      runtime.callAfter(1, () => setImmediate(() => order.push('immediate')));
      ctx.sendAfter('tick', 1);
    };
    runtime.spawn<'tick'>({
      init: next,
      handle(_tick, ctx) {
        order.push('tick');
        if (++ticks < 20) next(ctx);
        else setImmediate(resolve);
      },
    });
    await promise;
    expect(order).toEqual(Array.from({ length: 20 }, () => ['tick', 'immediate']).flat());
  });
});

describe('scheduler loop', () => {
  it('fails a process whose receive match function throws, and goes on running the others', async () => {
    const runtime = trackedRuntime();
    const boom = new Error('bad match');
    const picky = runtime.spawn<string>(async (ctx) => {
      await ctx.receive(() => {
        throw boom;
      });
    });
    const exited = exitOf(runtime, picky);
    const echoed = deferred<string>();
    const echo = runtime.spawn<string>({ handle: (m) => echoed.resolve(m as string) });
    runtime.send(picky, 'anything');
    runtime.send(echo, 'still running');
    const reason = await exited;
    expect(isCrash(reason) && reason.error).toBe(boom);
    expect(await echoed.promise).toBe('still running');
  });

  it('fails a handler process whose returned value has a `then` that throws, and goes on', async () => {
    const runtime = trackedRuntime();
    const boom = new Error('hostile then');
    const hostile = runtime.spawn<string>({
      handle: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
          get then(): never {
            throw boom;
          },
        }) as never,
    });
    const exited = exitOf(runtime, hostile);
    const later = deferred<string>();
    const after = runtime.spawn<string>({ handle: (m) => later.resolve(m as string) });
    runtime.send(hostile, 'go');
    runtime.send(after, 'next');
    const reason = await exited;
    expect(isCrash(reason) && reason.error).toBe(boom);
    expect(await later.promise).toBe('next');
  });
});
