import type { Backoff } from './child-spec.js';

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
 * `backoff.random` (default `Math.random`). The count starts again once the child had
 * stayed up for `max` ms. Advances `track.attempt`.
 */
export function nextRestartDelay(backoff: Backoff, track: BackoffTrack, now: number): number {
  if (now - track.startedAt >= backoff.max) track.attempt = 0;
  const base = Math.min(backoff.max, backoff.initial * 2 ** track.attempt++);
  const spread = base * (backoff.jitter ?? 0) * (unit(backoff.random ?? Math.random) * 2 - 1);
  return Math.max(0, base + spread);
}

/** A draw of `random` kept within [0, 1]: a source that strays (NaN, 7) cannot make the delay invalid. */
function unit(random: () => number): number {
  const value = random();
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
}
