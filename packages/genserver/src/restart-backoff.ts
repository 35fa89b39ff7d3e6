import type { Backoff } from './child-spec.js';
import { exponentialDelay, unit } from './retry.js';

/** @internal What a supervisor keeps per child to space its restarts (see `Backoff`). */
export interface BackoffTrack {
  /** Consecutive restarts so far: the exponent of the next delay. */
  attempt: number;
  /** Clock time the child last started. */
  startedAt: number;
}

/**
 * @internal The ms to wait before the next restart of a child that exited at `now`:
 * `initial` doubled per consecutive restart up to `max`, spread by ±`jitter` from
 * `backoff.random` (default `Math.random`): the computation of a retry's
 * `backoffDelay`, with `factor` 2 (the spread may pass `max`, as it always did). The count starts again once the child had
 * stayed up for `max` ms. Advances `track.attempt`.
 */
export function nextRestartDelay(backoff: Backoff, track: BackoffTrack, now: number): number {
  if (now - track.startedAt >= backoff.max) track.attempt = 0;
  const n = ++track.attempt;
  const { initial, max, jitter = 0, random = Math.random } = backoff;
  return exponentialDelay(initial, 2, max, jitter, n, unit(random));
}
