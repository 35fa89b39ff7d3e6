import { describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { Queue } from '../src/queue.js';
import { isJobReport, report } from '../src/report.js';
import { defineWorker } from '../src/worker.js';
import {
  memoryStore,
  nextReport,
  recordReports,
  stopRuntimesAfterEach,
  virtualRuntime,
} from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

describe('report()', () => {
  it('builds nothing when nobody listens, and emits a job report when someone does', () => {
    const { runtime } = virtualRuntime();
    let built = 0;
    const build = () => {
      built++;
      return { event: 'stop' as const, queue: 'q', node: 'n' };
    };
    report(runtime, build);
    expect(built).toBe(0);
    const seen: unknown[] = [];
    runtime.events.on('report', (r) => seen.push(r));
    report(runtime, build);
    expect(built).toBe(1);
    expect(seen).toEqual([{ type: 'job', event: 'stop', queue: 'q', node: 'n' }]);
    expect(isJobReport(seen[0])).toBe(true);
    expect(isJobReport({ type: 'supervisor' })).toBe(false);
  });
});

describe('job telemetry', () => {
  it('reports start, then stop with the duration on the runtime clock', async () => {
    const { runtime, clock } = virtualRuntime();
    const store = memoryStore(clock);
    const Wait = defineWorker({
      name: 'wait',
      perform: (_args: {}, ctx) => ctx.receive({ timeout: 250 }),
    });
    await Queue.start({ store, runtime, workers: [Wait], node: 'n' });
    const reports = recordReports(runtime);
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    const { job } = await enqueue(store, Wait, {});
    await clock.advance(250);
    await stopped;
    expect(reports.map((r) => [r.event, r.jobId, r.worker, r.attempt])).toEqual([
      ['start', job.id, 'wait', 1],
      ['stop', job.id, 'wait', 1],
    ]);
    expect(reports[1]!.duration).toBe(250);
    expect(reports[0]!.node).toBe(`n/default`);
  });
});
