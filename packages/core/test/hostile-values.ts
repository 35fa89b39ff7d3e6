// Hostile values and the checks that go with them, for the tests of every package
// (invariant 2: nothing crashes the node, whatever a process throws, sends or exits with).
//
//   import { hostileValues, anyValue, watchNode, echoWorks } from '../../core/test/hostile-values.js';
//
// Use each value as a crash reason, an exit signal, a stop reason, a call reply and a
// message; then `echoWorks(runtime)` and `node.assertQuiet()`.
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Pid, Runtime } from '../src/index.js';
import { deferred } from './support.js';

/** A value that breaks naive formatting, comparison or inspection, with a label for test names. */
export interface HostileValue {
  label: string;
  value: unknown;
}

/**
 * A fresh list of hostile values: each breaks at least one naive way of printing or
 * inspecting a value (`String(x)`, `JSON.stringify(x)`, `` `${x}` ``, `x instanceof C`,
 * `'key' in x`, `x.message`). Fresh objects on every call, so a test may mutate them.
 */
export function hostileValues(): HostileValue[] {
  const circular = Object.create(null) as Record<string, unknown>;
  circular.self = circular;
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const revokedFunction = Proxy.revocable(() => {}, {});
  revokedFunction.revoke();
  const badMessage = new Error('hidden');
  Object.defineProperty(badMessage, 'message', {
    get() {
      throw new Error('message getter');
    },
  });
  const badError = new TypeError('hidden');
  // The stack first: redefining it formats it, which reads the name.
  for (const key of ['stack', 'name', 'message']) {
    Object.defineProperty(badError, key, {
      get() {
        throw new Error(`${key} getter`);
      },
    });
  }
  return [
    {
      label: 'an object whose toString and toJSON throw',
      value: {
        toString() {
          throw new Error('toString');
        },
        toJSON() {
          throw new Error('toJSON');
        },
      },
    },
    { label: 'a null-prototype circular object', value: circular },
    {
      label: 'a null-prototype object holding a BigInt',
      value: Object.assign(Object.create(null) as object, { big: 10n }),
    },
    { label: 'a revoked Proxy', value: revoked.proxy },
    { label: 'a revoked Proxy of a function', value: revokedFunction.proxy },
    { label: 'a Proxy whose every trap throws', value: throwingProxy() },
    { label: 'an Error whose message getter throws', value: badMessage },
    { label: 'an Error whose name, message and stack getters throw', value: badError },
    {
      label: 'an object with a getter that throws',
      value: {
        get boom(): never {
          throw new Error('getter');
        },
      },
    },
    { label: 'a frozen object', value: Object.freeze({ shutdown: Object.freeze(['frozen']) }) },
    { label: 'a symbol', value: Symbol('hostile') },
    { label: 'a symbol without description', value: Symbol() },
    { label: 'a function', value: function named() {} },
    { label: 'a class', value: class Hostile {} },
    { label: 'a huge string', value: 'x'.repeat(10_000_000) },
    { label: 'a huge BigInt', value: 7n ** 100_000n },
    { label: 'a BigInt', value: -5n },
    { label: 'undefined', value: undefined },
    { label: 'null', value: null },
    { label: 'NaN', value: Number.NaN },
    { label: 'a huge array', value: new Array(1_000_000).fill({ deep: { deeper: [1, 2] } }) },
    { label: 'a deep object', value: deepObject(10_000) },
    {
      label: 'a Map and Set holding each other',
      value: (() => {
        const map = new Map<unknown, unknown>();
        const set = new Set<unknown>([map]);
        map.set(set, map);
        return map;
      })(),
    },
    { label: 'an object with a lying constructor', value: lyingConstructor() },
  ];
}

/** A proxy on which every inspection throws: `instanceof`, `in`, keys, property reads. */
function throwingProxy(): object {
  const fail = () => {
    throw new Error('trap');
  };
  return new Proxy(
    {},
    {
      get: fail,
      has: fail,
      ownKeys: fail,
      getPrototypeOf: fail,
      getOwnPropertyDescriptor: fail,
      set: fail,
      defineProperty: fail,
      deleteProperty: fail,
      isExtensible: fail,
      preventExtensions: fail,
      setPrototypeOf: fail,
    },
  );
}

function deepObject(depth: number): object {
  let value: object = {};
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

function lyingConstructor(): object {
  const value = {};
  Object.defineProperty(value, 'constructor', {
    get() {
      throw new Error('constructor getter');
    },
  });
  return value;
}

/**
 * Any value fast-check can make, including the kinds naive formatting trips on: BigInts,
 * null-prototype objects, boxed values, Maps, Sets, dates, typed and sparse arrays.
 */
export const anyValue: fc.Arbitrary<unknown> = fc.anything({
  withBigInt: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withObjectString: true,
});

let shared: HostileValue[] | undefined;

/**
 * Any value, or one of the hand-made hostile ones, in a box: fast-check cannot hold a
 * revoked proxy itself (it looks for a clone method on every value it makes). The
 * hostile values are shared between runs: the runtime never changes them.
 */
export const anyOrHostile: fc.Arbitrary<{ value: unknown }> = fc.oneof(
  anyValue.map((value) => ({ value })),
  fc.nat({ max: hostileValues().length - 1 }).map((i) => {
    shared ??= hostileValues();
    return { value: shared[i]!.value };
  }),
);

/**
 * Records every unhandled rejection and uncaught exception during each test of the
 * calling file; `assertQuiet()` gives Node the turns it needs to report them, then
 * expects none.
 */
export function watchNode(): { assertQuiet: () => Promise<void> } {
  const seen: { kind: string; error: unknown }[] = [];
  const onUnhandled = (error: unknown) => void seen.push({ kind: 'unhandledRejection', error });
  const onUncaught = (error: unknown) => void seen.push({ kind: 'uncaughtException', error });
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  });
  return {
    async assertQuiet() {
      await letNodeReport();
      expect(seen.map((s) => s.kind)).toEqual([]);
    },
  };
}

/**
 * Gives Node the turns it needs to report an unhandled rejection (it checks after the
 * microtask queue drains) or an uncaught exception thrown from a later callback.
 */
export async function letNodeReport(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await delay(1);
  }
}

/** Proves `runtime` still works: a fresh handler process answers a fresh body process. */
export async function echoWorks(runtime: Runtime): Promise<void> {
  const reply = deferred<unknown>();
  const echo = runtime.spawn<{ from: Pid<string>; text: string }>({
    handle(m, ctx) {
      const { from, text } = m as { from: Pid<string>; text: string };
      ctx.send(from, text.toUpperCase());
    },
  });
  runtime.spawn<string>(async (ctx) => {
    ctx.send(echo, { from: ctx.self, text: 'still alive' });
    reply.resolve(await ctx.receive());
  });
  const settle = (runtime.clock as { settle?: () => Promise<void> }).settle;
  if (settle !== undefined) await settle.call(runtime.clock);
  expect(await reply.promise).toBe('STILL ALIVE');
}
