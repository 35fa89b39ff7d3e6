import { formatReason } from './exit-reason.js';
import { describe, isInstance } from './internal/describe.js';
import { type KnownRuntime, runtimeLabel, runtimesHolding } from './internal/live-runtimes.js';
import type { Runtime } from './runtime.js';

/** The base class of every error actorkit throws; `code` is stable for programs to test. */
export class ActorkitError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  static is(value: unknown): value is ActorkitError {
    return isInstance(value, ActorkitError);
  }
}

/**
 * Thrown inside a process that has exited (killed, or `ctx.exit` called), at its next
 * `receive`, `send` or other context call, so the rest of its code stops running.
 * Also how a call to a process that exited reports the reason.
 */
export class ExitError extends ActorkitError {
  constructor(
    /** The exit reason. */
    readonly reason: unknown,
    /** The process that exited, when known (printed as text). */
    readonly pid?: { toString(): string },
  ) {
    super(
      'EXIT',
      `${pid === undefined ? 'process' : `process ${describe(pid)}`} exited: ${formatReason(reason)}`,
    );
  }

  static override is(value: unknown): value is ExitError {
    return isInstance(value, ExitError);
  }
}

/** Where a name was looked up, for {@link NoProcError}'s message. */
export interface NoProcLookup {
  /** The runtime in which the name was looked up. */
  runtime: Runtime;
  /**
   * What to do when the name is registered in another running runtime instead: how
   * the caller points its lookup there.
   * @default "Look it up in that runtime (its `send`, `whereis`, `exit`) instead."
   */
  fix?: string;
}

const NOPROC_HINT =
  'Check that the process was started and is registered under this name; `whereis` returns undefined when nothing is.';

/**
 * The target does not exist: no process is registered under the name, or the PID is
 * dead where a live one was needed (Erlang's `noproc`).
 *
 * Given `lookup`, the message says in which runtime the name was looked up, and, when
 * another running runtime has a process under that name, says so and how to reach it:
 * the usual cause is a name looked up in `defaultRuntime()` while the process lives in
 * a runtime of one's own.
 *
 * @example
 * new NoProcError('stats', 'Start it first.', { runtime, fix: 'Pass `{ runtime }`.' });
 */
export class NoProcError extends ActorkitError {
  readonly reason = 'noproc';

  constructor(
    readonly target: unknown,
    hint = NOPROC_HINT,
    lookup?: NoProcLookup,
  ) {
    super('NOPROC', noProcMessage(target, hint, lookup));
  }

  static override is(value: unknown): value is NoProcError {
    return isInstance(value, NoProcError);
  }
}

function noProcMessage(target: unknown, hint: string, lookup: NoProcLookup | undefined): string {
  const at = `no process is alive at ${describe(target)}`;
  if (lookup === undefined) return `${at}. ${describe(hint)}`;
  const here = runtimeLabel(lookup.runtime as KnownRuntime);
  const elsewhere =
    typeof target === 'string' || typeof target === 'symbol'
      ? runtimesHolding(target, lookup.runtime as KnownRuntime)
      : [];
  if (elsewhere.length === 0) return `${at} (looked up in ${here}). ${describe(hint)}`;
  const there = elsewhere.map(runtimeLabel).join(', ');
  const fix = lookup.fix ?? 'Look it up in that runtime (its `send`, `whereis`, `exit`) instead.';
  const has = elsewhere.length === 1 ? 'has a process' : 'each have a process';
  return `${at} in ${here}, where it was looked up, but ${there} ${has} registered under that name. ${fix}`;
}

/** An operation did not finish within its timeout. */
export class TimeoutError extends ActorkitError {
  readonly reason = 'timeout';

  constructor(
    readonly operation: string,
    readonly timeout: number,
    hint = 'Raise the timeout if the work is legitimately slow, or find out why it never answered.',
  ) {
    super(
      'TIMEOUT',
      `${describe(operation)} timed out after ${describe(timeout)} ms. ${describe(hint)}`,
    );
  }

  static override is(value: unknown): value is TimeoutError {
    return isInstance(value, TimeoutError);
  }
}

/** A name (or unique registry key) is already held by another live process. */
export class NameTakenError extends ActorkitError {
  constructor(
    readonly nameTaken: unknown,
    readonly holder: { toString(): string },
  ) {
    super(
      'NAME_TAKEN',
      `the name ${describe(nameTaken)} is already registered to ${describe(holder)}. Pick another name, or unregister it first.`,
    );
  }

  static override is(value: unknown): value is NameTakenError {
    return isInstance(value, NameTakenError);
  }
}

/** A send was refused by a bounded mailbox whose overflow policy is `'reject'`. */
export class MailboxFullError extends ActorkitError {
  constructor(
    readonly pid: { toString(): string },
    readonly capacity: number,
  ) {
    super(
      'MAILBOX_FULL',
      `the mailbox of ${describe(pid)} is full (capacity ${describe(capacity)}); the message was not delivered. Slow down, retry later, or choose the 'drop-oldest' or 'drop-newest' policy.`,
    );
  }

  static override is(value: unknown): value is MailboxFullError {
    return isInstance(value, MailboxFullError);
  }
}

/** The runtime has been stopped; it spawns and schedules nothing more. */
export class RuntimeStoppedError extends ActorkitError {
  constructor(operation: string) {
    super(
      'RUNTIME_STOPPED',
      `cannot ${describe(operation)}: the runtime has been stopped. Create a new Runtime.`,
    );
  }

  static override is(value: unknown): value is RuntimeStoppedError {
    return isInstance(value, RuntimeStoppedError);
  }
}

/** An argument had the wrong type or value. A `TypeError`, as Node's own argument errors. */
export class InvalidArgumentError extends TypeError {
  readonly code = 'INVALID_ARGUMENT';

  constructor(
    readonly argument: string,
    expected: string,
    received: unknown,
  ) {
    super(`Expected \`${argument}\` to be ${expected}, got ${show(received)}.`);
    this.name = 'InvalidArgumentError';
  }

  static is(value: unknown): value is InvalidArgumentError {
    return isInstance(value, InvalidArgumentError);
  }
}

/** What arrived, in a few words: the value if it is short, its kind if it is an object. Never throws. */
function show(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(describe(value, 200));
    if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
    if (value === null || typeof value !== 'object') return describe(value);
    return Array.isArray(value) ? 'an array' : `an object (${value.constructor?.name ?? 'Object'})`;
  } catch {
    // A revoked proxy, or a getter (`name`, `constructor`) that throws.
    return describe(value, 200);
  }
}
