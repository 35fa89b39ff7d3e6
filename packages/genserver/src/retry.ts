/**
 * Retry policy: how many attempts, how long to wait between them, and what to do about
 * each error. One policy for in-memory retries of tasks (`TaskSupervisor.startChild`,
 * `Task.async` … with `maxAttempts`) and for durable jobs (`@actorkit/jobs` takes the
 * same options for a worker), so one worker function moves along the durability dial
 * without changing.
 *
 * @example
 * const policy: RetryOptions = {
 *   maxAttempts: 5,
 *   backoff: { initial: 500, max: 30_000, jitter: 0.2 },
 *   onError: (error) => (error instanceof BadRequest ? 'discard' : 'retry'),
 * };
 */
import { InvalidArgumentError } from '@actorkit/core';
import { checkOptions, type OptionCheck, type OptionChecks } from './check-options.js';

/**
 * Exponential backoff with jitter and a cap: the wait after attempt `n` (1-based) is
 * `initial * factor^(n-1)`, spread by ±`jitter` (a fraction), and never more than `max`.
 * Jitter keeps the retries of many tasks or jobs that failed together (a service outage)
 * from hitting the service again all at once. (A child spec's restart `Backoff` is the
 * same computation with `factor` 2.)
 *
 * @example
 * { initial: 1000, max: 60_000, jitter: 0.2 } // about 1 s, 2 s, 4 s … each ±20%, at most 60 s
 */
export interface RetryBackoff {
  /** Ms to wait after the first failed attempt. @default 1000 */
  initial?: number;
  /** How much longer each wait is than the one before (>= 1). @default 2 */
  factor?: number;
  /** The longest wait, in ms, jitter included. @default 300_000 (5 minutes) */
  max?: number;
  /** Random spread, a fraction of the wait (0.2 = ±20%). @default 0.2 */
  jitter?: number;
  /**
   * The random source of the jitter: returns a number in [0, 1). Give a fixed or seeded
   * one for reproducible delays (tests). @default Math.random
   */
  random?: () => number;
}

/**
 * What to do about an error, as `onError` decides:
 * - `'retry'`: try again after the backoff, if attempts are left (else give up);
 * - `'discard'`: give up now, with this error;
 * - `{ snooze: ms }`: run again in `ms`, without spending an attempt (a rate limit
 *   answered "later", a resource not ready yet).
 */
export type ErrorDecision = 'retry' | 'discard' | { snooze: number };

/** What `onError` learns about the attempt that failed. */
export interface FailedAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
}

/**
 * The retry options shared by supervised tasks and durable jobs' workers. A task retries
 * only when `maxAttempts` is given; a job's worker always does (default 10).
 */
export interface RetryOptions {
  /** Attempts in all, the first included (an integer >= 1). @default 10 for a job's worker */
  maxAttempts?: number;
  /**
   * The wait before each retry: a {@link RetryBackoff}, or a function of the attempt that
   * failed and its error, returning ms. @default {} (the RetryBackoff defaults)
   */
  backoff?: RetryBackoff | ((attempt: number, error: unknown) => number);
  /**
   * Decides per error whether to retry, discard or snooze. An exception it throws, or an
   * answer that is none of these, counts as `'retry'` (and is reported as a
   * `watcher_error`). @default () => 'retry'
   */
  onError?: (error: unknown, attempt: FailedAttempt) => ErrorDecision;
}

const FRACTION: OptionCheck = {
  expected: 'a number from 0 to 1',
  accepts: (value) => typeof value === 'number' && value >= 0 && value <= 1,
};
const BACKOFF_CHECKS: OptionChecks = {
  initial: finiteAtLeast(0),
  factor: finiteAtLeast(1),
  max: finiteAtLeast(0),
  jitter: FRACTION,
  random: { expected: 'a function () => number in [0, 1)', accepts: isFunction },
};

/**
 * Throws `InvalidArgumentError` unless `backoff` is a function `(attempt, error) => ms`
 * or a {@link RetryBackoff} (unknown keys and wrong types named). `where` names the option
 * in the message.
 *
 * @example
 * checkBackoff({ initial: 100, max: 5000 }, 'backoff'); // fine
 * checkBackoff({ initial: 100, maximum: 5000 }, 'backoff'); // throws: maximum is not a key
 */
export function checkBackoff(backoff: unknown, where = 'backoff'): void {
  if (typeof backoff === 'function') return;
  if (typeof backoff !== 'object' || backoff === null) {
    throw new InvalidArgumentError(
      where,
      'a function (attempt, error) => ms, or a RetryBackoff { initial, factor, max, jitter, random }',
      backoff,
    );
  }
  checkOptions(backoff, where, BACKOFF_CHECKS);
}

/** True for what `onError` may return: `'retry'`, `'discard'` or `{ snooze: ms }`. Never throws. */
export function isErrorDecision(value: unknown): value is ErrorDecision {
  if (value === 'retry' || value === 'discard') return true;
  try {
    const snooze = (value as { snooze?: unknown } | null)?.snooze;
    return typeof snooze === 'number' && Number.isFinite(snooze) && snooze >= 0;
  } catch {
    return false;
  }
}

/**
 * The ms to wait after attempt `attempt` (1-based) failed with `error`. `random` is a
 * number in [0, 1) (default: the backoff's own `random`, else `Math.random`); a function
 * backoff's answer is used as it is (at least 0).
 *
 * @example
 * backoffDelay({ initial: 1000, max: 60_000, jitter: 0 }, 3, error) // 4000
 */
export function backoffDelay(
  backoff: RetryOptions['backoff'],
  attempt: number,
  error: unknown,
  random?: number,
): number {
  if (typeof backoff === 'function') {
    const ms = backoff(attempt, error);
    return typeof ms === 'number' && ms > 0 ? ms : 0;
  }
  const { initial = 1000, factor = 2, max = 300_000, jitter = 0.2 } = backoff ?? {};
  const draw = random ?? unit(backoff?.random ?? Math.random);
  // A retry's wait never passes `max`, jitter included (a restart's may, by its jitter).
  return Math.min(max, exponentialDelay(initial, factor, max, jitter, attempt, draw));
}

/**
 * @internal The one backoff computation, for retries and for supervisor restarts:
 * `initial * factor^(n-1)` capped at `max`, then spread by ±`jitter` from `random` (in
 * [0, 1]); never below 0.
 */
export function exponentialDelay(
  initial: number,
  factor: number,
  max: number,
  jitter: number,
  n: number,
  random: number,
): number {
  const base = Math.min(max, initial * factor ** Math.max(0, n - 1));
  return Math.max(0, base * (1 + jitter * (2 * random - 1)));
}

/** @internal A draw of `random` kept within [0, 1]: a source that strays (NaN, 7, a throw) cannot make the delay invalid. */
export function unit(random: () => number): number {
  try {
    const value = random();
    return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
  } catch {
    return 0.5;
  }
}

/** @internal The checks of the retry keys, for the functions that take them with their own options. */
export const RETRY_OPTION_CHECKS: OptionChecks = {
  maxAttempts: {
    expected: 'an integer >= 1',
    accepts: (value) => Number.isInteger(value) && (value as number) >= 1,
  },
  // Checked by `checkBackoff`, whose message names the wrong key inside.
  backoff: { expected: 'a backoff', accepts: () => true },
  onError: {
    expected: 'a function (error, { attempt, maxAttempts }) => decision',
    accepts: isFunction,
  },
};

function finiteAtLeast(min: number): OptionCheck {
  return {
    expected: `a finite number >= ${min}`,
    accepts: (value) => typeof value === 'number' && Number.isFinite(value) && value >= min,
  };
}

function isFunction(value: unknown): boolean {
  return typeof value === 'function';
}
