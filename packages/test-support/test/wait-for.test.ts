import { describe, expect, it } from 'vitest';
import { WaitForTimeoutError, waitFor } from '../src/index.js';

describe('waitFor()', () => {
  it('resolves with the first truthy value the check returns or resolves to', async () => {
    let calls = 0;
    const value = await waitFor(async () => ++calls >= 3 && { calls }, { interval: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('rejects with WaitForTimeoutError naming what it waited for and what it last saw', async () => {
    const error = await waitFor(() => 0, { timeout: 20, interval: 5, what: 'the mail' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WaitForTimeoutError);
    expect((error as Error).message).toMatch(
      /^Timed out after 20 ms waiting for the mail \(\d+ checks; the last returned 0\)\.$/,
    );
    expect((error as WaitForTimeoutError).checks).toBeGreaterThanOrEqual(2);
  });

  it('rejects at once with the error of a check that throws', async () => {
    let calls = 0;
    const check = () => {
      calls++;
      throw new Error('broken check');
    };
    await expect(waitFor(check)).rejects.toThrow('broken check');
    expect(calls).toBe(1);
  });
});
