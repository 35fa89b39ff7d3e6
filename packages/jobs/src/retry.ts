/**
 * Retry policy: how many attempts, how long to wait between them, and what to do about
 * each error. The options are genserver's, so one worker function and one options object
 * run as a supervised task retried in memory (`TaskSupervisor.startChild(sup, fn,
 * { maxAttempts, backoff, onError })`) and as a durable job (`defineWorker`): this module
 * re-exports them, `Backoff` being genserver's `RetryBackoff`.
 */
import { checkBackoff, isErrorDecision, type RetryBackoff } from '@actorkit/genserver';
import type { OptionCheck } from './options.js';

export {
  backoffDelay,
  type ErrorDecision,
  type FailedAttempt,
  type RetryOptions,
} from '@actorkit/genserver';

/**
 * Exponential backoff with jitter and a cap (genserver's `RetryBackoff`): the wait after
 * attempt `n` (1-based) is `initial * factor^(n-1)`, spread by ±`jitter`, and never more
 * than `max`. Defaults: `initial` 1000, `factor` 2, `max` 300_000, `jitter` 0.2.
 */
export type Backoff = RetryBackoff;

/**
 * The backoff of one job, given at enqueue (`enqueue(store, worker, args, { backoff })`)
 * and stored with it: a {@link Backoff} without `random`, as it must be plain data that
 * reads back the same in another process. It replaces the worker's backoff for that job
 * (keys left out take the defaults, not the worker's); the jitter draws from `Math.random`.
 *
 * @example
 * await enqueue(store, SyncBalance, { account }, { maxAttempts: 3, backoff: { initial: 50, max: 1000 } });
 */
export type JobBackoff = Omit<Backoff, 'random'>;

/** @internal Checks a job's `backoff` option: a {@link JobBackoff}, data only. */
export const jobBackoffCheck: OptionCheck = (value) => {
  const expected =
    'a JobBackoff { initial, factor, max, jitter } (plain data, stored with the job: give a backoff function or a random source to the worker instead)';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return expected;
  if ('random' in value) return expected;
  try {
    checkBackoff(value);
  } catch (error) {
    return `${expected}: ${(error as Error).message}`;
  }
  return undefined;
};

/** @internal Checks a `backoff` option. */
export const backoffCheck: OptionCheck = (value) => {
  try {
    checkBackoff(value);
  } catch (error) {
    return `a function (attempt, error) => ms, or a Backoff { initial, factor, max, jitter, random } (${(error as Error).message})`;
  }
  return undefined;
};

/** @internal Checks a decision returned by `onError`. */
export const decisionCheck: OptionCheck = (value) =>
  isErrorDecision(value) ? undefined : "'retry', 'discard' or { snooze: ms }";
