/**
 * @internal Checks an options object against the keys a function takes: an unknown key,
 * or a known one whose value has the wrong type, is an `InvalidArgumentError` naming that
 * key (as STYLE says: a user who passes `backoff` where it does nothing must hear about
 * it). `undefined` stands for "not given", for the whole object and for each key.
 */
import { InvalidArgumentError, isPid, Runtime } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';

/** What one option accepts: how to say it in an error, and the test a given value must pass. */
export interface OptionCheck {
  readonly expected: string;
  readonly accepts: (value: unknown) => boolean;
}

/** The options a function takes, by key. */
export type OptionChecks = Readonly<Record<string, OptionCheck>>;

/**
 * Throws `InvalidArgumentError` unless `options` is undefined or an object whose every
 * own key is in `checks` with a value `checks[key].accepts` (or undefined). `what` names
 * the function, for the message about an unknown key. Never anything else, whatever
 * `options` is: one that cannot be read (a revoked proxy, a proxy whose traps throw) is
 * no options object, and a key whose getter throws is a bad value for that key.
 *
 * @example
 * checkOptions(options, 'GenServer.call', { timeout: TIMEOUT_OPTION, runtime: RUNTIME_OPTION });
 */
export function checkOptions(options: unknown, what: string, checks: OptionChecks): void {
  if (options === undefined) return;
  const keys = ownKeys(options);
  if (keys === undefined) {
    throw new InvalidArgumentError('options', `an options object for ${what}`, options);
  }
  for (const key of keys) {
    if (!Object.hasOwn(checks, key)) {
      throw new InvalidArgumentError(
        key,
        `left out: ${what} takes the options ${Object.keys(checks).join(', ')}`,
        read(options as object, key, undefined),
      );
    }
  }
  for (const key of Object.keys(checks)) {
    const value = read(options as object, key, UNREADABLE);
    if (value === UNREADABLE) {
      throw new InvalidArgumentError(key, 'a value, not a getter that throws', undefined);
    }
    const check = checks[key]!;
    if (value !== undefined && !check.accepts(value)) {
      throw new InvalidArgumentError(key, check.expected, value);
    }
  }
}

const UNREADABLE = Symbol('unreadable');

/** The own keys of an options object; undefined for anything else, or one that cannot be read. */
function ownKeys(options: unknown): string[] | undefined {
  try {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
    return Object.keys(options);
  } catch {
    // A revoked proxy, or a proxy whose traps throw.
    return undefined;
  }
}

/** `options[key]`, or `otherwise` if reading it throws. */
function read(options: object, key: string, otherwise: unknown): unknown {
  try {
    return (options as Record<string, unknown>)[key];
  } catch {
    return otherwise;
  }
}

/** True for a timeout: a number of ms >= 0, or Infinity. */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && value >= 0;
}

/** `timeout`: ms >= 0 or Infinity. */
export const TIMEOUT_OPTION: OptionCheck = {
  expected: 'a number of ms >= 0 or Infinity',
  accepts: isTimeout,
};

/** `runtime`: an actorkit Runtime. */
export const RUNTIME_OPTION: OptionCheck = {
  expected: 'an actorkit Runtime',
  accepts: (value) => isInstance(value, Runtime),
};

/** `link`: a PID. */
export const PID_OPTION: OptionCheck = {
  expected: 'a Pid',
  accepts: isPid,
};
