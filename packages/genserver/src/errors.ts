import { ActorkitError, formatReason } from '@actorkit/core';
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
    readonly reason: 'not_found' | 'running' | 'restarting' | 'already_present' | 'max_children',
    message: string,
  ) {
    super(`CHILD_${typeof reason === 'string' ? reason.toUpperCase() : 'ERROR'}`, textOf(message));
  }

  static override is(value: unknown): value is ChildError {
    return value instanceof ChildError;
  }
}
