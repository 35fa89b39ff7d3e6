import { ActorkitError, formatReason, type Pid } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { textOf } from './text.js';

// Every class here writes its message from any value without throwing (a reason whose
// `toString` throws, a revoked proxy): an error that cannot be built would take the
// place of the one it reports.

/**
 * A GenServer (or supervisor, or state machine) did not start: its `init` returned
 * `stop(reason)`, threw (reason is a `Crash`), or returned `ignore()` (reason is
 * `'ignore'`). Elixir returns these as `{:error, reason}` and `:ignore`.
 */
export class StartError extends ActorkitError {
  constructor(
    readonly reason: unknown,
    readonly module: string,
  ) {
    super(
      reason === 'ignore' ? 'START_IGNORED' : 'START_FAILED',
      reason === 'ignore'
        ? `${textOf(module)} declined to start (init returned ignore()).`
        : `${textOf(module)} failed to start: ${formatReason(reason)}. See the reason, or the crash report, for why init failed.`,
    );
  }

  /** True when init returned `ignore()`: not a failure, the server simply did not start. */
  get ignored(): boolean {
    return this.reason === 'ignore';
  }

  static override is(value: unknown): value is StartError {
    return value instanceof StartError;
  }
}

/** A child spec, or the options of a supervisor, is malformed. */
export class ChildSpecError extends ActorkitError {
  constructor(message: string) {
    super('INVALID_CHILD_SPEC', textOf(message));
  }

  static override is(value: unknown): value is ChildSpecError {
    return value instanceof ChildSpecError;
  }
}

/** A supervisor request named a child it does not have, or one in the wrong state. */
export class ChildError extends ActorkitError {
  constructor(
    readonly reason:
      | 'not_found'
      | 'running'
      | 'restarting'
      | 'already_started'
      | 'already_present'
      | 'max_children',
    message: string,
  ) {
    super(`CHILD_${typeof reason === 'string' ? reason.toUpperCase() : 'ERROR'}`, textOf(message));
  }

  static override is(value: unknown): value is ChildError {
    return value instanceof ChildError;
  }
}

/**
 * `Supervisor.startChild` was given the id of a child that is running: OTP's
 * `{error, {already_started, Pid}}`. The new spec is discarded and `pid` is the running
 * child, so a caller that only wanted the child up can use it.
 *
 * @example
 * const pid = await Supervisor.startChild(sup, spec).catch((error) => {
 *   if (AlreadyStartedError.is(error)) return error.pid;
 *   throw error;
 * });
 */
export class AlreadyStartedError extends ChildError {
  constructor(
    /** The id given to `startChild`. */
    readonly id: unknown,
    /** The child already running under that id. */
    readonly pid: Pid<any>,
  ) {
    super(
      'already_started',
      `a child with id ${idText(id)} is already running as ${formatReason(pid)}. Use that PID (error.pid), give the new child another id, or terminateChild and deleteChild the running one first.`,
    );
  }

  static override is(value: unknown): value is AlreadyStartedError {
    return isInstance(value, AlreadyStartedError);
  }
}

/**
 * `Supervisor.startChild` was given the id of a child whose spec the supervisor keeps
 * but that is not running (it was terminated, its start ignored, it exited and is not
 * restarted, or it waits out a backoff): OTP's `{error, already_present}`. The new spec
 * is discarded. Start the kept one with `restartChild`, or `deleteChild` it first.
 */
export class AlreadyPresentError extends ChildError {
  constructor(
    /** The id given to `startChild`. */
    readonly id: unknown,
  ) {
    super(
      'already_present',
      `a child with id ${idText(id)} is already present in this supervisor, not running. Start it again with restartChild, or remove it with deleteChild before adding a new spec under that id.`,
    );
  }

  static override is(value: unknown): value is AlreadyPresentError {
    return isInstance(value, AlreadyPresentError);
  }
}

/** A child id for a message (a string quoted); never throws. */
function idText(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id) : formatReason(id);
}
