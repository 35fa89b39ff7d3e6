/**
 * Telemetry: what a queue emits on its runtime's `events` as `report` events of type
 * `'job'`, one per step of a job's life. Nothing is built when nobody listens.
 *
 * @example
 * runtime.events.on('report', (report) => {
 *   if (report.type === 'job' && report.event === 'exception') log.warn(report);
 * });
 */
import type { Runtime } from '@actorkit/core';

/**
 * What happened:
 * - `start`: an attempt started; `stop`: it completed (`duration` in ms);
 * - `exception`: it failed (`error`; `decision` says retry, snooze or discard);
 * - `discard`: the job was discarded; `requeue`: a shutdown put it back;
 * - `rescue`: jobs of a dead node were made available again (`jobIds`);
 * - `fenced`: an outcome was refused as stale (`StaleAttemptError`);
 * - `lease_lost`: this node lost its lease and stopped its attempts;
 * - `store_error`: the store was unavailable (`error`); the queue tries again.
 */
export type JobEvent =
  | 'start'
  | 'stop'
  | 'exception'
  | 'discard'
  | 'requeue'
  | 'rescue'
  | 'fenced'
  | 'lease_lost'
  | 'store_error';

/** A `report` event of type `'job'`. */
export interface JobReport {
  type: 'job';
  event: JobEvent;
  queue: string;
  node: string;
  jobId?: string;
  jobIds?: string[];
  worker?: string;
  attempt?: number;
  duration?: number;
  error?: unknown;
  decision?: string;
  [key: string]: unknown;
}

/** True when `value` is a report of this package. */
export function isJobReport(value: unknown): value is JobReport {
  return (value as { type?: unknown } | null)?.type === 'job';
}

/** @internal Emits a job report if anyone listens; `build` runs only then. */
export function report(runtime: Runtime, build: () => Omit<JobReport, 'type'>): void {
  if (!runtime.events.has('report')) return;
  runtime.events.emit('report', { type: 'job', ...build() });
}
