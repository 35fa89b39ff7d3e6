/** @internal Validation of option objects: unknown keys and wrong types are `InvalidArgumentError`s. */
import { InvalidArgumentError } from '@actorkit/core';

/** Checks one option; returns a description of what it expects if `value` is wrong, else undefined. */
export type OptionCheck = (value: unknown) => string | undefined;

/**
 * What a message names as the place of a bad value: `where`, or `where[index]` for the
 * item `index` of a list. Built only when something is wrong: an enqueue checks every job,
 * and a label made per job (a number turned into text, two strings joined) cost more than
 * the check of a job's few options.
 */
export function label(where: string, index: number | undefined): string {
  return index === undefined ? where : `${where}[${index}]`;
}

/**
 * Throws `InvalidArgumentError` for a key of `options` not in `checks`, or a value its check
 * refuses (undefined is allowed); the error names `where` (`where[index]` with an index).
 */
export function checkOptions(
  options: unknown,
  checks: Record<string, OptionCheck>,
  where: string,
  index?: number,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(label(where, index), 'an options object', options);
  }
  // for…in rather than Object.entries: this runs for every job enqueued, and builds no arrays.
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue;
    const value = (options as Record<string, unknown>)[key];
    const check = checks[key];
    if (check === undefined) {
      throw new InvalidArgumentError(
        `${label(where, index)}.${key}`,
        `one of the known options (${Object.keys(checks).join(', ')}); it does nothing here`,
        value,
      );
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) {
      throw new InvalidArgumentError(`${label(where, index)}.${key}`, expected, value);
    }
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
