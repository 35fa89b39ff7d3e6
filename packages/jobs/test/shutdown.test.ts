import { Crash, Runtime } from '@actorkit/core';
import { StartError, Supervisor } from '@actorkit/genserver';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { StoreUnavailableError } from '../src/errors.js';
import { Queue } from '../src/queue.js';
import { isJobReport } from '../src/report.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { defineWorker, type JobContext } from '../src/worker.js';
import { clock, runtime, setup, store } from './queue-fixture.js';
import { deferred, recordReports, stopRuntimesAfterEach } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** Runs for `ms` of the runtime's clock, or until stopped. */
const Sleep = defineWorker({
  name: 'sleep',
  perform: async ({ ms }: { ms: number }, ctx: JobContext) => {
    await ctx.receive({ timeout: ms });
  },
});

describe('graceful shutdown', () => {
  it('lets attempts finish within the grace period, puts the rest back uncounted, and leaves nothing executing', async () => {
    setup();
    const queue = await Queue.start({ store, runtime, workers: [Sleep], shutdownGrace: 1000 });
    const quick = await enqueue(store, Sleep, { ms: 500 });
    const slow = await enqueue(store, Sleep, { ms: 60_000 });
    await clock.settle();
    expect((await store.list({ state: 'executing' })).length).toBe(2);
    const reports = recordReports(runtime);
    const stopped = Supervisor.stop(queue);
    await clock.advance(1000);
    await stopped;
    expect(await store.get(quick.job.id)).toMatchObject({ state: 'completed', attempt: 1 });
    expect(await store.get(slow.job.id)).toMatchObject({
      state: 'available',
      attempt: 0,
      errors: [],
    });
    expect(await store.list({ state: 'executing' })).toEqual([]);
    expect(await store.nodes()).toEqual([]);
    expect(reports.map((r) => r.event).sort()).toEqual(['requeue', 'stop']);
  });

  it('keeps its lease through a grace period longer than the lease', async () => {
    setup();
    const queue = await Queue.start({
      store,
      runtime,
      workers: [Sleep],
      shutdownGrace: 30_000,
      lease: 5000,
      heartbeatInterval: 1000,
      rescueInterval: 1000,
    });
    const { job } = await enqueue(store, Sleep, { ms: 20_000 });
    await clock.settle();
    const stopped = Supervisor.stop(queue);
    await clock.advance(19_999);
    // Another node's rescue finds the lease alive: the draining attempt keeps its job.
    expect((await store.rescue()).rescued).toEqual([]);
    await clock.advance(1);
    await stopped;
    expect(await store.get(job.id)).toMatchObject({ state: 'completed', attempt: 1 });
  });

  it("aborts the stopped attempts' ctx.signal", async () => {
    setup();
    const aborted = deferred<boolean>();
    const Watch = defineWorker({
      name: 'watch',
      perform: (_args: {}, ctx: JobContext) =>
        new Promise(() => ctx.signal.addEventListener('abort', () => aborted.resolve(true))),
    });
    const queue = await Queue.start({ store, runtime, workers: [Watch], shutdownGrace: 100 });
    await enqueue(store, Watch, {});
    await clock.settle();
    const stopped = Supervisor.stop(queue);
    await clock.advance(100);
    await stopped;
    expect(await aborted.promise).toBe(true);
  });

  it('claims nothing more once stopping', async () => {
    setup();
    const queue = await Queue.start({ store, runtime, workers: [Sleep], shutdownGrace: 1000 });
    await enqueue(store, Sleep, { ms: 500 });
    await clock.settle();
    const stopped = Supervisor.stop(queue);
    await clock.settle();
    const late = await enqueue(store, Sleep, { ms: 1 });
    await clock.advance(1000);
    await stopped;
    expect(await store.get(late.job.id)).toMatchObject({ state: 'available', attempt: 0 });
  });
});

describe('runtime.stop()', () => {
  it('drains the queue too: the quick attempt completes, the slow one goes back, nothing is left executing', async () => {
    // A real clock, in short deliberate intervals: runtime.stop() counts its timeout in real time.
    const real = new Runtime();
    const realStore = new SqliteStore({ path: ':memory:' });
    const Nap = defineWorker({
      name: 'nap',
      perform: async ({ ms }: { ms: number }, ctx: JobContext) => {
        await ctx.receive({ timeout: ms });
      },
    });
    await Queue.start({ store: realStore, runtime: real, workers: [Nap], shutdownGrace: 200 });
    let starts = 0;
    const bothStarted = new Promise<void>((resolve) =>
      real.events.on('report', (r) => {
        if (isJobReport(r) && r.event === 'start' && ++starts === 2) resolve();
      }),
    );
    const quick = await enqueue(realStore, Nap, { ms: 20 });
    const slow = await enqueue(realStore, Nap, { ms: 60_000 });
    await bothStarted;
    await real.stop({ timeout: 5000 });
    expect((await realStore.get(quick.job.id))!.state).toBe('completed');
    expect(await realStore.get(slow.job.id)).toMatchObject({ state: 'available', attempt: 0 });
    expect(await realStore.nodes()).toEqual([]);
  });
});

describe('Queue.start() on an unavailable store', () => {
  it('fails to start, saying the store is unavailable', async () => {
    setup();
    await store.close();
    const error = await Queue.start({ store, runtime, workers: [Sleep] }).catch((e) => e);
    // The supervisor could not start its producer, whose init could not register the node.
    expect(error).toBeInstanceOf(StartError);
    const producerFailure = error.reason.shutdown.reason;
    expect(producerFailure).toBeInstanceOf(StartError);
    expect(producerFailure.reason).toBeInstanceOf(Crash);
    expect(producerFailure.reason.error).toBeInstanceOf(StoreUnavailableError);
  });
});
