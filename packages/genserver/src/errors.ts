import { ActorkitError, formatReason, type Pid } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { describeReturn, textOf } from './text.js';

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
    return isInstance(value, StartError);
  }
}

/**
 * A GenServer (or a state machine) made a request to itself from one of its own
 * callbacks: `GenServer.call`, `stop`, `getState`, `getStatus` or `replaceState` whose
 * target, by PID or by name, is the server running the callback. A server handles one
 * message at a time, so it would wait for its own answer until the timeout (forever for
 * `stop`, whose timeout is `Infinity`); OTP exits the caller at once with `calling_self`,
 * and the request rejects at once with this error.
 *
 * Detected while the callback runs synchronously, before its first `await` (see the
 * README's "Differences from Elixir"): after an `await` the code runs outside the
 * server's turn and nothing tells it from a caller elsewhere, so such a call still waits
 * until its timeout.
 *
 * @example
 * // In a callback: do the work directly, or send yourself a message instead.
 * this.ctx.send(this.self, { type: 'refresh' }); // handled by handleInfo, next
 */
export class CallingSelfError extends ActorkitError {
  constructor(
    /** The server that called itself. */
    readonly pid: Pid<any>,
    /** The request, as `'GenServer.call'` or `'GenServer.stop'`. */
    readonly what: string,
  ) {
    super(
      'CALLING_SELF',
      `${textOf(what)}: ${formatReason(pid)} made this request to itself from one of its own callbacks, and would wait for its own answer (OTP's calling_self). ${selfFix(what)}`,
    );
  }

  static override is(value: unknown): value is CallingSelfError {
    return isInstance(value, CallingSelfError);
  }
}

function selfFix(what: unknown): string {
  if (what === 'GenServer.stop') {
    return 'To stop from a callback, return stop(reason, state) (from handleCall, stop(reason, state, reply) answers the caller too).';
  }
  return 'Do the work in the callback itself, send the server a message (ctx.send(self, …), handled by handleInfo next), or return { continue: arg } for handleContinue.';
}

/**
 * The exit reason of a GenServer whose callback returned something that is not one of
 * its results (not built with `ok`, `reply`, `noreply`, `stop` or `ignore`): OTP's
 * `{bad_return_value, Value}`. `value` is what the callback returned. From a handler the
 * server runs `terminate` with this reason, then exits with it, so callers waiting on it
 * reject with an `ExitError` whose `reason` is this, and monitors and links see it too;
 * from `init` the start fails with a `StartError` whose `reason` is this.
 *
 * @example
 * const error = await GenServer.call(server, { type: 'get' }).catch((e) => e);
 * if (ExitError.is(error) && BadReturnValue.is(error.reason)) console.log(error.reason.value);
 */
export class BadReturnValue extends ActorkitError {
  constructor(
    /** What the callback returned. */
    readonly value: unknown,
    /** The module's name, as `'Counter'`. */
    readonly module: string,
    /** The callback that returned it, as `'handleCall'`. */
    readonly callback: string,
    /** What it may return, in words. */
    expected: string,
  ) {
    super(
      'BAD_RETURN_VALUE',
      `${textOf(module)}.${textOf(callback)} returned ${describeReturn(value)}; expected ${textOf(expected)}, built with the helpers of @actorkit/genserver.`,
    );
  }

  static override is(value: unknown): value is BadReturnValue {
    return isInstance(value, BadReturnValue);
  }
}

/** A child spec, or the options of a supervisor, is malformed. */
export class ChildSpecError extends ActorkitError {
  constructor(message: string) {
    super('INVALID_CHILD_SPEC', textOf(message));
  }

  static override is(value: unknown): value is ChildSpecError {
    return isInstance(value, ChildSpecError);
  }
}

/**
 * A supervisor request named a child it does not have, or one in the wrong state; or a
 * start the supervisor refused (`max_children`: it is full; `draining`: a
 * `TaskSupervisor.drain` began).
 */
export class ChildError extends ActorkitError {
  constructor(
    readonly reason:
      | 'not_found'
      | 'running'
      | 'restarting'
      | 'already_started'
      | 'already_present'
      | 'max_children'
      | 'draining',
    message: string,
  ) {
    super(`CHILD_${typeof reason === 'string' ? reason.toUpperCase() : 'ERROR'}`, textOf(message));
  }

  static override is(value: unknown): value is ChildError {
    return isInstance(value, ChildError);
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
