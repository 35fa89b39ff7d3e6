import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/retry.js';

describe('backoffDelay()', () => {
  it('doubles from initial up to max without jitter', () => {
    const backoff = { initial: 1000, max: 10_000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(backoff, n, null))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('spreads by ±jitter and never passes the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initial, extra, factor, jitter, attempt, random) => {
          const max = initial + extra;
          const delay = backoffDelay({ initial, max, factor, jitter }, attempt, null, random);
          const base = Math.min(max, initial * factor ** (attempt - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(max);
          expect(delay).toBeGreaterThanOrEqual(base * (1 - jitter) - 1e-6);
          expect(delay).toBeLessThanOrEqual(base * (1 + jitter) + 1e-6);
        },
      ),
    );
  });

  it('calls a backoff function with the attempt and the error, and never goes below 0', () => {
    const error = new Error('x');
    expect(backoffDelay((attempt, e) => (e === error ? attempt * 10 : 0), 3, error)).toBe(30);
    expect(backoffDelay(() => -5, 1, error)).toBe(0);
  });
});
