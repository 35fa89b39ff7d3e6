/**
 * @internal Checks an options object against the keys a function takes: an unknown key,
 * or a known one whose value has the wrong type, is an `InvalidArgumentError` naming that
 * key (as STYLE says: a user who passes `backoff` where it does nothing must hear about
 * it). `undefined` stands for "not given", for the whole object and for each key.
 */
import { InvalidArgumentError, isPid, Runtime } from '@actorkit/core';

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
 * the function, for the message about an unknown key.
 *
 * @example
 * checkOptions(options, 'GenServer.call', { timeout: TIMEOUT_OPTION, runtime: RUNTIME_OPTION });
 */
export function checkOptions(options: unknown, what: string, checks: OptionChecks): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', `an options object for ${what}`, options);
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(checks, key)) {
      throw new InvalidArgumentError(
        key,
        `left out: ${what} takes the options ${Object.keys(checks).join(', ')}`,
        (options as Record<string, unknown>)[key],
      );
    }
    const value = (options as Record<string, unknown>)[key];
    const check = checks[key]!;
    if (value !== undefined && !check.accepts(value)) {
      throw new InvalidArgumentError(key, check.expected, value);
    }
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
  accepts: (value) => value instanceof Runtime,
};

/** `link`: a PID. */
export const PID_OPTION: OptionCheck = {
  expected: 'a Pid',
  accepts: isPid,
};
