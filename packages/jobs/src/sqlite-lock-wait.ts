/**
 * @internal How `SqliteStore` waits for another connection's lock on a connection it opened
 * itself (an application's own connection keeps SQLite's busy handler, which its other users
 * rely on).
 *
 * SQLite's busy handler (`busy_timeout`) sleeps 1, 2, 5, 10, 15, 20, 25 … up to 100 ms
 * between tries. A process that misses the write lock once sleeps at least a millisecond,
 * the time of dozens of its writes, however soon the lock is free; one that misses it a few
 * times in a row sleeps through many free moments while the other writers go on. With two
 * processes draining one file, each held the lock a few hundred µs per batch and the other
 * slept milliseconds waiting for it.
 *
 * This wait tries again after 20 µs, doubling the pause up to 250 µs, and after 50 ms of
 * waiting up to 2 ms (a lock held that long is not a batch of claims: try less often),
 * until the store's `busyTimeout`. It sleeps in `Atomics.wait`, doing no work meanwhile as
 * SQLite's handler does, so the call stays synchronous: a write is never left pending across
 * event-loop turns, and `insert` works inside an application's code as before.
 */

/** The first pause after a busy try, ms. */
const FIRST_PAUSE_MS = 0.02;
/** The longest pause while the wait is short, ms. */
const SHORT_MAX_PAUSE_MS = 0.25;
/** Waiting longer than this, ms, the pauses grow up to `LONG_MAX_PAUSE_MS`. */
const LONG_WAIT_MS = 50;
const LONG_MAX_PAUSE_MS = 2;

/** @internal True for SQLITE_BUSY (and its extended codes): another connection holds a lock this call needs. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * @internal Runs a call again while SQLite refuses it with SQLITE_BUSY before it did
 * anything, for up to `timeout` ms (then the last refusal is thrown).
 *
 * @example
 * const lockWait = new LockWait(5000);
 * lockWait.run((started) => immediate(() => { started(); return work(); }));
 */
export class LockWait {
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly timeout: number) {}

  /**
   * Runs `attempt(started)`, and runs it again after a pause while it throws SQLITE_BUSY
   * without having called `started`: it failed to take its lock, so it changed nothing. A
   * busy error after `started`, any other error, or a busy error past the timeout is thrown
   * (an error thrown before `started` has no stack: `Error.stackTraceLimit` is 0 until then).
   */
  run<T>(attempt: (started: () => void) => T): T {
    // A refusal is a thrown SqliteError, and capturing its stack costs several times the
    // try itself (~30 µs against ~6): no stack until the call has its lock.
    const stackTraceLimit = Error.stackTraceLimit;
    let started = false;
    const start = () => {
      started = true;
      Error.stackTraceLimit = stackTraceLimit;
    };
    const waiting = new Waiting(this.timeout);
    for (;;) {
      try {
        Error.stackTraceLimit = 0;
        return attempt(start);
      } catch (error) {
        Error.stackTraceLimit = stackTraceLimit;
        if (started || !isBusy(error)) throw error;
        this.pause(waiting, error);
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
    }
  }

  /** Runs `read`, which only reads, again after a pause while it throws SQLITE_BUSY, for up to the timeout. */
  retry<T>(read: () => T): T {
    const waiting = new Waiting(this.timeout);
    for (;;) {
      try {
        return read();
      } catch (error) {
        if (!isBusy(error)) throw error;
        this.pause(waiting, error);
      }
    }
  }

  /** Sleeps the next pause of `waiting`, or throws `error` if its time is up. */
  private pause(waiting: Waiting, error: unknown): void {
    const now = performance.now();
    if (waiting.since === 0) waiting.since = now;
    const left = waiting.since + waiting.timeout - now;
    if (left <= 0) throw error;
    Atomics.wait(this.cell, 0, 0, Math.min(waiting.pause, left));
    const max = now - waiting.since < LONG_WAIT_MS ? SHORT_MAX_PAUSE_MS : LONG_MAX_PAUSE_MS;
    waiting.pause = Math.min(waiting.pause * 2, max);
  }
}

/** One call's wait: since when (0 before its first refusal), and its next pause. */
class Waiting {
  since = 0;
  pause = FIRST_PAUSE_MS;

  constructor(readonly timeout: number) {}
}
