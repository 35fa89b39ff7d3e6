import { InvalidArgumentError, VirtualClock } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { enqueue, job } from '../src/enqueue.js';
import { defineWorker } from '../src/worker.js';
import { memoryStore } from './support.js';

const SendWelcome = defineWorker({
  name: 'send-welcome',
  queue: 'mail',
  maxAttempts: 5,
  priority: 2,
  perform: (_args: { userId: number }) => undefined,
});

describe('job()', () => {
  it("builds a job with the worker's queue, priority and attempts, each overridable", () => {
    expect(job(SendWelcome, { userId: 1 })).toEqual({
      queue: 'mail',
      worker: 'send-welcome',
      args: { userId: 1 },
      priority: 2,
      maxAttempts: 5,
    });
    expect(
      job(SendWelcome, { userId: 1 }, { queue: 'bulk', priority: 0, maxAttempts: 1, key: 'k' }),
    ).toMatchObject({ queue: 'bulk', priority: 0, maxAttempts: 1, key: 'k' });
  });

  it('checks args with the worker’s parse, and keeps what it returns', () => {
    const Parsed = defineWorker({
      name: 'parsed',
      parse: (args: unknown) => {
        const { n } = args as { n: unknown };
        if (typeof n !== 'number') throw new TypeError(`n must be a number, got ${typeof n}`);
        return { n: Math.trunc(n) };
      },
      perform: (_args: { n: number }) => undefined,
    });
    expect(job(Parsed, { n: 2.7 }).args).toEqual({ n: 2 });
    expect(() => job(Parsed, { n: 'x' } as never)).toThrow(/n must be a number/);
  });

  it('refuses runAt and delay together, and unknown options', () => {
    expect(() => job(SendWelcome, { userId: 1 }, { runAt: 5, delay: 5 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => job(SendWelcome, { userId: 1 }, { dely: 5 } as never)).toThrow(/dely/);
  });

  it('takes a backoff for this job, plain data checked like the worker’s, and refuses a function or random', () => {
    const backoff = { initial: 100, factor: 3, max: 5000, jitter: 0 };
    expect(job(SendWelcome, { userId: 1 }, { maxAttempts: 2, backoff })).toMatchObject({
      maxAttempts: 2,
      backoff,
    });
    expect(job(SendWelcome, { userId: 1 })).not.toHaveProperty('backoff');
    for (const bad of [
      () => 10,
      { initial: 1, random: () => 0.5 },
      { jitter: 2 },
      { wait: 5 },
      [],
    ]) {
      expect(() => job(SendWelcome, { userId: 1 }, { backoff: bad as never })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => job(SendWelcome, { userId: 1 }, { backoff: () => 10 } as never)).toThrow(
      /job options\.backoff.*plain data.*give a backoff function or a random source to the worker/,
    );
    expect(() => job(SendWelcome, { userId: 1 }, { maxAttempts: 0 })).toThrow(InvalidArgumentError);
  });

  it('takes runAt as a Date', () => {
    expect(job(SendWelcome, { userId: 1 }, { runAt: new Date(1234) }).runAt).toBe(1234);
  });
});

describe('enqueue()', () => {
  it('resolves with the committed job, or the existing one for a key it holds', async () => {
    const store = memoryStore(new VirtualClock());
    const first = await enqueue(store, SendWelcome, { userId: 1 }, { key: 'welcome:1' });
    expect(first).toMatchObject({
      inserted: true,
      job: { args: { userId: 1 }, state: 'available' },
    });
    const again = await enqueue(store, SendWelcome, { userId: 1 }, { key: 'welcome:1' });
    expect(again).toEqual({ inserted: false, job: first.job });
  });

  it('refuses args that are not plain JSON data, naming the field', async () => {
    const store = memoryStore(new VirtualClock());
    await expect(
      enqueue(store, SendWelcome, { userId: 1, at: new Date() } as never),
    ).rejects.toThrow(/jobs\[0\]\.args\.at/);
    await expect(
      enqueue(store, SendWelcome, { userId: 1, list: [{ ok: 1 }, { n: Number.NaN }] } as never),
    ).rejects.toThrow(/jobs\[0\]\.args\.list\[1\]\.n.*finite number/);
  });

  it('schedules with delay on the store’s clock', async () => {
    const clock = new VirtualClock(500);
    const store = memoryStore(clock);
    const { job: later } = await enqueue(store, SendWelcome, { userId: 1 }, { delay: 1000 });
    expect(later).toMatchObject({ state: 'scheduled', runAt: 1500 });
  });
});

describe('defineWorker()', () => {
  it('fills the defaults and refuses unknown options', () => {
    const worker = defineWorker({ name: 'w', perform: () => undefined });
    expect(worker).toMatchObject({
      queue: 'default',
      priority: 0,
      maxAttempts: 10,
      timeout: Number.POSITIVE_INFINITY,
    });
    expect(() =>
      defineWorker({ name: 'w', perform: () => undefined, retries: 3 } as never),
    ).toThrow(/retries/);
    expect(() =>
      defineWorker({ name: 'w', perform: () => undefined, backoff: { initial: -1 } }),
    ).toThrow(InvalidArgumentError);
  });
});
