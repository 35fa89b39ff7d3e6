import { InvalidArgumentError } from '../errors.js';

/**
 * @internal Throws `InvalidArgumentError` unless `options` is undefined or an object
 * whose every key is one of `known`: a misspelt or misplaced option (`timout`,
 * `backoff` where it does nothing) is said out loud, never silently ignored. The error
 * names the key, the options there are, and the value that came. Keys whose value is
 * undefined count as absent only if they are known.
 *
 * Total, whatever `options` is: an object that cannot be inspected (a revoked proxy, a
 * proxy whose traps throw) is no options object, and a known key whose getter throws is
 * an `InvalidArgumentError` naming that key, so the caller may then read every known key
 * without a try.
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
  const unknown = unknownKey(options, known);
  if (unknown === NOT_OPTIONS) {
    throw new InvalidArgumentError(argument, `an options object for ${what}`, options);
  }
  if (unknown !== undefined) {
    throw new InvalidArgumentError(
      `${argument}.${unknown}`,
      `absent: ${what} has no option \`${unknown}\` (its options are ${known.join(', ')})`,
      peek(options as object, unknown),
    );
  }
  for (const key of known) {
    try {
      void (options as Record<string, unknown>)[key];
    } catch (error) {
      throw new InvalidArgumentError(
        `${argument}.${key}`,
        'a value, not a getter that throws',
        error,
      );
    }
  }
}

const NOT_OPTIONS = Symbol('not options');

/** The first key of `options` not in `known`, or `NOT_OPTIONS` if it is no options object. */
function unknownKey(
  options: unknown,
  known: readonly string[],
): string | typeof NOT_OPTIONS | undefined {
  try {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      return NOT_OPTIONS;
    }
    for (const key in options) if (!known.includes(key)) return key;
    return undefined;
  } catch {
    // A revoked proxy (`Array.isArray` and `for…in` throw), or a proxy whose traps throw.
    return NOT_OPTIONS;
  }
}

/** `options[key]` for an error message, or undefined if reading it throws. */
function peek(options: object, key: string): unknown {
  try {
    return (options as Record<string, unknown>)[key];
  } catch {
    return undefined;
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
