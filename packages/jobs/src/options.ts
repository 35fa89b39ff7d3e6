/** @internal Validation of option objects: unknown keys and wrong types are `InvalidArgumentError`s. */
import { InvalidArgumentError } from '@actorkit/core';

/** Checks one option; returns a description of what it expects if `value` is wrong, else undefined. */
export type OptionCheck = (value: unknown) => string | undefined;

/** Throws `InvalidArgumentError` for a key of `options` not in `checks`, or a value its check refuses (undefined is allowed). */
export function checkOptions(
  options: unknown,
  checks: Record<string, OptionCheck>,
  where: string,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(where, 'an options object', options);
  }
  // for…in rather than Object.entries: this runs for every job enqueued, and builds no arrays.
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue;
    const value = (options as Record<string, unknown>)[key];
    const check = checks[key];
    if (check === undefined) {
      throw new InvalidArgumentError(
        `${where}.${key}`,
        `one of the known options (${Object.keys(checks).join(', ')}); it does nothing here`,
        value,
      );
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) throw new InvalidArgumentError(`${where}.${key}`, expected, value);
  }
}

/** A number >= `min` (and finite unless `infinite`). */
export function number(min: number, infinite = false): OptionCheck {
  return (value) =>
    typeof value === 'number' &&
    value >= min &&
    (Number.isFinite(value) || (infinite && value === Number.POSITIVE_INFINITY))
      ? undefined
      : `a ${infinite ? '' : 'finite '}number >= ${min}`;
}

/** An integer >= `min`. */
export function integer(min: number): OptionCheck {
  return (value) =>
    Number.isInteger(value) && (value as number) >= min ? undefined : `an integer >= ${min}`;
}

/** A non-empty string. */
export const text: OptionCheck = (value) =>
  typeof value === 'string' && value.length > 0 ? undefined : 'a non-empty string';

/** One of `values`. */
export function oneOf(values: readonly unknown[]): OptionCheck {
  return (value) =>
    values.includes(value)
      ? undefined
      : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

/** A function. */
export const fn: OptionCheck = (value) => (typeof value === 'function' ? undefined : 'a function');

/** Anything (checked elsewhere). */
export const any: OptionCheck = () => undefined;

/** An object with a `now()` method. */
export const clockLike: OptionCheck = (value) =>
  typeof (value as { now?: unknown } | null)?.now === 'function'
    ? undefined
    : 'a clock, an object with now(): number';
