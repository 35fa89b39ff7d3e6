/**
 * What GenServer callbacks return, built with small helpers as Elixir's tuples are:
 * `ok(state)` from `init`, `reply(value, state)` from `handleCall`, `noreply(state)`
 * from any handler, `stop(reason, state)` to end the server.
 */

/**
 * Extra instruction after a callback, the third element of Elixir's tuples:
 * `{ continue: arg }` runs `handleContinue(arg)` before the next message;
 * `{ timeout: ms }` is an idle timeout (`TIMEOUT` arrives after `ms` without a message;
 * `Infinity` for none, Elixir's `:infinity`); `'hibernate'` is accepted as Elixir's
 * `:hibernate` is, and does nothing here: V8 collects a process's garbage by itself, and
 * there is no per-process heap to compact. Anything else (a negative or non-numeric
 * timeout, an object with neither key, with both, or with another key besides) is a bad
 * return value, as in OTP.
 */
export type Action = { continue: unknown } | { timeout: number } | 'hibernate';

/**
 * @internal True for a well-formed {@link Action}: `'hibernate'`, or an object whose one
 * own key is `continue` or `timeout` (both, or another key besides, is malformed: OTP's
 * third element is one term, and a key that would do nothing is not ignored silently).
 * Never throws (a revoked proxy is not one).
 */
export function isAction(action: unknown): action is Action {
  if (action === 'hibernate') return true;
  if (typeof action !== 'object' || action === null) return false;
  try {
    const keys = Reflect.ownKeys(action);
    if (keys.length !== 1) return false;
    if (keys[0] === 'timeout') {
      const { timeout } = action as { timeout: unknown };
      return typeof timeout === 'number' && timeout >= 0;
    }
    return keys[0] === 'continue';
  } catch {
    return false;
  }
}

/** `init` succeeded: the server runs with `state`. */
export class Ok<S> {
  constructor(
    readonly state: S,
    readonly action?: Action,
  ) {}
}

/** `init` declined to start; `start` reports it and a supervisor keeps the child spec without a process. */
export class Ignore {}

/** Answer the caller with `value` and continue with `state`. */
export class Reply<S, R> {
  constructor(
    readonly value: R,
    readonly state: S,
    readonly action?: Action,
  ) {}
}

/** Continue with `state` without replying (a call stays pending until `GenServer.reply`). */
export class NoReply<S> {
  constructor(
    readonly state: S,
    readonly action?: Action,
  ) {}
}

/** Stop the server with `reason` after `terminate(reason, state)`; from `handleCall`, optionally reply first. */
export class Stop<S, R = unknown> {
  constructor(
    readonly reason: unknown,
    readonly state: S,
    readonly reply?: { value: R },
  ) {}
}

/**
 * `init` result: start with `state`. `action` may be `{ continue: arg }` (run
 * `handleContinue` before any message), `{ timeout: ms }` (an idle timeout) or
 * `'hibernate'` (accepted, does nothing): see {@link Action}.
 */
export function ok<S>(state: S, action?: Action): Ok<S> {
  return new Ok(state, action);
}

/** `init` result: do not start (Elixir's `:ignore`). */
export function ignore(): Ignore {
  return new Ignore();
}

/** `handleCall` result: reply `value` to the caller and continue with `state`. */
export function reply<S, R>(value: R, state: S, action?: Action): Reply<S, R> {
  return new Reply(value, state, action);
}

/** Result of any handler: continue with `state` (from `handleCall`: reply later with `GenServer.reply`). */
export function noreply<S>(state: S, action?: Action): NoReply<S> {
  return new NoReply(state, action);
}

/**
 * Result of `init` or any handler: stop with `reason` (`'normal'` for a clean stop).
 * `terminate(reason, state)` runs first. From `handleCall`, pass `replyValue` to answer
 * the caller before stopping.
 */
export function stop<S, R = never>(
  reason: unknown,
  state?: S,
  ...replyValue: [] | [R]
): Stop<S | undefined, R> {
  return new Stop(
    reason,
    state,
    replyValue.length === 1 ? { value: replyValue[0] as R } : undefined,
  );
}

/** What `init` may return. */
export type InitResult<S> = Ok<S> | Ignore | Stop<unknown>;
/** What `handleCall` may return. */
export type CallResult<S, R> = Reply<S, R> | NoReply<S> | Stop<S | undefined, R>;
/** What `handleCast`, `handleInfo` and `handleContinue` may return. */
export type NoReplyResult<S> = NoReply<S> | Stop<S | undefined>;
/** A value or a promise of it: every callback may be async. */
export type MaybePromise<T> = T | Promise<T>;
