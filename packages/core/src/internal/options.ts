import { InvalidArgumentError } from '../errors.js';

/**
 * @internal Throws `InvalidArgumentError` unless `options` is undefined or an object
 * whose every key is one of `known`: a misspelt or misplaced option (`timout`,
 * `backoff` where it does nothing) is said out loud, never silently ignored. The error
 * names the key, the options there are, and the value that came. Keys whose value is
 * undefined count as absent only if they are known.
 *
 * @example
 * assertOptions(options, 'options', 'spawn', ['name', 'link']);
 */
export function assertOptions(
  options: unknown,
  argument: string,
  what: string,
  known: readonly string[],
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(argument, `an options object for ${what}`, options);
  }
  for (const key in options) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `${argument}.${key}`,
        `absent: ${what} has no option \`${key}\` (its options are ${known.join(', ')})`,
        (options as Record<string, unknown>)[key],
      );
    }
  }
}

/** @internal Throws `InvalidArgumentError` unless `value` is undefined or a boolean. */
export function assertOptionalBoolean(value: unknown, argument: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(argument, 'true or false', value);
  }
}

/** @internal Throws `InvalidArgumentError` unless `value` is undefined or a string. */
export function assertOptionalString(value: unknown, argument: string): void {
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidArgumentError(argument, 'a string', value);
  }
}

/**
 * @internal Throws `InvalidArgumentError` unless `value` is undefined or a number of
 * at least `min`: an integer when `integer`, and `Infinity` only when `infinite`.
 */
export function assertOptionalNumber(
  value: unknown,
  argument: string,
  {
    min,
    integer = false,
    infinite = false,
  }: { min: number; integer?: boolean; infinite?: boolean },
): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    value >= min &&
    (value === Number.POSITIVE_INFINITY
      ? infinite
      : integer
        ? Number.isInteger(value)
        : Number.isFinite(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a finite number';
    const limit = infinite ? ` (or Infinity)` : '';
    throw new InvalidArgumentError(argument, `${kind} >= ${min}${limit}`, value);
  }
}
