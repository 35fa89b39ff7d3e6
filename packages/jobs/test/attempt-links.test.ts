import { type Exit, isExit, type Pid } from '@actorkit/core';
import { Supervisor } from '@actorkit/genserver';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { defineWorker, type JobContext } from '../src/worker.js';
import { clock, runtime, setup, start, store } from './queue-fixture.js';
import { deferred, nextReport, stopRuntimesAfterEach } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** The producer of the queue `queue` (the supervisor's second child). */
async function producerOf(queue: Pid<any>): Promise<Pid<any>> {
  const [, producer] = await Supervisor.whichChildren(queue);
  return producer!.pid as Pid<any>;
}

describe('attempt links', () => {
  // An attempt is linked to its producer so that it dies with it; one that returned unlinks
  // before it exits, so the producer (which traps exits) gets no `Exit` per completed job.
  it('sends the producer no Exit for an attempt that returned, sync or async, and one for a crash', async () => {
    setup();
    const later = deferred<void>();
    const Sync = defineWorker({ name: 'sync', perform: () => undefined });
    const Async = defineWorker({ name: 'async', perform: () => later.promise });
    const Crash = defineWorker({
      name: 'crash',
      maxAttempts: 1,
      perform: () => {
        throw new Error('boom');
      },
    });
    const queue = await start({ workers: [Sync, Async, Crash] });
    const producer = await producerOf(queue);
    const exits: Exit[] = [];
    runtime.trace(producer, (message) => {
      if (isExit(message)) exits.push(message);
    });

    const asyncStarted = nextReport(runtime, (r) => r.event === 'start' && r.worker === 'async');
    const asyncStopped = nextReport(runtime, (r) => r.event === 'stop' && r.worker === 'async');
    await enqueue(store, Async, {});
    const { pid: asyncPid } = await asyncStarted;
    // Running, it is linked: it would die with its producer.
    expect(runtime.processInfo(producer)!.links).toContainEqual(asyncPid);

    const syncStopped = nextReport(runtime, (r) => r.event === 'stop' && r.worker === 'sync');
    await enqueue(store, Sync, {});
    await syncStopped;
    later.resolve();
    await asyncStopped;
    expect(exits).toEqual([]);

    const crashed = nextReport(runtime, (r) => r.event === 'discard');
    const { job } = await enqueue(store, Crash, {});
    await crashed;
    expect(exits).toHaveLength(1);
    expect(exits[0]!.reason).toMatchObject({ error: { message: 'boom' } });
    expect((await store.get(job.id))!.state).toBe('discarded');
    expect(runtime.processInfo(producer)!.links).not.toContainEqual(asyncPid);
  });

  it('waits for a thenable that is not a native promise, as await would', async () => {
    setup();
    const later = deferred<void>();
    let released = false;
    const Thenable = defineWorker({
      name: 'thenable',
      // A bare thenable: its `then` returns nothing, so only adopting it waits for it.
      perform: () => ({
        // biome-ignore lint/suspicious/noThenProperty: the thenable is what this test is about.
        then(onFulfilled: (value: unknown) => void) {
          void later.promise.then(() => onFulfilled('done'));
        },
      }),
    });
    const queue = await start({ workers: [Thenable] });
    const producer = await producerOf(queue);
    const started = nextReport(runtime, (r) => r.event === 'start');
    const stopped = nextReport(runtime, (r) => r.event === 'stop').then((report) => {
      expect(released).toBe(true);
      return report;
    });
    const { job } = await enqueue(store, Thenable, {});
    const { pid } = await started;
    await new Promise((resolve) => setImmediate(resolve));
    expect(runtime.isAlive(pid as Pid<any>)).toBe(true);
    released = true;
    later.resolve();
    await stopped;
    expect((await store.get(job.id))!.state).toBe('completed');
    expect(runtime.processInfo(producer)!.links).not.toContainEqual(pid);
  });

  it('ends cleanly when a stopped attempt’s perform resolves afterwards', async () => {
    setup();
    const release = deferred<void>();
    const Late = defineWorker({
      name: 'late',
      timeout: 1000,
      maxAttempts: 1,
      perform: (_args: {}, ctx: JobContext) => release.promise.then(() => ctx.attempt),
    });
    await start({ workers: [Late] });
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const { job } = await enqueue(store, Late, {});
    await clock.advance(1000);
    await discarded;
    // The attempt is gone; its perform settles now, and its unlink meets a dead process.
    release.resolve();
    await release.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect((await store.get(job.id))!.errors[0]).toMatchObject({ name: 'JobTimeoutError' });
  });
});
