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
 */
export class Crash {
  constructor(readonly error: unknown) {}

  /** The error's stack, read on demand: formatting a stack is costly and most crashes are never logged. */
  get stack(): string | undefined {
    return this.error instanceof Error ? this.error.stack : undefined;
  }

  toString(): string {
    return this.error instanceof Error
      ? `${this.error.name}: ${this.error.message}`
      : `thrown ${describe(this.error)}`;
  }
}

/** True when `reason` is a {@link Crash} (a throw or rejection inside a process). */
export function isCrash(reason: unknown): reason is Crash {
  return reason instanceof Crash;
}

/** True for `'normal'`: the reason linked processes that do not trap exits ignore. */
export function isNormalExit(reason: unknown): boolean {
  return reason === 'normal';
}

/**
 * True for `'normal'`, `'shutdown'` and `{ shutdown: detail }`: the reasons after
 * which a `transient` child is not restarted and no crash is reported, as in Elixir.
 */
export function isCleanExit(reason: unknown): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (typeof reason === 'object' &&
      reason !== null &&
      !(reason instanceof Crash) &&
      'shutdown' in reason)
  );
}

/** Renders an exit reason for logs and error messages. */
export function formatReason(reason: unknown): string {
  return reason instanceof Crash ? `crash (${reason})` : describe(reason);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
