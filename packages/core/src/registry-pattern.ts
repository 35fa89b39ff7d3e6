import { InvalidArgumentError } from './errors.js';
import { isPid, type Pid } from './pid.js';

/**
 * The "anything" of a {@link ValuePattern}, as Elixir's `:_`: matches every value in
 * its place, `undefined` included. The same symbol as `Registry.ANY`.
 *
 * @example
 * registry.match('jobs', ['retry', ANY]); // every pair whose first element is 'retry'
 */
export const ANY: unique symbol = Symbol('actorkit.registry.any');

/**
 * A structural pattern for a value of type `T`, the JavaScript stand-in for the match
 * patterns of Elixir's `Registry.match/4`:
 *
 * - `ANY` (also `Registry.ANY`) matches anything (Elixir's `:_`);
 * - a plain object matches any object that has every listed property, each matching
 *   its sub-pattern; properties the pattern leaves out are ignored (as an Elixir map
 *   pattern: `{ role: 'admin' }` matches `{ role: 'admin', name: 'Ada' }`);
 * - an array matches an array of the same length, element by element (as a tuple);
 * - a PID matches the same process (`pid.equals`);
 * - anything else (strings, numbers, class instances, dates, maps) matches only a value
 *   equal to it by SameValueZero, the equality of `Map` keys (`NaN` matches `NaN`).
 *
 * There are no pattern variables (`:"$1"`) and no guard tuples: where those are needed,
 * pass a guard function, which can compare parts of the value with each other.
 */
export type ValuePattern<T> =
  | typeof ANY
  | (T extends Pid<any>
      ? T
      : T extends readonly unknown[]
        ? { [I in keyof T]: ValuePattern<T[I]> }
        : T extends (...args: any[]) => unknown
          ? T
          : T extends object
            ? { [P in keyof T]?: ValuePattern<T[P]> }
            : T);

/** A test on a value: the JavaScript stand-in for the guards of Elixir's match specs. */
export type MatchGuard<T> = (value: T) => boolean;

/**
 * What `match`, `countMatch`, `unregisterMatch`, `select` and `countSelect` accept: a
 * {@link ValuePattern}, or a function that returns true for the values to keep. To
 * match a value that is itself a function, pass a function: `(v) => v === handler`.
 */
export type MatchPattern<T> = ValuePattern<T> | MatchGuard<T>;

/**
 * @internal Turns a pattern and an optional guard into one test. A function pattern is
 * used as is (what it throws reaches the caller); a structural pattern is compared with
 * {@link matchesPattern}, and a value it cannot read does not match.
 */
export function compilePattern<T>(pattern: MatchPattern<T>, guard?: MatchGuard<T>): MatchGuard<T> {
  if (guard !== undefined && typeof guard !== 'function') {
    throw new InvalidArgumentError('guard', 'a function (value) => boolean, or undefined', guard);
  }
  const test: MatchGuard<T> =
    typeof pattern === 'function'
      ? (pattern as MatchGuard<T>)
      : (value) => safeMatch(pattern, value);
  return guard === undefined ? test : (value) => test(value) && guard(value);
}

const RECORD_FIELDS = ['key', 'pid', 'value'];

/**
 * @internal {@link compilePattern} for `select` and `countSelect`, whose values are
 * `{ key, pid, value }` records: a pattern that could never match one (not `ANY`, not a
 * function, not a plain object, or an object with a property other than `key`, `pid`
 * and `value`) is an `InvalidArgumentError`, as Elixir's `select/2` raises on a match
 * spec of the wrong shape.
 */
export function compileRecordPattern<T>(
  pattern: MatchPattern<T>,
  guard?: MatchGuard<T>,
): MatchGuard<T> {
  if (!isRecordPattern(pattern)) {
    throw new InvalidArgumentError(
      'pattern',
      'Registry.ANY, a function (record) => boolean, or a plain object pattern with only key, pid and value, as { key: "user:42", value: { plan: ANY } }',
      pattern,
    );
  }
  return compilePattern(pattern, guard);
}

function isRecordPattern(pattern: unknown): boolean {
  if (pattern === ANY || typeof pattern === 'function') return true;
  try {
    if (!isPlainObject(pattern)) return false;
    return Reflect.ownKeys(pattern).every(
      (key) =>
        (typeof key === 'string' && RECORD_FIELDS.includes(key)) ||
        !Object.prototype.propertyIsEnumerable.call(pattern, key),
    );
  } catch {
    // A revoked proxy, or a proxy whose traps throw.
    return false;
  }
}

// A structural pattern only reads the value: one that cannot be read (a revoked proxy, a
// getter that throws) does not match, rather than breaking every query of its key.
function safeMatch(pattern: unknown, value: unknown): boolean {
  try {
    return matchesPattern(pattern, value);
  } catch {
    return false;
  }
}

/** @internal True when `value` matches the structural `pattern` (see {@link ValuePattern}). */
export function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (pattern === ANY) return true;
  if (isPid(pattern)) return pattern.equals(value);
  if (Array.isArray(pattern)) return matchesArray(pattern, value);
  if (isPlainObject(pattern)) return matchesObject(pattern, value);
  return pattern === value || (Number.isNaN(pattern) && Number.isNaN(value));
}

function matchesArray(pattern: unknown[], value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (!matchesPattern(pattern[i], value[i])) return false;
  }
  return true;
}

function matchesObject(pattern: object, value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  for (const key of Reflect.ownKeys(pattern)) {
    if (!Object.prototype.propertyIsEnumerable.call(pattern, key)) continue;
    if (!(key in value)) return false;
    if (!matchesPattern((pattern as any)[key], (value as any)[key])) return false;
  }
  return true;
}

function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
