import { InvalidArgumentError } from '@actorkit/core';
import { Supervisor } from '@actorkit/genserver';
import { describe, expect, it } from 'vitest';
import { enqueue, job as jobOf } from '../src/enqueue.js';
import { UnknownWorkerError, UnsupportedCapabilityError } from '../src/errors.js';
import { Queue, type QueueOptions } from '../src/queue.js';
import { defineWorker, type JobContext } from '../src/worker.js';
import { clock, runtime, setup, start, store } from './queue-fixture.js';
import { deferred, nextReport, recordReports, stopRuntimesAfterEach } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

const Echo = defineWorker({
  name: 'echo',
  perform: (_args: { text: string }) => undefined,
});

describe('Queue.start()', () => {
  it('runs an enqueued job at once and marks it completed', async () => {
    setup();
    await start({ workers: [Echo] });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    const { job } = await enqueue(store, Echo, { text: 'hi' });
    expect((await stopped).jobId).toBe(job.id);
    expect(await store.get(job.id)).toMatchObject({ state: 'completed', attempt: 1 });
  });

  it('gives perform the args, the job and the attempt number', async () => {
    setup();
    const seen = deferred<{ args: unknown; id: string; attempt: number; queue: string }>();
    const Inspect = defineWorker({
      name: 'inspect',
      perform: (args: { n: number }, ctx: JobContext<{ n: number }>) =>
        seen.resolve({ args, id: ctx.job.id, attempt: ctx.attempt, queue: ctx.job.queue }),
    });
    await start({ workers: [Inspect] });
    const { job } = await enqueue(store, Inspect, { n: 7 });
    expect(await seen.promise).toEqual({
      args: { n: 7 },
      id: job.id,
      attempt: 1,
      queue: 'default',
    });
  });

  it('runs jobs already waiting when it starts', async () => {
    setup();
    const { job } = await enqueue(store, Echo, { text: 'early' });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await start({ workers: [Echo] });
    expect((await stopped).jobId).toBe(job.id);
  });

  it('runs at most `concurrency` attempts at once', async () => {
    setup();
    let running = 0;
    let most = 0;
    const gate = deferred();
    const Slow = defineWorker({
      name: 'slow',
      perform: async () => {
        most = Math.max(most, ++running);
        await gate.promise;
        running--;
      },
    });
    await start({ workers: [Slow], concurrency: 3 });
    const reports = recordReports(runtime);
    const done = new Promise<void>((resolve) =>
      runtime.events.on('report', () => {
        if (reports.filter((r) => r.event === 'stop').length === 10) resolve();
      }),
    );
    await store.enqueue(
      Array.from({ length: 10 }, () => ({ queue: 'default', worker: 'slow', args: {} })),
    );
    await clock.settle();
    expect(running).toBe(3);
    gate.resolve();
    await done;
    expect(most).toBe(3);
  });

  it('runs higher priorities first', async () => {
    setup();
    const order: number[] = [];
    const Record = defineWorker({
      name: 'record',
      perform: (args: { p: number }) => void order.push(args.p),
    });
    for (const p of [3, 0, 2, 1]) await enqueue(store, Record, { p }, { priority: p });
    const all = new Promise<void>((resolve) =>
      runtime.events.on('report', () => order.length === 4 && resolve()),
    );
    await start({ workers: [Record], concurrency: 1 });
    await all;
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('runs a delayed job when its time comes, not before', async () => {
    setup();
    await start({ workers: [Echo] });
    const reports = recordReports(runtime);
    const { job } = await enqueue(store, Echo, { text: 'later' }, { delay: 5000 });
    await clock.advance(4999);
    expect(reports.filter((r) => r.event === 'start')).toEqual([]);
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(1);
    expect((await stopped).jobId).toBe(job.id);
  });

  // Regression: the timer for a scheduled job once held the wake-up flag, so an insert
  // waited for that timer instead of starting at once.
  it('starts an inserted job at once while a timer for a scheduled one is pending', async () => {
    setup();
    await start({ workers: [Echo], pollInterval: 1000 });
    await enqueue(store, Echo, { text: 'later' }, { delay: 500 });
    await clock.settle();
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    const { job } = await enqueue(store, Echo, { text: 'now' });
    expect((await stopped).jobId).toBe(job.id);
  });

  it('refuses to start a second queue under a node name already running in this process', async () => {
    setup();
    await start({ workers: [Echo], node: 'same' });
    const error = await start({ workers: [Echo], node: 'same' }).catch((e) => e);
    expect(String(error.message)).toMatch(/node name/);
    await start({ workers: [Echo], node: 'other' });
  });

  it('prunes finished jobs once they are older than the retention', async () => {
    setup();
    await start({ workers: [Echo], retention: 30_000 });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    const { job } = await enqueue(store, Echo, { text: 'old' });
    await stopped;
    await clock.advance(59_999);
    expect(await store.get(job.id)).toBeDefined(); // the pruner looks once a minute
    await clock.advance(1);
    expect(await store.get(job.id)).toBeUndefined();
  });

  it('throws InvalidArgumentError for an unknown option, naming it', () => {
    setup();
    expect(() =>
      Queue.childSpec({ store, workers: [Echo], concurency: 5 } as QueueOptions),
    ).toThrow(/concurency/);
    // A child spec's runtime and parent are its supervisor's: passing them would do nothing.
    expect(() => Queue.childSpec({ store, workers: [Echo], runtime } as QueueOptions)).toThrow(
      /runtime/,
    );
    expect(() => Queue.childSpec({ store, workers: [Echo], concurrency: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      Queue.childSpec({ store, workers: [Echo], lease: 1000, heartbeatInterval: 1000 }),
    ).toThrow(/lease/);
  });

  it('refuses at configuration a store that cannot give what `requires` asks', () => {
    setup();
    expect(() =>
      Queue.childSpec({ store, workers: [Echo], requires: { durability: 'machine' } }),
    ).toThrow(UnsupportedCapabilityError);
  });

  it('runs as a child of an application supervisor, with a `Queue <name>` id', async () => {
    setup();
    const app = await Supervisor.start(
      [Queue.childSpec({ store, workers: [Echo], queue: 'mail' })],
      {
        runtime,
      },
    );
    const [child] = await Supervisor.whichChildren(app);
    expect(child).toMatchObject({ id: 'Queue mail', type: 'supervisor' });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await enqueue(store, Echo, { text: 'x' }, { queue: 'mail' });
    await stopped;
  });
});

describe('rate limits', () => {
  it('starts no more than `limit` attempts per interval, however many nodes run the queue', async () => {
    setup();
    const started: number[] = [];
    const Note = defineWorker({ name: 'note', perform: () => void started.push(clock.now()) });
    const rateLimit = { limit: 3, interval: 1000 };
    await start({ workers: [Note], rateLimit, node: 'a', pollInterval: 5000 });
    await start({ workers: [Note], rateLimit, node: 'b', pollInterval: 5000 });
    await store.enqueue(
      Array.from({ length: 8 }, () => ({ queue: 'default', worker: 'note', args: {} })),
    );
    await clock.settle();
    expect(started).toEqual([0, 0, 0]);
    await clock.advance(1000);
    expect(started.slice(3)).toEqual([1000, 1000, 1000]);
    await clock.advance(1000);
    expect(started.slice(6)).toEqual([2000, 2000]);
  });

  it('refuses a rate limit without its limit or interval', () => {
    setup();
    expect(() =>
      Queue.childSpec({ store, workers: [Echo], rateLimit: { limit: 5 } } as never),
    ).toThrow(InvalidArgumentError);
  });
});

describe('retries', () => {
  it('retries a failing job after its backoff, keeping each error and stack, until it succeeds', async () => {
    setup();
    let calls = 0;
    const Flaky = defineWorker({
      name: 'flaky',
      backoff: { initial: 1000, jitter: 0 },
      perform: () => {
        if (++calls < 3) throw new Error(`failure ${calls}`);
      },
    });
    await start({ workers: [Flaky] });
    const first = nextReport(runtime, (r) => r.event === 'exception');
    const { job } = await enqueue(store, Flaky, {});
    expect(await first).toMatchObject({ decision: 'retry', attempt: 1 });
    expect(await store.get(job.id)).toMatchObject({
      state: 'retryable',
      runAt: clock.now() + 1000,
    });
    await clock.advance(1000);
    expect(calls).toBe(2);
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(2000);
    await stopped;
    const done = await store.get(job.id);
    expect(done).toMatchObject({ state: 'completed', attempt: 3 });
    expect(done!.errors.map((e) => [e.attempt, e.kind, e.message])).toEqual([
      [1, 'error', 'failure 1'],
      [2, 'error', 'failure 2'],
    ]);
    expect(done!.errors[0]!.stack).toContain('failure 1');
    expect(done!.errors.map((e) => [e.startedAt, e.at])).toEqual([
      [0, 0],
      [1000, 1000],
    ]);
  });

  it("uses a job's own maxAttempts and backoff instead of its worker's, and the worker's for the others", async () => {
    setup();
    const Failing = defineWorker({
      name: 'failing',
      maxAttempts: 10,
      backoff: { initial: 1000, jitter: 0 },
      perform: () => {
        throw new Error('down');
      },
    });
    await start({ workers: [Failing] });
    const reports = recordReports(runtime);
    const own = await enqueue(
      store,
      Failing,
      {},
      {
        maxAttempts: 3,
        backoff: { initial: 50, factor: 3, jitter: 0 },
      },
    );
    const plain = await enqueue(store, Failing, {});
    const failed = (id: string) =>
      reports
        .filter((r) => r.jobId === id && r.event !== 'start')
        .map((r) => r.decision ?? r.event);
    await clock.advance(0);
    expect(await store.get(own.job.id)).toMatchObject({ state: 'retryable', runAt: 50 });
    expect(await store.get(plain.job.id)).toMatchObject({ state: 'retryable', runAt: 1000 });
    await clock.advance(49);
    expect(failed(own.job.id)).toEqual(['retry']);
    await clock.advance(1);
    expect(await store.get(own.job.id)).toMatchObject({ attempt: 2, runAt: 50 + 150 });
    await clock.advance(150);
    const discarded = await store.get(own.job.id);
    expect(discarded).toMatchObject({ state: 'discarded', attempt: 3, finishedAt: 200 });
    expect(discarded!.errors.map((e) => e.startedAt)).toEqual([0, 50, 200]);
    expect(failed(own.job.id)).toEqual(['retry', 'retry', 'discard']);
    expect(await store.get(plain.job.id)).toMatchObject({ state: 'retryable', attempt: 1 });
  });

  // Regression: a backoff of 1000.5 ms made the job due at 1000.5 and start at 1001 on the
  // VirtualClock (timers fire on whole ms); due times are now whole ms, rounded up.
  it('starts a retry with a fractional backoff exactly at its due time, never before', async () => {
    setup();
    const starts: number[] = [];
    const Flaky = defineWorker({
      name: 'flaky',
      backoff: () => 1000.5,
      perform: () => {
        starts.push(clock.now());
        if (starts.length === 1) throw new Error('once');
      },
    });
    await start({ workers: [Flaky] });
    const failed = nextReport(runtime, (r) => r.event === 'exception');
    const { job } = await enqueue(store, Flaky, {});
    await failed;
    const { runAt } = (await store.get(job.id))!;
    expect(runAt).toBe(1001);
    await clock.advance(1000.5);
    expect(starts).toEqual([0]);
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(0.5);
    await stopped;
    expect(starts).toEqual([0, runAt]);
  });

  it('starts a job retried by hand at once in an idle queue, as an enqueue does', async () => {
    setup();
    let calls = 0;
    const Once = defineWorker({
      name: 'once',
      maxAttempts: 1,
      perform: () => {
        if (++calls === 1) throw new Error('first');
      },
    });
    await start({ workers: [Once], pollInterval: 60_000 });
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const { job } = await enqueue(store, Once, {});
    await discarded;
    await clock.settle();
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    expect((await store.retryJob(job.id)).state).toBe('available');
    expect((await stopped).jobId).toBe(job.id); // no clock advance: no poll involved
    expect(await store.get(job.id)).toMatchObject({ state: 'completed', attempt: 2 });
  });

  it('starts jobs retried in bulk at once in an idle queue', async () => {
    setup();
    const FirstFails = defineWorker({
      name: 'first-fails',
      maxAttempts: 1,
      perform: (_args: {}, ctx: JobContext) => {
        if (ctx.attempt === 1) throw new Error('first');
      },
    });
    await start({ workers: [FirstFails], pollInterval: 60_000 });
    const reports = recordReports(runtime);
    await store.enqueue([jobOf(FirstFails, {}), jobOf(FirstFails, {})]);
    await clock.settle();
    const discarded = reports.filter((r) => r.event === 'discard').map((r) => r.jobId);
    expect(discarded).toHaveLength(2);
    const done = new Promise<void>((resolve) =>
      runtime.events.on('report', () => {
        if (reports.filter((r) => r.event === 'stop').length === 2) resolve();
      }),
    );
    expect(await store.retryAll({ worker: 'first-fails' })).toBe(2);
    await done; // no clock advance: no poll involved
    expect(reports.filter((r) => r.event === 'stop').map((r) => r.jobId)).toEqual(discarded);
  });

  it('discards a job after maxAttempts, with every error', async () => {
    setup();
    const Broken = defineWorker({
      name: 'broken',
      maxAttempts: 2,
      backoff: () => 10,
      perform: () => {
        throw new TypeError('nope');
      },
    });
    await start({ workers: [Broken] });
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const { job } = await enqueue(store, Broken, {});
    await clock.advance(10);
    await discarded;
    const dead = await store.get(job.id);
    expect(dead).toMatchObject({ state: 'discarded', attempt: 2 });
    expect(dead!.errors.map((e) => e.name)).toEqual(['TypeError', 'TypeError']);
  });

  it('lets onError discard at once or snooze without spending an attempt', async () => {
    setup();
    const Picky = defineWorker({
      name: 'picky',
      onError: (error) => ((error as Error).message === 'later' ? { snooze: 500 } : 'discard'),
      perform: (args: { message: string }, ctx: JobContext) => {
        if (ctx.attempt === 1 || args.message !== 'later') throw new Error(args.message);
      },
    });
    await start({ workers: [Picky] });
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const fatal = await enqueue(store, Picky, { message: 'fatal' });
    await discarded;
    expect(await store.get(fatal.job.id)).toMatchObject({ state: 'discarded', attempt: 1 });
    const snoozed = nextReport(runtime, (r) => r.event === 'exception');
    const later = await enqueue(store, Picky, { message: 'later' });
    expect(await snoozed).toMatchObject({ decision: 'snooze' });
    expect(await store.get(later.job.id)).toMatchObject({ state: 'scheduled', attempt: 0 });
  });

  it('fails a job whose worker the queue does not know, with UnknownWorkerError, and retries it', async () => {
    setup();
    await start({ workers: [Echo] });
    const failed = nextReport(runtime, (r) => r.event === 'exception');
    const [{ job }] = (await store.enqueue([{ queue: 'default', worker: 'gone', args: {} }])) as [
      any,
    ];
    const report = await failed;
    expect(report.decision).toBe('retry');
    const stored = await store.get(job.id);
    expect(stored!.errors[0]).toMatchObject({ name: 'UnknownWorkerError', kind: 'error' });
    expect(stored!.errors[0]!.message).toMatch(/no worker "gone"/);
    expect(UnknownWorkerError.name).toBe('UnknownWorkerError');
  });

  it('stops an attempt past its timeout: its signal aborts and it counts as failed', async () => {
    setup();
    const aborted = deferred<unknown>();
    const Hang = defineWorker({
      name: 'hang',
      timeout: 1000,
      perform: (_args: {}, ctx: JobContext) =>
        new Promise(() =>
          ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason)),
        ),
    });
    await start({ workers: [Hang] });
    const failed = nextReport(runtime, (r) => r.event === 'exception');
    const { job } = await enqueue(store, Hang, {});
    await clock.advance(1000);
    await aborted.promise;
    await failed;
    expect((await store.get(job.id))!.errors[0]).toMatchObject({
      name: 'JobTimeoutError',
      kind: 'exit',
    });
  });
});
