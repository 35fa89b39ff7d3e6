// Test helpers of @actorkit/jobs. The runtime helpers are those of @actorkit/core's tests.
import type { Runtime, VirtualClock } from '@actorkit/core';
import { expect } from 'vitest';
import { isJobReport, type JobReport } from '../src/report.js';
import { SqliteStore } from '../src/sqlite-store.js';

export {
  deferred,
  stopRuntimes,
  stopRuntimesAfterEach,
  virtualRuntime,
} from '../../core/test/support.js';

/** Resolves with the first job report that `match` accepts, from now on. */
export function nextReport(
  runtime: Runtime,
  match: (report: JobReport) => boolean,
): Promise<JobReport> {
  return new Promise((resolve) => {
    const listener = (report: unknown) => {
      if (!isJobReport(report) || !match(report)) return;
      runtime.events.off('report', listener);
      resolve(report);
    };
    runtime.events.on('report', listener);
  });
}

/** Collects every job report from now on. */
export function recordReports(runtime: Runtime): JobReport[] {
  const seen: JobReport[] = [];
  runtime.events.on('report', (report: unknown) => {
    if (isJobReport(report)) seen.push(report);
  });
  return seen;
}

/** An in-memory store on `clock`. */
export function memoryStore(clock: VirtualClock): SqliteStore {
  return new SqliteStore({ path: ':memory:', clock });
}

/** Resolves with what `promise` rejects with; fails if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}
