import { isPid, isRef } from '@actorkit/core';

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
 * limits. Getters are never called, so reading a state runs none of its code.
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
  switch (typeof value) {
    case 'string':
      return value.length > limits.chars ? `${value.slice(0, limits.chars)}…` : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
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
  } catch {
    return '[Unreadable]';
  } finally {
    seen.delete(object);
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
  if (object instanceof Error) return { $type: object.name, message: object.message };
  if (Array.isArray(object)) return cut(object, limits.entries).map(each);
  if (object instanceof Map) {
    return { $map: cut([...object.entries()], limits.entries).map(([k, v]) => [each(k), each(v)]) };
  }
  if (object instanceof Set) return { $set: cut([...object], limits.entries).map(each) };
  if (ArrayBuffer.isView(object)) return `[${object.constructor.name} ${object.byteLength} bytes]`;
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
  const name = proto.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
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
