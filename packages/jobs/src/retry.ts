/**
 * Retry policy: how many attempts, how long to wait between them, and what to do about
 * each error. The same options are meant for durable jobs (a worker's options) and for
 * in-memory retries of supervised tasks, so one worker function can move along the
 * durability dial without changing.
 */
import { checkOptions, number, type OptionCheck, oneOf } from './options.js';

/**
 * Exponential backoff with jitter and a cap: the wait after attempt `n` (1-based) is
 * `initial * factor^(n-1)`, spread by ±`jitter` (a fraction), and never more than `max`.
 * Jitter keeps the retries of many jobs that failed together (a service outage) from
 * hitting the service again all at once.
 */
export interface Backoff {
  /** Ms to wait after the first failed attempt. @default 1000 */
  initial?: number;
  /** How much longer each wait is than the one before. @default 2 */
  factor?: number;
  /** The longest wait, in ms. @default 300_000 (5 minutes) */
  max?: number;
  /** Random spread, a fraction of the wait (0.2 = ±20%). @default 0.2 */
  jitter?: number;
}

/**
 * What to do about an error, as `onError` decides:
 * - `'retry'`: try again after the backoff, if attempts are left (else discard);
 * - `'discard'`: give up now; the job is discarded with this error;
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

/** The retry options shared by workers (and, later, supervised tasks). */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 10 */
  maxAttempts?: number;
  /** The wait before each retry: a {@link Backoff}, or a function of the attempt that failed. @default {} (the Backoff defaults) */
  backoff?: Backoff | ((attempt: number, error: unknown) => number);
  /**
   * Decides per error whether to retry, discard or snooze. An exception it throws is
   * treated as `'retry'` (and reported). @default () => 'retry'
   */
  onError?: (error: unknown, attempt: FailedAttempt) => ErrorDecision;
}

const BACKOFF_CHECKS = {
  initial: number(0),
  factor: number(1),
  max: number(0),
  jitter: (value: unknown) =>
    typeof value === 'number' && value >= 0 && value <= 1 ? undefined : 'a number from 0 to 1',
};

/** @internal Checks a `backoff` option. */
export const backoffCheck: OptionCheck = (value) => {
  if (typeof value === 'function') return undefined;
  try {
    checkOptions(value, BACKOFF_CHECKS, 'backoff');
  } catch (error) {
    return `a function (attempt, error) => ms, or a Backoff { initial, factor, max, jitter } (${(error as Error).message})`;
  }
  return undefined;
};

/** @internal Checks a decision returned by `onError`. */
export const decisionCheck: OptionCheck = (value) =>
  oneOf(['retry', 'discard'])(value) === undefined ||
  number(0)((value as { snooze?: unknown } | null)?.snooze) === undefined
    ? undefined
    : "'retry', 'discard' or { snooze: ms }";

/**
 * The ms to wait after attempt `attempt` failed with `error`. `random` is a number in
 * [0, 1) (tests pass a fixed one).
 *
 * @example
 * backoffDelay({ initial: 1000, max: 60_000, jitter: 0 }, 3, error) // 4000
 */
export function backoffDelay(
  backoff: RetryOptions['backoff'],
  attempt: number,
  error: unknown,
  random: number = Math.random(),
): number {
  if (typeof backoff === 'function') return Math.max(0, backoff(attempt, error));
  const { initial = 1000, factor = 2, max = 300_000, jitter = 0.2 } = backoff ?? {};
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return Math.min(max, Math.max(0, base * (1 + jitter * (2 * random - 1))));
}
