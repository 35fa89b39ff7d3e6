import { isPid, type Pid } from '@actorkit/core';
import { type WireLink, type WireType, wireTypeNamed, wireTypeOf } from '@actorkit/core/internal';
import { UncloneableMessageError } from './errors.js';

/**
 * How messages cross between nodes: the platform's structured clone, with two additions.
 *
 * - **Checked first.** Structured clone silently changes some values (a class instance
 *   arrives without its prototype, a `Buffer` as a `Uint8Array`, an error without its
 *   extra fields, a symbol-keyed property vanishes) and throws on others (a function)
 *   only later, when a whole batch is posted. `encode` walks the message first and
 *   throws {@link UncloneableMessageError} naming the path, so `send` fails for the one
 *   message, at the caller, and nothing crosses changed.
 * - **PIDs travel as PIDs.** A `Pid` (a class instance holding its live process) is
 *   replaced by a stub `{ node, id, serial }`; the stubs also travel in a list beside
 *   the message. Structured clone keeps identity within one post, so on the far side
 *   the list's objects are the very stubs inside the message: `decode` swaps each for
 *   the receiving runtime's PID (the live local `Pid` object when the process is local).
 *
 * The fast path: a message without PIDs is checked (a walk that allocates nothing for
 * flat values) and handed to structured clone as it is; a primitive is not walked.
 */

/** A PID as it crosses: plain numbers. */
export interface PidStub {
  node: number;
  id: number;
  serial: number;
}

/**
 * An instance of a registered wire type (core's `registerWireType`: a GenServer call's
 * `From`, a cast) as it crosses: its type's name and the data its `encode` made.
 */
export interface WireStub {
  wire: string;
  data: unknown;
}

/** What travels beside a message: the PIDs and wire-typed instances in it. */
export type Stub = PidStub | WireStub;

/** Turns a stub back into a PID of the receiving node. */
export type PidResolver = (node: number, id: number, serial: number) => Pid<any>;

const FAIL = -1;
/** Deeper than this, a message may be cyclic: checked again, keeping track of what was seen. */
const MAX_FAST_DEPTH = 64;

const PLAIN_LEAVES = new Set<object>(
  [
    Date,
    RegExp,
    ArrayBuffer,
    DataView,
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    Number,
    String,
    Boolean,
  ].map((type) => type.prototype),
);
if (typeof SharedArrayBuffer === 'function') PLAIN_LEAVES.add(SharedArrayBuffer.prototype);

const ERRORS = new Set<object>(
  [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map(
    (type) => type.prototype,
  ),
);

/**
 * Checks that `message` can cross unchanged, and counts the PIDs in it. Throws
 * {@link UncloneableMessageError} naming the first thing that cannot.
 */
export function countPids(message: unknown): number {
  if (typeof message !== 'object' || message === null) {
    return typeof message === 'function' || typeof message === 'symbol' ? fail(message) : 0;
  }
  let count: number;
  try {
    count = scan(message, 0, null);
    if (count === DEEP) count = scan(message, 0, new Set());
  } catch {
    // A revoked proxy, or a getter that throws: structured clone would throw too.
    count = FAIL;
  }
  return count === FAIL ? fail(message) : count;
}

/**
 * Encodes `message` for another node: returns what to post, and pushes the stubs it
 * made onto `stubs` (nothing when the message holds no PID: it is posted as it is).
 * Throws {@link UncloneableMessageError} if it cannot cross unchanged.
 */
export function encode(message: unknown, stubs: Stub[], link?: WireLink): unknown {
  const count = countPids(message);
  if (count === 0) return message;
  return replacePids(message, new Map(), stubs, link);
}

/**
 * Decodes what `encode` made, once it has crossed: swaps each of `stubs` inside `value`
 * for `resolve`'s PID. The value is the receiver's own copy and is changed in place
 * (a Map or Set holding a stub is rebuilt, its order kept).
 */
export function decode(
  value: unknown,
  stubs: Stub[] | undefined,
  resolve: PidResolver,
  link?: () => WireLink,
): unknown {
  if (stubs === undefined || stubs.length === 0) return value;
  const pids = new Map<unknown, unknown>();
  let wired = false;
  for (const stub of stubs) {
    if ('wire' in stub) wired = true;
    else pids.set(stub, resolve(stub.node, stub.id, stub.serial));
  }
  // Wire stubs were pushed after the stubs inside their data: decoded in order, each
  // one's data is whole (its PIDs and inner instances swapped back) when it is decoded.
  if (wired) {
    const wireLink = link?.();
    for (const stub of stubs) {
      if (!('wire' in stub)) continue;
      const found = wireTypeNamed(stub.wire);
      if (found === undefined || wireLink === undefined) {
        throw new UncloneableMessageError('message', `an instance of ${stub.wire}, not known here`);
      }
      pids.set(stub, found.type.decode(revive(stub.data, pids, new Set()), wireLink));
    }
  }
  return revive(value, pids, new Set());
}

const DEEP = -2;

/** The PIDs in `value`, FAIL if something cannot cross, DEEP if too deep to go on without `seen`. */
function scan(value: object, depth: number, seen: Set<object> | null): number {
  if (depth > MAX_FAST_DEPTH && seen === null) return DEEP;
  if (seen !== null) {
    if (seen.has(value)) return 0;
    seen.add(value);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype) return scanPlain(value, depth, seen);
  if (proto === Array.prototype) return scanArray(value as unknown[], depth, seen);
  if (PLAIN_LEAVES.has(proto)) return isDetached(value) ? FAIL : 0;
  if (isPid(value)) return 1;
  if (proto === Map.prototype) return scanMap(value as Map<unknown, unknown>, depth, seen);
  if (proto === Set.prototype) return scanIterable(value as Set<unknown>, depth, seen);
  if (ERRORS.has(proto)) return scanError(value as Error, depth, seen);
  // A registered wire type counts as a PID would: it is swapped for a stub.
  return wireTypeOf(proto) === undefined ? FAIL : 1;
}

function scanChild(child: unknown, depth: number, seen: Set<object> | null): number {
  const type = typeof child;
  if (type === 'object') return child === null ? 0 : scan(child as object, depth + 1, seen);
  return type === 'function' || type === 'symbol' ? FAIL : 0;
}

function scanPlain(value: object, depth: number, seen: Set<object> | null): number {
  if (Object.getOwnPropertySymbols(value).length > 0) return FAIL;
  let count = 0;
  for (const key in value) {
    const n = scanChild((value as Record<string, unknown>)[key], depth, seen);
    if (n < 0) return n;
    count += n;
  }
  return count;
}

function scanArray(value: unknown[], depth: number, seen: Set<object> | null): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const n = scanChild(value[i], depth, seen);
    if (n < 0) return n;
    count += n;
  }
  return count;
}

function scanMap(value: Map<unknown, unknown>, depth: number, seen: Set<object> | null): number {
  let count = 0;
  for (const [key, item] of value) {
    const k = scanChild(key, depth, seen);
    if (k < 0) return k;
    const n = scanChild(item, depth, seen);
    if (n < 0) return n;
    count += k + n;
  }
  return count;
}

function scanIterable(value: Iterable<unknown>, depth: number, seen: Set<object> | null): number {
  let count = 0;
  for (const item of value) {
    const n = scanChild(item, depth, seen);
    if (n < 0) return n;
    count += n;
  }
  return count;
}

function scanError(value: Error, depth: number, seen: Set<object> | null): number {
  for (const key of Object.keys(value)) if (key !== 'cause') return FAIL;
  return Object.hasOwn(value, 'cause') ? scanChild(value.cause, depth, seen) : 0;
}

/** A copy of `value` with every PID swapped for its stub (one stub per PID). */
function replacePids(
  value: unknown,
  copies: Map<object, unknown>,
  stubs: Stub[],
  link: WireLink | undefined,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (isPid(value)) {
    const stub: PidStub = { node: value.node, id: value.id, serial: value.serial };
    stubs.push(stub);
    copies.set(value, stub);
    return stub;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value as unknown[]) copy.push(replacePids(item, copies, stubs, link));
    return copy;
  }
  if (proto === Object.prototype || proto === null) {
    const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
    copies.set(value, copy);
    for (const key in value) {
      setOwn(copy, key, replacePids((value as Record<string, unknown>)[key], copies, stubs, link));
    }
    return copy;
  }
  if (proto === Map.prototype) {
    const copy = new Map();
    copies.set(value, copy);
    for (const [k, v] of value as Map<unknown, unknown>) {
      copy.set(replacePids(k, copies, stubs, link), replacePids(v, copies, stubs, link));
    }
    return copy;
  }
  if (proto === Set.prototype) {
    const copy = new Set();
    copies.set(value, copy);
    for (const item of value as Set<unknown>) copy.add(replacePids(item, copies, stubs, link));
    return copy;
  }
  if (ERRORS.has(proto) && Object.hasOwn(value, 'cause')) {
    const error = value as Error;
    const copy = new (proto.constructor as ErrorConstructor)(error.message, {
      cause: replacePids(error.cause, copies, stubs, link),
    });
    copy.stack = error.stack ?? '';
    copies.set(value, copy);
    return copy;
  }
  const wire = wireTypeOf(proto);
  if (wire !== undefined) return wireStub(value, wire, stubs, link);
  return value;
}

/** The stub of a wire-typed instance: its data, checked and encoded in turn. */
function wireStub(
  value: object,
  wire: WireType,
  stubs: Stub[],
  link: WireLink | undefined,
): WireStub {
  if (link === undefined) {
    throw new UncloneableMessageError(
      'message',
      `${describeInstance(value, Object.getPrototypeOf(value))} outside a message`,
    );
  }
  const data = wire.encode(value, link);
  countPids(data);
  const stub: WireStub = { wire: wire.name, data: replacePids(data, new Map(), stubs, link) };
  stubs.push(stub);
  return stub;
}

/** `value` with each stub in `pids` swapped for its PID, in place. */
function revive(value: unknown, pids: Map<unknown, unknown>, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const pid = pids.get(value);
  if (pid !== undefined) return pid;
  if (seen.has(value)) return value;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) array[i] = revive(array[i], pids, seen);
  } else if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    for (const key in record) setOwn(record, key, revive(record[key], pids, seen));
  } else if (proto === Map.prototype) {
    const map = value as Map<unknown, unknown>;
    const entries = [...map].map(([k, v]) => [revive(k, pids, seen), revive(v, pids, seen)]);
    map.clear();
    for (const [k, v] of entries) map.set(k, v);
  } else if (proto === Set.prototype) {
    const set = value as Set<unknown>;
    const items = [...set].map((item) => revive(item, pids, seen));
    set.clear();
    for (const item of items) set.add(item);
  } else if (ERRORS.has(proto) && Object.hasOwn(value, 'cause')) {
    (value as Error).cause = revive((value as Error).cause, pids, seen);
  }
  return value;
}

/**
 * Sets `record[key]` as an own property: for a key named `__proto__` (an own property a
 * parsed JSON text may have), plain assignment would set the prototype instead.
 */
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    record[key] = value;
  }
}

/** Throws the error for `message`, found again with paths this time (only on failure). */
function fail(message: unknown): never {
  let found: { path: string; what: string } | undefined;
  try {
    found = findUncloneable(message, 'message', new Set());
  } catch {
    found = {
      path: 'message',
      what: 'a value that cannot be read (a revoked proxy, or a getter that throws)',
    };
  }
  throw new UncloneableMessageError(found?.path ?? 'message', found?.what ?? 'not clonable');
}

function findUncloneable(
  value: unknown,
  path: string,
  seen: Set<object>,
): { path: string; what: string } | undefined {
  if (typeof value === 'function') return { path, what: 'a function' };
  if (typeof value === 'symbol') return { path, what: 'a symbol' };
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (proto === null) {
    return {
      path,
      what: 'an object with a null prototype (it would arrive with Object.prototype: copy it into a plain object first)',
    };
  }
  if (proto === Object.prototype) {
    const symbols = Object.getOwnPropertySymbols(value);
    if (symbols.length > 0) {
      return { path: `${path}[${String(symbols[0])}]`, what: 'a property keyed by a symbol' };
    }
    for (const key in value) {
      const inner = findUncloneable((value as any)[key], `${path}${keyPath(key)}`, seen);
      if (inner) return inner;
    }
    return undefined;
  }
  if (proto === Array.prototype) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) {
      const inner = findUncloneable(array[i], `${path}[${i}]`, seen);
      if (inner) return inner;
    }
    return undefined;
  }
  if (PLAIN_LEAVES.has(proto) && isDetached(value)) {
    return {
      path,
      what: 'a detached ArrayBuffer (or a view on one): its bytes were moved away by transfer() or postMessage',
    };
  }
  if (PLAIN_LEAVES.has(proto) || isPid(value) || wireTypeOf(proto) !== undefined) return undefined;
  if (proto === Map.prototype || proto === Set.prototype) {
    let i = 0;
    for (const entry of value as Iterable<unknown>) {
      const inner = findUncloneable(entry, `${path}{entry ${i++}}`, seen);
      if (inner) return inner;
    }
    return undefined;
  }
  if (ERRORS.has(proto)) {
    const extra = Object.keys(value).find((key) => key !== 'cause');
    if (extra !== undefined) {
      return { path: `${path}${keyPath(extra)}`, what: 'an extra property of an error' };
    }
    return findUncloneable((value as Error).cause, `${path}.cause`, seen);
  }
  return { path, what: describeInstance(value, proto) };
}

/**
 * True for an ArrayBuffer moved away (`transfer()`, `postMessage`), or a view on one:
 * structured clone refuses it, and would fail the whole batch it is posted in. Only an
 * empty buffer can be detached, so a non-empty one costs a length read.
 */
function isDetached(value: object): boolean {
  try {
    let buffer: unknown = value;
    if (ArrayBuffer.isView(value)) {
      if (value.byteLength !== 0) return false;
      buffer = value.buffer;
    }
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== 0) return false;
    new Uint8Array(buffer);
    return false;
  } catch {
    // Reading a DataView over a detached buffer throws, and so does viewing the buffer.
    return true;
  }
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeInstance(value: object, proto: object): string {
  if (Buffer.isBuffer(value)) return 'a Buffer (send a Uint8Array or its ArrayBuffer)';
  let name: unknown;
  try {
    name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    name = undefined;
  }
  return typeof name === 'string' && name !== ''
    ? `an instance of ${name}`
    : 'an object with a prototype';
}
