import { inspect } from 'node:util';

/** `T` without its falsy members: what {@link waitFor} resolves with. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Ms to keep checking before giving up; keep it below the test's own timeout. @default 10000 */
  timeout?: number;
  /** Ms between two checks. @default 10 */
  interval?: number;
  /** What is awaited, for the timeout message ("the loss to be logged"). @default 'the condition' */
  what?: string;
}

/** {@link waitFor} gave up: the message says what it waited for, how long, and what it last saw. */
export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';

  constructor(
    readonly what: string,
    readonly timeout: number,
    readonly checks: number,
    readonly last: unknown,
  ) {
    super(
      `Timed out after ${timeout} ms waiting for ${what} (${checks} checks; the last returned ${preview(last)}).`,
    );
  }
}

/**
 * Calls `check` until it returns (or resolves to) a truthy value, and resolves with that
 * value. For tests that wait on something outside a virtual clock: a real HTTP service, a
 * child process, a browser. Checks at once, then every `interval` ms; after `timeout` ms
 * it rejects with a {@link WaitForTimeoutError} naming `what`. A `check` that throws
 * rejects at once with that error: a broken check is not retried.
 *
 * Not a way to show that something did *not* happen: for that, advance a virtual clock
 * or await an event that comes after it.
 *
 * @example
 * const user = await waitFor(() => repo.getUser(id)?.crmId, { what: 'the CRM id' });
 * const rows = await waitFor(async () => {
 *   const { body } = await getJson(observer, '/api/processes');
 *   return body.rows.length > 3 && body.rows;
 * });
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Truthy<T>> {
  const { timeout = 10_000, interval = 10, what = 'the condition' } = options;
  const deadline = Date.now() + timeout;
  for (let checks = 1; ; checks++) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) throw new WaitForTimeoutError(what, timeout, checks, value);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** A one-line view of `value` for a message; never throws. */
function preview(value: unknown): string {
  try {
    const text = inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
    return text.length > 200 ? `${text.slice(0, 199)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
