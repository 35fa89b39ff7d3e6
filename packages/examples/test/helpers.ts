/** `T` without its falsy members. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `check` every `interval` ms until it returns a truthy value; rejects after `timeout` ms. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeout = 10_000, interval = 10, what = 'condition' } = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
