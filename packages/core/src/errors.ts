import { formatReason } from './exit-reason.js';

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
    return value instanceof ActorkitError;
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
      `${pid === undefined ? 'process' : `process ${pid}`} exited: ${formatReason(reason)}`,
    );
  }

  static override is(value: unknown): value is ExitError {
    return value instanceof ExitError;
  }
}

/**
 * The target does not exist: no process is registered under the name, or the PID is
 * dead where a live one was needed (Erlang's `noproc`).
 */
export class NoProcError extends ActorkitError {
  readonly reason = 'noproc';

  constructor(
    readonly target: unknown,
    hint = 'Check that the process was started and is registered under this name; `whereis` returns undefined when nothing is.',
  ) {
    super('NOPROC', `no process is alive at ${String(target)}. ${hint}`);
  }

  static override is(value: unknown): value is NoProcError {
    return value instanceof NoProcError;
  }
}

/** An operation did not finish within its timeout. */
export class TimeoutError extends ActorkitError {
  readonly reason = 'timeout';

  constructor(
    readonly operation: string,
    readonly timeout: number,
    hint = 'Raise the timeout if the work is legitimately slow, or find out why it never answered.',
  ) {
    super('TIMEOUT', `${operation} timed out after ${timeout} ms. ${hint}`);
  }

  static override is(value: unknown): value is TimeoutError {
    return value instanceof TimeoutError;
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
      `the name ${String(nameTaken)} is already registered to ${holder}. Pick another name, or unregister it first.`,
    );
  }

  static override is(value: unknown): value is NameTakenError {
    return value instanceof NameTakenError;
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
      `the mailbox of ${pid} is full (capacity ${capacity}); the message was not delivered. Slow down, retry later, or choose the 'drop-oldest' or 'drop-newest' policy.`,
    );
  }

  static override is(value: unknown): value is MailboxFullError {
    return value instanceof MailboxFullError;
  }
}

/** The runtime has been stopped; it spawns and schedules nothing more. */
export class RuntimeStoppedError extends ActorkitError {
  constructor(operation: string) {
    super(
      'RUNTIME_STOPPED',
      `cannot ${operation}: the runtime has been stopped. Create a new Runtime.`,
    );
  }

  static override is(value: unknown): value is RuntimeStoppedError {
    return value instanceof RuntimeStoppedError;
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
    return value instanceof InvalidArgumentError;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : `an object (${value.constructor?.name ?? 'Object'})`;
}
