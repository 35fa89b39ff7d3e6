import { ActorkitError, formatReason } from '@actorkit/core';

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
        ? `${module} declined to start (init returned ignore()).`
        : `${module} failed to start: ${formatReason(reason)}. See the reason, or the crash report, for why init failed.`,
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
    super('INVALID_CHILD_SPEC', message);
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
    super(`CHILD_${reason.toUpperCase()}`, message);
  }

  static override is(value: unknown): value is ChildError {
    return value instanceof ChildError;
  }
}
