import type { Crash, Runtime, VirtualClock } from '@actorkit/core';
import {
  isTaskRetryReport,
  type RetryOptions,
  type TaskRetryReport,
  TaskSupervisor,
} from '@actorkit/genserver';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { Queue } from '../src/queue.js';
import { defineWorker } from '../src/worker.js';
import { memoryStore, nextReport, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// #14, the durability dial: ONE worker function and ONE options object run as a task
// retried in memory under a TaskSupervisor and as a durable job on SQLite (:memory:),
// with the same attempts, the same backoff and the same per-error decisions.

stopRuntimesAfterEach({ timeout: 0 });

class PermanentError extends Error {}

/** What the deliveries saw: per url, each attempt's number and clock time. */
type Seen = Map<string, { attempt: number; at: number }[]>;

/** A webhook delivery that fails twice (a flaky host), or for good (`gone`). */
function deliveries(seen: Seen) {
  return async function deliver(args: { url: string }, ctx: { attempt: number; runtime: Runtime }) {
    const log = seen.get(args.url) ?? [];
    seen.set(args.url, log);
    log.push({ attempt: ctx.attempt, at: ctx.runtime.clock.now() });
    if (args.url.endsWith('/gone')) throw new PermanentError(`${args.url} is gone`);
    if (ctx.attempt < 3) throw new Error(`${args.url} answered 503`);
    return `delivered on attempt ${ctx.attempt}`;
  };
}

const retry = {
  maxAttempts: 4,
  backoff: { initial: 100, factor: 2, max: 10_000, jitter: 0.5, random: () => 0.5 },
  onError: (error) => (error instanceof PermanentError ? 'discard' : 'retry'),
} satisfies RetryOptions;

/** Advances `clock` in steps until `promise` settles (a queue polls and waits on the clock). */
async function until<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 200 && !done; i++) await clock.advance(10);
  return promise;
}

/** Attempt numbers and delays from the first attempt. */
function relative(log: { attempt: number; at: number }[] = []) {
  return log.map(({ attempt, at }) => [attempt, at - log[0]!.at]);
}

describe('one worker function, two ends of the dial', () => {
  it('retries alike as a supervised task and as a durable job, and gives up alike on a permanent error', async () => {
    const { runtime, clock } = virtualRuntime();

    const inMemory: Seen = new Map();
    const deliverInMemory = deliveries(inMemory);
    const gaveUp: TaskRetryReport[] = [];
    runtime.events.on('report', (r) => {
      if (isTaskRetryReport(r) && r.event === 'gave_up') gaveUp.push(r);
    });
    const sup = await TaskSupervisor.start({ runtime, maxRestarts: 1 });
    const flaky = await TaskSupervisor.startChild(
      sup,
      (ctx) => deliverInMemory({ url: 'https://a.test/hook' }, ctx),
      retry,
    );
    const gone = await TaskSupervisor.startChild(
      sup,
      (ctx) => deliverInMemory({ url: 'https://b.test/gone' }, ctx),
      retry,
    );
    const flakyExit = new Promise<unknown>((resolve) => runtime.watch(flaky, resolve));
    expect(await until(clock, flakyExit)).toBe('normal');
    // The permanent error gave up at its first attempt: the task exited with it.
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({ pid: gone, attempt: 1, why: 'discarded' });
    expect((gaveUp[0]!.reason as Crash).error).toBeInstanceOf(PermanentError);
    expect(runtime.isAlive(gone)).toBe(false);

    const durable: Seen = new Map();
    const store = memoryStore(clock);
    const Deliver = defineWorker({ name: 'deliver', perform: deliveries(durable), ...retry });
    await Queue.start({ store, runtime, node: 'test', workers: [Deliver] });
    const completed = nextReport(runtime, (r) => r.event === 'stop');
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const a = await enqueue(store, Deliver, { url: 'https://a.test/hook' });
    const b = await enqueue(store, Deliver, { url: 'https://b.test/gone' });
    await until(clock, Promise.all([completed, discarded]));
    expect(await store.get(a.job.id)).toMatchObject({ state: 'completed', attempt: 3 });
    expect(await store.get(b.job.id)).toMatchObject({ state: 'discarded', attempt: 1 });

    for (const url of ['https://a.test/hook', 'https://b.test/gone']) {
      expect(relative(durable.get(url))).toEqual(relative(inMemory.get(url)));
    }
    expect(relative(inMemory.get('https://a.test/hook'))).toEqual([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(runtime.isAlive(sup)).toBe(true);
  });
});
