import { types } from 'node:util';

/** How deep `describe` looks into nested objects before printing `[Object]`. */
const MAX_DEPTH = 3;
/** How many entries of an object, array, Map or Set `describe` prints. */
const MAX_ENTRIES = 20;
/** The default length of `describe`'s text, beyond which it is cut with `…`. */
export const DESCRIBE_LIMIT = 1000;

/**
 * @internal Renders any value as short text for error messages, logs and reports, and
 * never throws, whatever the value: getters that throw, revoked proxies, objects without
 * a prototype or with cycles, BigInts, symbols, huge strings. What the public API calls
 * `formatReason`; use that outside this package.
 *
 * A top-level string is printed bare, anything else much as `JSON.stringify` would
 * (strings quoted, keys quoted), with what JSON cannot say said plainly: `12n`,
 * `Symbol(x)`, `[Function name]`, `[Circular]`, `Map(2) {…}`, `Name: message` for
 * errors, and an object's own `toString` (a PID prints `#PID<0.4.0>`) when its class
 * defines one. Getters are not run (`[Getter]`), except an error's `name` and
 * `message`. What cannot be read at all prints `[unprintable object]`. The text is at
 * most `limit` characters, plus a closing `…` when it was cut; nested levels past the
 * third and entries past the twentieth are left out.
 *
 * @example
 * describe({ shutdown: 'bye' }); // '{"shutdown":"bye"}'
 * describe(Object.create(null)); // '[Object: null prototype] {}'
 */
export function describe(value: unknown, limit = DESCRIBE_LIMIT): string {
  if (typeof value === 'string') return clip(value, limit);
  const writer = new Writer(limit);
  writer.value(value, 0, true);
  return writer.finish();
}

/** `value` cut to `limit` characters, with `…` when it was longer. */
export function clip(value: string, limit = DESCRIBE_LIMIT): string {
  return value.length > limit ? `${value.slice(0, limit)}…` : value;
}

/**
 * `value instanceof type`, but false instead of a throw: `instanceof` throws for a
 * revoked proxy, and runs a proxy's `getPrototypeOf` trap. Exported to actorkit's own
 * packages through `@actorkit/core/internal`.
 */
export function isInstance<T>(
  value: unknown,
  type: abstract new (...args: any[]) => T,
): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/**
 * @internal True when `value` is an Error (from any realm), without ever throwing:
 * `instanceof` itself throws for a revoked proxy.
 */
export function isError(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return types.isNativeError(value) || value instanceof Error;
  } catch {
    return false;
  }
}

/** Builds `describe`'s text, stopping once it is `limit` characters long. */
class Writer {
  text = '';
  private cut = false;
  /** The objects being printed, outermost first: one seen again is a cycle. */
  private readonly path: object[] = [];

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.text.length >= this.limit;
  }

  put(text: string): void {
    const room = this.limit - this.text.length;
    if (text.length > room) {
      this.cut = true;
      if (room > 0) this.text += text.slice(0, room);
    } else {
      this.text += text;
    }
  }

  finish(): string {
    return this.cut ? `${this.text}…` : this.text;
  }

  /** Prints `value`; if reading it throws, takes back what it printed and says so. */
  value(value: unknown, depth: number, top: boolean): void {
    const mark = this.text.length;
    const pathLength = this.path.length;
    try {
      this.unsafeValue(value, depth, top);
    } catch {
      this.text = this.text.slice(0, mark);
      this.path.length = pathLength;
      this.put(`[unprintable ${typeof value}]`);
    }
  }

  private unsafeValue(value: unknown, depth: number, top: boolean): void {
    switch (typeof value) {
      case 'string':
        this.put(top ? value : quote(value, this.limit - this.text.length));
        return;
      case 'number':
        this.put(Object.is(value, -0) ? '-0' : String(value));
        return;
      case 'bigint':
        this.put(bigintText(value, this.limit));
        return;
      case 'symbol':
        this.put(`Symbol(${clip(value.description ?? '', this.limit)})`);
        return;
      case 'function':
        this.put(`[Function ${functionName(value)}]`);
        return;
      case 'object':
        if (value === null) this.put('null');
        else this.object(value, depth, top);
        return;
      default:
        this.put(String(value));
    }
  }

  private object(value: object, depth: number, top: boolean): void {
    if (this.path.includes(value)) {
      this.put('[Circular]');
      return;
    }
    if (isError(value)) {
      this.put(errorText(value, this.limit));
      return;
    }
    if (value instanceof Date) {
      const time = value.getTime();
      const iso = Number.isNaN(time) ? 'Invalid Date' : value.toISOString();
      this.put(top ? iso : JSON.stringify(iso));
      return;
    }
    const own = ownToString(value);
    if (own !== undefined) {
      this.put(own);
      return;
    }
    this.path.push(value);
    this.structure(value, depth);
    this.path.pop();
  }

  private structure(value: object, depth: number): void {
    const name = className(value);
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      this.put(`${name}(${(value as unknown as ArrayLike<unknown>).length}) `);
      this.list(value as unknown as ArrayLike<unknown>, depth);
    } else if (Array.isArray(value)) {
      this.list(value, depth);
    } else if (value instanceof Map) {
      this.put(`${name}(${value.size}) `);
      this.entries(value.entries(), value.size, depth, true);
    } else if (value instanceof Set) {
      this.put(`${name}(${value.size}) `);
      this.entries(value.values(), value.size, depth, false);
    } else if (value instanceof ArrayBuffer || value instanceof DataView) {
      this.put(`${name}(${value.byteLength})`);
    } else {
      if (name !== 'Object') this.put(`${name} `);
      this.properties(value, depth);
    }
  }

  private list(items: ArrayLike<unknown>, depth: number): void {
    if (depth >= MAX_DEPTH) {
      this.put(items.length === 0 ? '[]' : '[…]');
      return;
    }
    const shown = Math.min(items.length, MAX_ENTRIES);
    this.put('[');
    for (let i = 0; i < shown && !this.full; i++) {
      if (i > 0) this.put(',');
      this.value(items[i], depth + 1, false);
    }
    this.more(items.length - shown);
    this.put(']');
  }

  private entries(iterator: Iterator<unknown>, size: number, depth: number, pairs: boolean): void {
    if (depth >= MAX_DEPTH) {
      this.put(size === 0 ? '{}' : '{…}');
      return;
    }
    this.put('{');
    let i = 0;
    for (let step = iterator.next(); !step.done && i < MAX_ENTRIES && !this.full; i++) {
      if (i > 0) this.put(',');
      if (pairs) {
        const [key, entry] = step.value as [unknown, unknown];
        this.value(key, depth + 1, false);
        this.put(' => ');
        this.value(entry, depth + 1, false);
      } else {
        this.value(step.value, depth + 1, false);
      }
      step = iterator.next();
    }
    this.more(size - i);
    this.put('}');
  }

  private properties(value: object, depth: number): void {
    const keys = Object.keys(value);
    if (depth >= MAX_DEPTH) {
      this.put(keys.length === 0 ? '{}' : '{…}');
      return;
    }
    const shown = Math.min(keys.length, MAX_ENTRIES);
    this.put('{');
    for (let i = 0; i < shown && !this.full; i++) {
      const key = keys[i]!;
      this.put(`${i > 0 ? ',' : ''}${quote(key, this.limit)}:`);
      const property = Object.getOwnPropertyDescriptor(value, key);
      if (property === undefined) this.put('undefined');
      else if ('value' in property) this.value(property.value, depth + 1, false);
      else this.put(property.get === undefined ? '[Setter]' : '[Getter]');
    }
    this.more(keys.length - shown);
    this.put('}');
  }

  private more(hidden: number): void {
    if (hidden > 0) this.put(`,… ${hidden} more`);
  }
}

/** `text` as a JSON string, looking at no more of it than fits in `room`. */
function quote(text: string, room: number): string {
  return JSON.stringify(text.length > room ? text.slice(0, Math.max(room, 0)) : text);
}

/** A BigInt as `12n`, or its size when printing it would be long (and slow). */
function bigintText(value: bigint, limit: number): string {
  const hexDigits = (value < 0n ? -value : value).toString(16).length;
  // Each hex digit is about 1.2 decimal digits.
  if (hexDigits * 1.2 > limit) return `[BigInt of about ${Math.round(hexDigits * 1.2)} digits]`;
  return `${value}n`;
}

function functionName(value: Function): string {
  const name = Object.getOwnPropertyDescriptor(value, 'name')?.value;
  return typeof name === 'string' && name !== '' ? clip(name, 100) : '(anonymous)';
}

/** `Name: message`, reading each part on its own: either may be a getter that throws. */
function errorText(error: Error, limit: number): string {
  const name = attempt(() => error.name, undefined);
  const message = attempt(() => error.message, UNREADABLE);
  const nameText = typeof name === 'string' && name !== '' ? clip(name, 100) : 'Error';
  if (message === undefined || message === '') return nameText;
  if (message === UNREADABLE) return `${nameText}: [unreadable message]`;
  return `${nameText}: ${typeof message === 'string' ? message : describe(message, limit)}`;
}

const UNREADABLE = Symbol('unreadable');

/** What `read` returns, or `otherwise` if it throws. */
function attempt(read: () => unknown, otherwise: unknown): unknown {
  try {
    return read();
  } catch {
    return otherwise;
  }
}

/** The name of the class `value` was made by: `'Object'` for a plain object. */
function className(value: object): string {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null) return '[Object: null prototype]';
  const maker = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  const name = typeof maker === 'function' ? functionName(maker) : '(anonymous)';
  return name === '(anonymous)' ? 'Object' : name;
}

/**
 * The text of the object's own `toString`, when its class (or the object itself)
 * defines one: a PID, a ref, a URL. Undefined for plain objects and arrays, and when
 * that `toString` throws or returns something else than a string.
 */
function ownToString(value: object): string | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  let method: unknown;
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const property = Object.getOwnPropertyDescriptor(o, 'toString');
    if (property !== undefined) {
      method = property.value;
      break;
    }
  }
  if (typeof method !== 'function' || method === Object.prototype.toString) return undefined;
  const text = attempt(() => (method as () => unknown).call(value), undefined);
  return typeof text === 'string' ? text : undefined;
}
