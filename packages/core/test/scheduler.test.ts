import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pid, type ReceiveContext, VirtualClock } from '../src/index.js';
import { deferred, stopRuntimesAfterEach, trackedRuntime } from './support.js';

// Generous on purpose: a slice is ~3 ms, so a starved event loop shows up as seconds,
// not as a few ms of noise on a busy 2-core machine.
const PROMPT_MS = 100;

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Warm up the HTTP client, so the first measurement is not a cold start.
  await timedGet();
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

/** A real HTTP GET on a fresh connection; resolves with its latency in ms. */
function timedGet(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    });
    req.on('error', reject);
  });
}

/** A real `setTimeout(…, 5)`; resolves with the ms it actually took. */
function timedTimeout(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => setTimeout(() => resolve(performance.now() - start), 5));
}

/**
 * Measures an HTTP request and a 5 ms timer while a flood runs, recording the flood's
 * progress (`progress()`) when each is served.
 */
async function measureDuring(progress: () => number) {
  const [http, timer] = await Promise.all([
    timedGet().then((ms) => ({ ms, at: progress() })),
    timedTimeout().then((ms) => ({ ms, at: progress() })),
  ]);
  return { http, timer };
}

describe('scheduler fairness', () => {
  it('serves HTTP and timers promptly while two handler processes ping-pong millions of messages', async () => {
    const runtime = trackedRuntime();
    const MESSAGES = 2_000_000;
    let count = 0;
    let stop = false;
    const done = deferred();
    let pong: Pid<number>;
    const ping = runtime.spawn<number>({
      handle(n, ctx) {
        count++;
        // The flood ends only when the test says so, after at least MESSAGES messages.
        if (stop && count >= MESSAGES) done.resolve();
        else ctx.send(pong, (n as number) + 1);
      },
    });
    pong = runtime.spawn<number>({
      handle(n, ctx) {
        count++;
        ctx.send(ping, (n as number) + 1);
      },
    });
    const floodStart = performance.now();
    runtime.send(ping, 0);
    await until(() => count >= 10_000);
    const samples: Awaited<ReturnType<typeof measureDuring>>[] = [];
    do samples.push(await measureDuring(() => count));
    while (count < MESSAGES);
    stop = true;
    await done.promise;
    const floodMs = performance.now() - floodStart;

    expect(count).toBeGreaterThanOrEqual(MESSAGES);
    const worst = Math.max(...samples.flatMap(({ http, timer }) => [http.ms, timer.ms]));
    expect(worst).toBeLessThan(PROMPT_MS);
    expect(worst).toBeLessThan(floodMs / 2);
    for (const { http, timer } of samples) {
      expect(timer.ms).toBeGreaterThanOrEqual(4);
      // Served before the flood could end.
      expect(http.at).toBeLessThan(count);
      expect(timer.at).toBeLessThan(count);
    }
  });

  it('serves HTTP and timers promptly while one process works through 1,000,000 queued messages', async () => {
    const runtime = trackedRuntime();
    let handled = 0;
    let sink = 0;
    const done = deferred();
    const N = 1_000_000;
    const pid = runtime.spawn<number>({
      handle(n) {
        // A little work per message, so the flood outlasts several event-loop turns.
        let x = n as number;
        for (let i = 0; i < 300; i++) x = (x * 31 + i) | 0;
        sink ^= x;
        if (++handled === N) done.resolve();
      },
    });
    for (let i = 0; i < N; i++) runtime.send(pid, i);
    expect(runtime.processInfo(pid)?.mailboxLength).toBe(N);
    await until(() => handled > 0);
    const left = () => runtime.processInfo(pid)?.mailboxLength ?? 0;
    const { http, timer } = await measureDuring(() => N - left());
    await done.promise;

    expect(http.ms).toBeLessThan(PROMPT_MS);
    expect(timer.ms).toBeLessThan(PROMPT_MS);
    // Still messages queued when both were served: the flood had not finished.
    expect(http.at).toBeLessThan(N);
    expect(timer.at).toBeLessThan(N);
    expect(sink).not.toBeNaN();
  });

  it('serves HTTP and timers promptly while async handlers ping-pong', async () => {
    const runtime = trackedRuntime();
    let count = 0;
    let stop = false;
    const done = deferred();
    let pong: Pid<number>;
    const ping = runtime.spawn<number>({
      async handle(_n, ctx) {
        await Promise.resolve();
        count++;
        if (stop) done.resolve();
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
    const { http, timer } = await measureDuring(() => count);
    stop = true;
    await done.promise;
    // The flood only ends when told to, so it was running when both were served.
    expect(count).toBeGreaterThan(Math.max(http.at, timer.at));
    expect(http.ms).toBeLessThan(PROMPT_MS);
    expect(timer.ms).toBeLessThan(PROMPT_MS);
  });

  it('serves HTTP and timers promptly while two body processes ping-pong with receive', async () => {
    const runtime = trackedRuntime();
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
      while (!stop) {
        ctx.send(pong, { from: ctx.self });
        await ctx.receive();
        count++;
      }
      done.resolve();
    });
    await until(() => count >= 1_000);
    const { http, timer } = await measureDuring(() => count);
    stop = true;
    await done.promise;
    // The flood only ends when told to, so it was running when both were served.
    expect(count).toBeGreaterThan(Math.max(http.at, timer.at));
    expect(http.ms).toBeLessThan(PROMPT_MS);
    expect(timer.ms).toBeLessThan(PROMPT_MS);
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
    const runtime = trackedRuntime({ clock });
    const log: string[] = [];
    const busy = runtime.spawn<number>({ handle: (m) => void log.push(`busy ${m}`) });
    for (let i = 0; i < 1000; i++) runtime.send(busy, i);
    const other = runtime.spawn<string>({ handle: (m) => void log.push(m as string) });
    runtime.send(other, 'other');
    await clock.settle();
    expect(log).toHaveLength(1001);
    const at = log.indexOf('other');
    // The default budget is 64: 'other' runs after the busy process's first turn.
    expect(at).toBe(64);
  });

  it('runs two body processes receiving full mailboxes in alternation, one receive per turn', async () => {
    const clock = new VirtualClock();
    const runtime = trackedRuntime({ clock });
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
    expect(log).toEqual(Array.from({ length: 100 }, (_, i) => [`a${i}`, `b${i}`]).flat());
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
