import type { Pid } from '@actorkit/core';
import { Supervisor } from '@actorkit/genserver';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { isJobReport } from '../src/report.js';
import { defineWorker, type JobContext } from '../src/worker.js';
import { clock, runtime, setup, start, store } from './queue-fixture.js';
import { deferred, nextReport, stopRuntimesAfterEach } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** A worker whose first attempt waits forever (until stopped) and whose later attempts complete. */
function stallOnce(name: string) {
  const firstSignal = deferred<AbortSignal>();
  const worker = defineWorker({
    name,
    perform: (_args: {}, ctx: JobContext) => {
      if (ctx.attempt > 1) return;
      firstSignal.resolve(ctx.signal);
      return new Promise(() => {});
    },
  });
  return { worker, firstSignal: firstSignal.promise };
}

describe('rescue by liveness', () => {
  it('sends the job of a killed attempt back at once, counting the attempt', async () => {
    setup();
    const { worker, firstSignal } = stallOnce('stall');
    await start({ workers: [worker] });
    const started = nextReport(runtime, (r) => r.event === 'start');
    const { job } = await enqueue(store, worker, {});
    const { pid } = await started;
    await firstSignal;
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    runtime.exit(pid as Pid<any>, 'kill');
    expect(await stopped).toMatchObject({ jobId: job.id, attempt: 2 });
    const done = await store.get(job.id);
    expect(done!.errors).toEqual([
      expect.objectContaining({
        attempt: 1,
        kind: 'exit',
        message: expect.stringMatching(/killed/),
      }),
    ]);
  });

  it("rescues the producer's attempts at once when it crashes and its supervisor restarts it", async () => {
    setup();
    const { worker, firstSignal } = stallOnce('stall');
    const queue = await start({ workers: [worker] });
    const { job } = await enqueue(store, worker, {});
    const signal = await firstSignal;
    const [, producer] = await Supervisor.whichChildren(queue);
    const rescued = nextReport(runtime, (r) => r.event === 'rescue');
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    runtime.exit(producer!.pid as Pid<any>, 'kill');
    expect(signal.aborted).toBe(true); // the attempt died with its producer
    expect((await rescued).jobIds).toEqual([job.id]);
    expect(await stopped).toMatchObject({ jobId: job.id, attempt: 2 });
    expect((await store.get(job.id))!.errors[0]).toMatchObject({ kind: 'rescued' });
  });
});

describe('jobs whose attempts all ended with their node', () => {
  it('discards such a job once it is out of attempts, saying so in its history and in the rescue report', async () => {
    setup();
    const { worker, firstSignal } = stallOnce('stall');
    const queue = await start({ workers: [worker] });
    const { job } = await enqueue(store, worker, {}, { maxAttempts: 1 });
    await firstSignal;
    const [, producer] = await Supervisor.whichChildren(queue);
    const rescued = nextReport(runtime, (r) => r.event === 'rescue');
    runtime.exit(producer!.pid as Pid<any>, 'kill');
    expect(await rescued).toMatchObject({ jobIds: [job.id], discarded: [job.id] });
    expect(await store.get(job.id)).toMatchObject({
      state: 'discarded',
      attempt: 1,
      errors: [expect.objectContaining({ kind: 'rescued', name: 'NodeLost' })],
    });
  });
});

describe('rescue by lease', () => {
  it("rescues a dead node's jobs once its lease lapses, within lease + rescueInterval", async () => {
    setup();
    const Echo = defineWorker({ name: 'echo', perform: () => undefined });
    // Another node claims a job, then dies without a word (its process was killed).
    const dead = { name: 'dead-node', incarnation: 'dead-node#1' };
    await store.registerNode(dead, 10_000);
    const { job } = await enqueue(store, Echo, {});
    const [claimed] = await store.claim({ queue: 'default', node: dead, limit: 1 });
    expect(claimed?.id).toBe(job.id);
    await start({ workers: [Echo], lease: 10_000, heartbeatInterval: 2000, rescueInterval: 5000 });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(10_000);
    expect((await store.get(job.id))!.state).toBe('executing');
    await clock.advance(5000);
    expect(await stopped).toMatchObject({ jobId: job.id, attempt: 2 });
    const [late] = await store.settle([{ kind: 'complete', attempt: claimed! }]);
    expect(late!.ok).toBe(false);
  });

  it('starts the jobs it rescued at once, without waiting for a poll', async () => {
    setup();
    const Echo = defineWorker({ name: 'echo', perform: () => undefined });
    const dead = { name: 'dead-node', incarnation: 'dead-node#1' };
    await store.registerNode(dead, 1000);
    const { job } = await enqueue(store, Echo, {});
    await store.claim({ queue: 'default', node: dead, limit: 1 });
    await start({ workers: [Echo], pollInterval: 60_000, rescueInterval: 5000 });
    const started: number[] = [];
    runtime.events.on('report', (r) => {
      if (isJobReport(r) && r.event === 'start') started.push(clock.now());
    });
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(5000);
    expect(await stopped).toMatchObject({ jobId: job.id, attempt: 2 });
    expect(started).toEqual([5000]);
  });

  it('stops its attempts and registers again when it finds its lease taken', async () => {
    setup();
    const { worker, firstSignal } = stallOnce('stall');
    await start({ workers: [worker], heartbeatInterval: 2000 });
    const { job } = await enqueue(store, worker, {});
    const signal = await firstSignal;
    const [self] = await store.nodes();
    // Another process registers the same node name: this incarnation's lease is gone.
    await store.registerNode({ name: self!.name, incarnation: 'usurper' }, 60_000);
    const lost = nextReport(runtime, (r) => r.event === 'lease_lost');
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(2000);
    await lost;
    expect(signal.aborted).toBe(true);
    expect(await stopped).toMatchObject({ jobId: job.id, attempt: 2 });
  });
});
