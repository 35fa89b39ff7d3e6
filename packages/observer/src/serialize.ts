import { formatReason, isPid, isRef } from '@actorkit/core';

/** Limits for {@link toJsonSafe}. */
export interface SerializeLimits {
  /** Nesting levels shown before `'…'`. @default 6 */
  depth?: number;
  /** Entries shown per object, array, Map or Set. @default 100 */
  entries?: number;
  /** Characters shown per string. @default 2000 */
  chars?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Turns any value (a GenServer state, a message) into plain JSON without throwing: PIDs
 * and refs print as text, Maps and Sets as `{ $map }`/`{ $set }`, class instances
 * carry `$type`, functions and cycles become markers, and big values are cut at the
 * limits. Getters are never called, so reading a state runs none of its code (an
 * Error's `name` and `message` excepted); what cannot be read at all (a revoked proxy,
 * a proxy whose traps throw) becomes `'[Unreadable]'`.
 */
export function toJsonSafe(value: unknown, limits: SerializeLimits = {}): Json {
  const full = {
    depth: limits.depth ?? 6,
    entries: limits.entries ?? 100,
    chars: limits.chars ?? 2000,
  };
  return convert(value, full, full.depth, new Set());
}

function convert(
  value: unknown,
  limits: Required<SerializeLimits>,
  depth: number,
  seen: Set<object>,
): Json {
  try {
    return convertAny(value, limits, depth, seen);
  } catch {
    return '[Unreadable]';
  }
}

function convertAny(
  value: unknown,
  limits: Required<SerializeLimits>,
  depth: number,
  seen: Set<object>,
): Json {
  switch (typeof value) {
    case 'string':
      return clip(value, limits.chars);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return bigintText(value, limits.chars);
    case 'symbol':
      return `Symbol(${clip(value.description ?? '', limits.chars)})`;
    case 'function':
      return `[Function ${functionName(value) || 'anonymous'}]`;
    case 'undefined':
      return null;
  }
  if (value === null) return null;
  if (isPid(value) || isRef(value)) return String(value);
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  if (depth <= 0) return '…';
  seen.add(object);
  try {
    return convertObject(object, limits, depth - 1, seen);
  } finally {
    seen.delete(object);
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A BigInt as `12n`, or its size when its digits would pass `max` (printing them is slow). */
function bigintText(value: bigint, max: number): string {
  const hexDigits = (value < 0n ? -value : value).toString(16).length;
  if (hexDigits * 1.2 > max) return `[BigInt of about ${Math.round(hexDigits * 1.2)} digits]`;
  return `${value}n`;
}

/** A function's own `name`, read without running a getter; '' if it has none. */
function functionName(fn: Function): string {
  const name = Object.getOwnPropertyDescriptor(fn, 'name')?.value;
  return typeof name === 'string' ? clip(name, 200) : '';
}

/** What `read` returns, or `fallback` if it throws. */
function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function convertObject(
  object: object,
  limits: Required<SerializeLimits>,
  depth: number,
  seen: Set<object>,
): Json {
  const each = (v: unknown) => convert(v, limits, depth, seen);
  if (object instanceof Date)
    return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Error) {
    // An Error's name and message are read (getters too): each on its own, as either may throw.
    return {
      $type: each(attempt(() => object.name, '[Unreadable]')),
      message: each(attempt(() => object.message, '[Unreadable]')),
    };
  }
  if (Array.isArray(object)) return cut(object, limits.entries).map(each);
  if (object instanceof Map) {
    return { $map: cut([...object.entries()], limits.entries).map(([k, v]) => [each(k), each(v)]) };
  }
  if (object instanceof Set) return { $set: cut([...object], limits.entries).map(each) };
  if (ArrayBuffer.isView(object))
    return `[${typeName(object) ?? 'View'} ${object.byteLength} bytes]`;
  if (object instanceof Promise) return '[Promise]';
  const out: { [key: string]: Json } = {};
  const type = typeName(object);
  if (type !== undefined) out.$type = type;
  const keys = Object.keys(object);
  for (const key of keys.slice(0, limits.entries)) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    out[key] =
      descriptor !== undefined && 'value' in descriptor ? each(descriptor.value) : '[Getter]';
  }
  if (keys.length > limits.entries) out['…'] = `${keys.length - limits.entries} more keys`;
  return out;
}

function cut<T>(items: T[], max: number): T[] {
  return items.length > max ? items.slice(0, max) : items;
}

function typeName(object: object): string | undefined {
  const proto = Object.getPrototypeOf(object);
  if (proto === null || proto === Object.prototype) return undefined;
  const maker = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  const name = typeof maker === 'function' ? functionName(maker) : '';
  return name !== '' ? name : undefined;
}

/** A one-line preview of `value`, at most `max` characters, for tables and traces. */
export function preview(value: unknown, max = 120): string {
  let text: string;
  try {
    const json = toJsonSafe(value, { depth: 3, entries: 10, chars: max });
    text = typeof json === 'string' ? json : JSON.stringify(json);
  } catch {
    text = '[Unreadable]';
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * What went wrong, as one line, for any thrown value: an Error's message (read as
 * carefully as `toJsonSafe` reads it), anything else through core's `formatReason`.
 * Never throws.
 */
export function errorText(error: unknown): string {
  const message = attempt(
    () => (error instanceof Error ? (error.message as unknown) : undefined),
    undefined,
  );
  if (typeof message === 'string') return message;
  return attempt(() => formatReason(error), '[Unreadable error]');
}

/** Any value as a short line of text for a table (an id, a PID, a name); never throws. */
export function textOf(value: unknown, max = 200): string {
  if (typeof value === 'string') return clip(value, max);
  return preview(value, max);
}
