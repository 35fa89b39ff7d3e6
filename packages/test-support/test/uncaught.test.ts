import { describe, expect, it } from 'vitest';
import { watchUncaught } from '../src/uncaught.js';

describe('watchUncaught()', () => {
  it('records unhandled rejections and uncaught exceptions, in order, until stopped', async () => {
    const watch = watchUncaught();
    const first = new Error('rejected');
    const second = new Error('thrown');
    try {
      void Promise.reject(first);
      setImmediate(() => {
        throw second;
      });
      // Immediates run in order: this one after the throw, and after the rejection's report.
      await new Promise((resolve) => setImmediate(resolve));
      expect(watch.caught).toEqual([first, second]);
    } finally {
      watch.stop();
    }
  });

  it('removes exactly the listeners it added', () => {
    const before = [
      process.listenerCount('unhandledRejection'),
      process.listenerCount('uncaughtException'),
    ];
    const watch = watchUncaught();
    expect(process.listenerCount('unhandledRejection')).toBe(before[0]! + 1);
    expect(process.listenerCount('uncaughtException')).toBe(before[1]! + 1);
    watch.stop();
    expect([
      process.listenerCount('unhandledRejection'),
      process.listenerCount('uncaughtException'),
    ]).toEqual(before);
  });
});
