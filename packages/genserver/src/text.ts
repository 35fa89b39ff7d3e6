/**
 * @internal Text from values of any kind for names, labels and error messages, read
 * without ever throwing: whatever a user's class or value does (a `name` getter that
 * throws, a revoked proxy), the message is still written. Values beyond names go
 * through core's `formatReason`, actorkit's one total formatter.
 */
import { formatReason } from '@actorkit/core';

/**
 * The `name` of a class or function, as an own data property (a getter is not run);
 * `fallback` when it has none, it is empty, or it cannot be read.
 *
 * @example
 * nameOf(Counter, 'GenServer'); // 'Counter'
 * nameOf(class {}, 'GenServer'); // 'GenServer'
 */
export function nameOf(value: unknown, fallback: string): string {
  if (typeof value !== 'function') return fallback;
  try {
    const name = Object.getOwnPropertyDescriptor(value, 'name')?.value;
    return typeof name === 'string' && name !== '' ? name : fallback;
  } catch {
    return fallback;
  }
}

/** The name of the class an object was made by (see {@link nameOf}). */
export function classNameOf(value: object, fallback: string): string {
  try {
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype === null) return fallback;
    return nameOf(Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value, fallback);
  } catch {
    return fallback;
  }
}

/** `value` as text for a message: a string as it is, anything else through `formatReason`. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : formatReason(value);
}

/** `text` cut to `max` characters, ending in `...` when it was longer. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * A callback's wrong return value, in words, for `BadReturnValue`'s message; never
 * throws, whatever it is. An array gets a hint: Elixir's tuples are helpers here.
 *
 * @example
 * describeReturn(42); // '42'
 * describeReturn(new Date()); // 'an instance of Date'
 */
export function describeReturn(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  let isArray = false;
  try {
    isArray = Array.isArray(value);
  } catch {
    // A revoked proxy: neither an array nor anything else readable.
  }
  if (isArray) {
    return `an array ${preview(value)} (Elixir's tuples are reply(), noreply() and stop() here)`;
  }
  if (typeof value === 'object') {
    const name = classNameOf(value, 'Object');
    return name !== 'Object' ? `an instance of ${name}` : `a plain object ${preview(value)}`;
  }
  return preview(value);
}

function preview(value: unknown): string {
  return clip(formatReason(value), 80);
}
