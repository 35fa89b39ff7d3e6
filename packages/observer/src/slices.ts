import { performance } from 'node:perf_hooks';

/**
 * What slices took, measured by the wall clock: a slice is at most `sliceMs` of work plus
 * one step, so a longer one was stretched by something else in the thread (a garbage
 * collection, the operating system running another process).
 */
export interface SliceStats {
  slices: number;
  longestSliceMs: number;
  /** Slices that took longer than 10 ms. */
  slicesOver10Ms: number;
}

/** How work is cut into slices. */
export interface SliceOptions {
  /** The longest a slice runs before it yields to the event loop, in ms. */
  sliceMs: number;
  /**
   * The share of wall time the work may take, from 0 (exclusive) to 1: after a slice of
   * `t` ms it waits `t * (1 / share - 1)` ms, so at 0.05 a 2 ms slice is followed by a
   * 38 ms pause. At 1 it yields through `setImmediate` only (I/O and timers run between
   * slices, but the work takes what the loop leaves).
   */
  share: number;
  /** Checked between slices: when it returns true the work stops where it is. */
  cancelled?: () => boolean;
  /** The clock slices are measured with, in ms. @default performance.now */
  now?: () => number;
  /** Where slices are counted (what the observer reports of itself). */
  stats?: SliceStats;
}

/**
 * Calls `step` until it returns false, in slices of at most `sliceMs` (give or take one
 * step) with pauses between them, so that no single turn of the event loop blocks it
 * for longer, whatever the amount of work. Resolves true when the work is done, false
 * when `cancelled` stopped it. A step that throws rejects the promise.
 *
 * @example
 * const items = [...];
 * let i = 0;
 * await runSliced(() => { handle(items[i]); return ++i < items.length; }, { sliceMs: 2, share: 0.05 });
 */
export async function runSliced(step: () => boolean, options: SliceOptions): Promise<boolean> {
  const now = options.now ?? performance.now.bind(performance);
  for (;;) {
    if (options.cancelled?.() === true) return false;
    const started = now();
    let elapsed = 0;
    try {
      do {
        if (!step()) return true;
        elapsed = now() - started;
      } while (elapsed < options.sliceMs);
    } finally {
      const stats = options.stats;
      if (stats !== undefined) {
        stats.slices++;
        if (elapsed > stats.longestSliceMs) stats.longestSliceMs = elapsed;
        if (elapsed > 10) stats.slicesOver10Ms++;
      }
    }
    await pause(options.share >= 1 ? 0 : elapsed * (1 / options.share - 1));
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (ms < 1) setImmediate(resolve);
    else setTimeout(resolve, ms).unref?.();
  });
}
