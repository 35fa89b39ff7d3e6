import { describe, expect, it } from 'vitest';
import { runSliced } from '../src/slices.js';

/** A clock that moves `stepMs` each time a step runs. */
function steppedClock(stepMs: number) {
  let t = 0;
  return { now: () => t, tick: () => (t += stepMs) };
}

describe('runSliced()', () => {
  it('runs every step and resolves true', async () => {
    let n = 0;
    expect(await runSliced(() => ++n < 1000, { sliceMs: 2, share: 1 })).toBe(true);
    expect(n).toBe(1000);
  });

  it('gives the event loop back after each slice of sliceMs', async () => {
    const clock = steppedClock(0.5);
    const log: string[] = [];
    // Queued before the work starts: it runs at the first pause, not after the work.
    const immediate = new Promise<void>((resolve) =>
      setImmediate(() => {
        log.push('immediate');
        resolve();
      }),
    );
    let n = 0;
    const work = runSliced(
      () => {
        clock.tick();
        log.push(`step ${n}`);
        return ++n < 12;
      },
      {
        sliceMs: 2,
        share: 1,
        now: clock.now,
        // Looked at before each slice.
        cancelled: () => {
          log.push('slice');
          return false;
        },
      },
    );
    await Promise.all([work, immediate]);
    // Four steps of 0.5 ms make a 2 ms slice.
    expect(log.filter((entry) => entry !== 'immediate').join(',')).toBe(
      [0, 4, 8]
        .map((first) => `slice,step ${first},step ${first + 1},step ${first + 2},step ${first + 3}`)
        .join(','),
    );
    expect(log.indexOf('immediate')).toBe(5);
  });

  it('pauses by timer between slices when the share is below 1', async () => {
    const clock = steppedClock(1);
    let n = 0;
    let timers = 0;
    const ticker = setInterval(() => timers++, 1);
    // share 0.5: a 2 ms slice is followed by a 2 ms pause.
    await runSliced(
      () => {
        clock.tick();
        return ++n < 6;
      },
      { sliceMs: 2, share: 0.5, now: clock.now },
    );
    clearInterval(ticker);
    expect(n).toBe(6);
    expect(timers).toBeGreaterThan(0);
  });

  it('counts slices, the longest and those over 10 ms, in stats', async () => {
    const clock = steppedClock(0.75);
    const stats = { slices: 0, longestSliceMs: 0, slicesOver10Ms: 0 };
    let n = 0;
    // Slices of three steps (2.25 ms), then one of one step.
    await runSliced(
      () => {
        clock.tick();
        return ++n < 7;
      },
      { sliceMs: 2, share: 1, now: clock.now, stats },
    );
    expect(stats).toEqual({ slices: 3, longestSliceMs: 2.25, slicesOver10Ms: 0 });
    let m = 0;
    // A step stretched by something else in the thread (here 12 ms of clock).
    await runSliced(
      () => {
        clock.tick();
        if (m === 1) for (let i = 0; i < 16; i++) clock.tick();
        return ++m < 3;
      },
      { sliceMs: 2, share: 1, now: clock.now, stats },
    );
    expect(stats).toEqual({ slices: 5, longestSliceMs: 13.5, slicesOver10Ms: 1 });
  });

  it('stops between slices once cancelled, and resolves false', async () => {
    const clock = steppedClock(1);
    let n = 0;
    let stop = false;
    const done = await runSliced(
      () => {
        clock.tick();
        if (++n === 3) stop = true;
        return true;
      },
      { sliceMs: 2, share: 1, now: clock.now, cancelled: () => stop },
    );
    expect(done).toBe(false);
    expect(n).toBe(4);
  });

  it('rejects with what a step throws', async () => {
    const error = new Error('step failed');
    await expect(
      runSliced(
        () => {
          throw error;
        },
        { sliceMs: 2, share: 1 },
      ),
    ).rejects.toBe(error);
  });
});
