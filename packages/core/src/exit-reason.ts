import { InvalidArgumentError } from './errors.js';
import { clip, DESCRIBE_LIMIT, describe, isError, isInstance } from './internal/describe.js';

/**
 * Why a process exited. Erlang's reasons keep their meaning:
 * - `'normal'`: the process finished; non-trapping links ignore it.
 * - `'shutdown'` or `{ shutdown: detail }`: asked to stop (supervisors treat these as clean).
 * - `'kill'`: sent with `exit(pid, 'kill')`, cannot be trapped; the process exits `'killed'`.
 * - `'noproc'`: the process did not exist (monitors of dead PIDs report it).
 * - a {@link Crash}: the process threw or its promise rejected.
 * - anything else you pass to `exit`.
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | { shutdown: unknown }
  | 'kill'
  | 'killed'
  | 'noproc'
  | Crash
  | unknown;

/**
 * The exit reason of a process that threw or whose promise rejected, like Elixir's
 * `{exception, stacktrace}`. `error` is what was thrown; `stack` its stack, if any.
 * Whatever was thrown (a getter that throws, a revoked proxy), reading `stack` and
 * printing a Crash never throw.
 */
export class Crash {
  constructor(readonly error: unknown) {}

  /** The error's stack, read on demand: formatting a stack is costly and most crashes are never logged. */
  get stack(): string | undefined {
    const error = this.error;
    if (!isError(error)) return undefined;
    try {
      const stack = error.stack;
      return typeof stack === 'string' ? stack : undefined;
    } catch {
      return undefined;
    }
  }

  /** `Name: message` for an Error, `thrown <value>` for anything else; never throws. */
  toString(): string {
    const error = this.error;
    return isError(error) ? describe(error) : `thrown ${describe(error)}`;
  }
}

/** True when `reason` is a {@link Crash} (a throw or rejection inside a process). Never throws. */
export function isCrash(reason: unknown): reason is Crash {
  return isInstance(reason, Crash);
}

/** True for `'normal'`: the reason linked processes that do not trap exits ignore. */
export function isNormalExit(reason: unknown): boolean {
  return reason === 'normal';
}

/**
 * True for `'normal'`, `'shutdown'` and `{ shutdown: detail }`: the reasons after
 * which a `transient` child is not restarted and no crash is reported, as in Elixir.
 * Never throws: a value that cannot be inspected (a revoked proxy, a proxy whose traps
 * throw) is not a clean exit.
 */
export function isCleanExit(reason: unknown): boolean {
  if (reason === 'normal' || reason === 'shutdown') return true;
  if (typeof reason !== 'object' || reason === null) return false;
  try {
    return !(reason instanceof Crash) && 'shutdown' in reason;
  } catch {
    return false;
  }
}

/**
 * Renders an exit reason, or any other value, as text for logs and error messages:
 * `crash (Error: boom)` for a {@link Crash}, a string as it is, anything else much as
 * `JSON.stringify` would, saying plainly what JSON cannot (`12n`, `Symbol(x)`,
 * `[Circular]`, `[Function name]`, `Map(2) {…}`; a PID as `#PID<0.4.0>`).
 *
 * It never throws, whatever the value: an object whose `toString` and `toJSON` throw,
 * one without a prototype, with cycles or holding a BigInt, a revoked proxy, an Error
 * whose `message` getter throws. This is actorkit's one formatter for values in
 * messages, logs and reports: higher layers use it too. Getters are not run (shown as
 * `[Getter]`), except an error's `name` and `message`; what cannot be read prints as
 * `[unprintable object]`. The text is cut at `maxLength` characters (then ends in
 * `…`), and nested objects past the third level or the twentieth entry are elided, so
 * a huge reason gives a short line.
 *
 * @param maxLength the longest text returned, before the closing `…`: a number >= 0
 * (`Infinity` for no limit); anything else is an `InvalidArgumentError`. @default 1000
 *
 * @example
 * formatReason('shutdown'); // 'shutdown'
 * formatReason({ shutdown: 'bye' }); // '{"shutdown":"bye"}'
 * formatReason(new Crash(new Error('boom'))); // 'crash (Error: boom)'
 */
export function formatReason(reason: unknown, maxLength = DESCRIBE_LIMIT): string {
  if (typeof maxLength !== 'number' || !(maxLength >= 0)) {
    throw new InvalidArgumentError('maxLength', 'a number >= 0 (or Infinity)', maxLength);
  }
  if (typeof reason === 'string') return clip(reason, maxLength);
  if (!isCrash(reason)) return describe(reason, maxLength);
  let text: string;
  try {
    text = reason.toString();
  } catch {
    // Only something posing as a Crash (a proxy of one) gets here.
    text = describe(reason, maxLength);
  }
  return `crash (${clip(text, maxLength)})`;
}
