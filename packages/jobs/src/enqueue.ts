import { InvalidArgumentError } from '@actorkit/core';
import type { Enqueued, NewJob, UniqueOptions } from './job.js';
import { checkOptions, integer, number, text } from './options.js';
import { type JobBackoff, jobBackoffCheck } from './retry.js';
import type { Store } from './store.js';
import type { Worker } from './worker.js';

/** Per-job options of `job` and `enqueue`; each overrides the worker's. */
export interface JobOptions {
  /** @default the worker's queue */
  queue?: string;
  /** 0 runs first. @default the worker's priority */
  priority?: number;
  /** @default the worker's maxAttempts */
  maxAttempts?: number;
  /**
   * The wait between this job's attempts, stored with it: replaces the worker's `backoff`
   * (keys left out take the defaults). Plain data only (no function, no `random`).
   * @default the worker's backoff
   */
  backoff?: JobBackoff;
  /** When to run: a `Date`, or ms on the store's clock. @default now */
  runAt?: Date | number;
  /** Ms from the enqueue until it may run (instead of `runAt`). @default 0 */
  delay?: number;
  /** A uniqueness key: while a job with this key exists (see `unique`), enqueue returns it instead of a new one. */
  key?: string;
  /** Which existing jobs count for `key`. @default { period: Infinity, states: all but discarded and cancelled } */
  unique?: UniqueOptions;
}

const JOB_OPTION_CHECKS = {
  queue: text,
  priority: integer(0),
  maxAttempts: integer(1),
  backoff: jobBackoffCheck,
  runAt: (value: unknown) =>
    value instanceof Date || (typeof value === 'number' && Number.isFinite(value))
      ? undefined
      : 'a Date or a finite number of ms',
  delay: number(0),
  key: text,
  unique: () => undefined,
};

/**
 * Builds the job that runs `worker` with `args`, for `store.enqueue([...])` (several at
 * once, atomically) or `SqliteStore#insert` (inside your transaction). Checks `args`
 * with the worker's `parse`, if it has one, and that they are plain JSON data.
 *
 * @example
 * await store.enqueue([job(CreateContact, { userId }), job(FindCenter, { userId }, { priority: 1 })]);
 */
export function job<Args>(
  worker: Worker<Args>,
  args: NoInfer<Args>,
  options: JobOptions = {},
): NewJob {
  if (typeof worker?.perform !== 'function' || typeof worker.name !== 'string') {
    throw new InvalidArgumentError('worker', 'a worker from defineWorker', worker);
  }
  checkOptions(options, JOB_OPTION_CHECKS, 'job options');
  if (options.runAt !== undefined && options.delay !== undefined) {
    throw new InvalidArgumentError('job options', 'runAt or delay, not both', options);
  }
  const checked = worker.parse === undefined ? args : worker.parse(args);
  const newJob: NewJob = {
    queue: options.queue ?? worker.queue,
    worker: worker.name,
    args: checked,
    priority: options.priority ?? worker.priority,
    maxAttempts: options.maxAttempts ?? worker.maxAttempts,
  };
  const runAt = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
  if (runAt !== undefined) newJob.runAt = runAt;
  if (options.delay !== undefined) newJob.delay = options.delay;
  if (options.backoff !== undefined) newJob.backoff = options.backoff;
  if (options.key !== undefined) newJob.key = options.key;
  if (options.unique !== undefined) newJob.unique = options.unique;
  return newJob;
}

/**
 * Enqueues one job of `worker` with `args` and resolves once it is committed, with the
 * job (or, for a `key` already held, the existing job and `inserted: false`). Rejects
 * with `InvalidArgumentError` for bad args or options, and `StoreUnavailableError` if
 * the store could not commit it (then nothing was enqueued: retry, or tell your caller).
 *
 * @example
 * const { job } = await enqueue(store, SendWelcome, { userId: 42 }, { key: 'welcome:42' });
 */
export async function enqueue<Args>(
  store: Store,
  worker: Worker<Args>,
  args: NoInfer<Args>,
  options?: JobOptions,
): Promise<Enqueued<Args>> {
  const [result] = await store.enqueue([job(worker, args, options)]);
  return result as Enqueued<Args>;
}
