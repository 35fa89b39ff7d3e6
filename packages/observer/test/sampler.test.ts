// Issue #15: with 100k processes each sample blocked the event loop for ~0.8 s once a
// second, and any GET kept the sampler awake, sampling, for 10 s. A sample is now a walk in
// slices of a few ms; a request reads once and starts no sampling timer.
import { type Pid, Runtime } from '@actorkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startObserver } from '../src/index.js';
import { ROWS, type Sample, Sampler } from '../src/sampler.js';
import { getJson } from './fixtures.js';

let runtime: Runtime;
afterEach(async () => {
  vi.useRealTimers();
  await runtime.stop();
});

/** Counts event-loop turns (setImmediate callbacks) until `promise` settles. */
async function turnsDuring<T>(promise: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await promise.finally(() => {
    done = true;
  });
  return { value, turns };
}

/** A process that never takes a message: what is sent to it stays in its mailbox. */
function stuck(runtime: Runtime, queued: number): Pid<any> {
  const pid = runtime.spawn(() => new Promise<void>(() => {}));
  for (let i = 0; i < queued; i++) runtime.send(pid, i);
  return pid;
}

const options = { interval: 1000, historySize: 10, idleAfter: 1000, registries: [], onSleep() {} };

describe('Sampler.current()', () => {
  it('reads 50,000 processes in slices, giving the event loop back between them', async () => {
    runtime = new Runtime();
    for (let i = 0; i < 50_000; i++) runtime.spawn({ handle() {} });
    const sampler = new Sampler(runtime, options);
    const { value: sample, turns } = await turnsDuring(sampler.current());
    // A walk in one piece would let no turn pass; each 2 ms slice lets one.
    expect(turns).toBeGreaterThan(1);
    expect(sample.totals.processes).toBe(50_000);
    sampler.sleep();
  });

  it('counts every process and queued message, and keeps the busiest rows', async () => {
    runtime = new Runtime();
    for (let i = 0; i < 20_000; i++) runtime.spawn({ handle() {} });
    const busy = [stuck(runtime, 7), stuck(runtime, 3), stuck(runtime, 5)];
    const sampler = new Sampler(runtime, options);
    const sample = await sampler.current();
    expect(sample.totals).toMatchObject({ processes: 20_003, queued: 15 });
    expect(sample.rows).toHaveLength(ROWS);
    expect(sample.rows.slice(0, 3).map((r) => [r.pid, r.mailbox])).toEqual([
      [String(busy[0]), 7],
      [String(busy[2]), 5],
      [String(busy[1]), 3],
    ]);
    sampler.sleep();
  });
});

describe('Sampler samples between walks', () => {
  it('carry the process count read now and the last walk figures, while a walk outlasts the interval', async () => {
    runtime = new Runtime();
    for (let i = 0; i < 50_000; i++) runtime.spawn({ handle() {} });
    stuck(runtime, 4);
    const sampler = new Sampler(runtime, { ...options, interval: 50 });
    const walked = await sampler.current();
    expect(walked.totals.walkedAt).toBe(walked.totals.at);
    const samples: Sample[] = [];
    let seen: (() => void) | undefined;
    sampler.subscribe((event) => {
      if (event.type !== 'sample') return;
      samples.push(event.sample);
      seen?.();
    });
    const next = (test: (s: Sample) => boolean) =>
      new Promise<Sample>((resolve) => {
        seen = () => {
          const found = samples.find(test);
          if (found !== undefined) resolve(found);
        };
      });
    // A dashboard: the first tick starts a walk of 50,001 processes at 2% of the loop,
    // which takes longer than the 50 ms interval; the ticks after it send samples between.
    sampler.acquire();
    const between = await next((s) => s.totals.walkedAt === walked.totals.walkedAt);
    expect(between.totals.at).toBeGreaterThan(walked.totals.walkedAt);
    expect(between.totals).toMatchObject({ processes: 50_001, queued: 4 });
    expect(between.rows).toBe(walked.rows);
    for (let i = 0; i < 10; i++) runtime.spawn({ handle() {} });
    const later = await next(
      (s) => s.totals.walkedAt === walked.totals.walkedAt && s.totals.processes === 50_011,
    );
    expect(later.totals.queued).toBe(4);
    sampler.sleep();
  });
});

describe('sampling timers', () => {
  it('a request reads once and starts none; a dashboard samples every interval until it leaves', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    runtime = new Runtime();
    const observer = await startObserver(runtime, { sampleInterval: 100 });
    try {
      const first = await getJson(observer, '/api/node');
      expect(first.body.history).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(0);
      const controller = new AbortController();
      const stream = await fetch(`${observer.url}/api/events`, {
        signal: controller.signal,
        headers: { authorization: `Bearer ${observer.token}` },
      });
      // The sampling interval and the stream's heartbeat.
      expect(vi.getTimerCount()).toBe(2);
      const reader = stream.body!.getReader();
      let text = '';
      const samples = () => text.match(/^event: sample$/gm)?.length ?? 0;
      const readUntil = async (n: number) => {
        while (samples() < n) text += new TextDecoder().decode((await reader.read()).value);
      };
      // On connecting it gets the request's sample; the next is the interval's.
      await readUntil(1);
      vi.advanceTimersByTime(100);
      await readUntil(2);
      expect(samples()).toBe(2);
      controller.abort();
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0));
    } finally {
      await observer.close();
    }
  });
});
