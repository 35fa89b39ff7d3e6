// Calls a public function with each hostile value in each argument position, for the
// hostile-arguments tests of every package (invariant 2: nothing crashes the node, and
// bad input gets a typed error that says what was wrong, never a raw TypeError).
//
//   import { type HostileCall, sweepCall } from '../../core/test/hostile-calls.js';
import { types } from 'node:util';
import { ActorkitError, formatReason, InvalidArgumentError } from '../src/index.js';
import { hostileValues } from './hostile-values.js';

/**
 * One public function: good arguments, each replaced in turn by each hostile value. `F`
 * is what the test sets up per call (a runtime, a live server), `C` what it runs inside
 * (a process's `ctx`), if anything.
 */
export interface HostileCall<F, C = undefined> {
  /** How the call reads: the last parentheses name its parameters, `'send(dest, message)'`. */
  name: string;
  /** Good arguments, one per parameter. */
  args: (f: F, ctx: C) => unknown[] | Promise<unknown[]>;
  call: (f: F, args: unknown[], ctx: C) => unknown;
  /** It returns a promise: a bad argument must reject it, never throw. */
  async?: true;
  /**
   * Positions of a callback the function calls at once: what the callback throws reaches
   * the caller, as from `Array#map` (a class throws when called, so does a revoked proxy).
   */
  callbacks?: number[];
}

/** How a call broke the rule, or undefined if it kept it. */
export type Verdict = string | undefined;

/** An error that says what was wrong: an actorkit error, or an argument error. */
export function isTyped(error: unknown): boolean {
  return ActorkitError.is(error) || InvalidArgumentError.is(error);
}

/** What calling `value` with no arguments throws, if it is a function that throws. */
function ownThrow(value: unknown): unknown {
  if (typeof value !== 'function') return undefined;
  try {
    (value as () => unknown)();
  } catch (error) {
    return error;
  }
  return undefined;
}

function judge(error: unknown, callbackThrow: unknown): Verdict {
  if (isTyped(error)) return undefined;
  const same =
    callbackThrow !== undefined &&
    (error as Error)?.constructor === (callbackThrow as Error).constructor &&
    (error as Error).message === (callbackThrow as Error).message;
  return same ? undefined : `${formatReason(error, 200)}`;
}

/** Calls `api` and says how it broke the rule, if it did; a promise still pending is fine. */
async function attempt<F, C>(
  api: HostileCall<F, C>,
  f: F,
  args: unknown[],
  ctx: C,
  callbackThrow: unknown,
): Promise<Verdict> {
  let result: unknown;
  try {
    result = api.call(f, args, ctx);
  } catch (error) {
    const verdict = judge(error, callbackThrow);
    if (api.async) return `threw synchronously ${verdict ?? formatReason(error, 200)}`;
    return verdict === undefined ? undefined : `threw ${verdict}`;
  }
  if (!types.isPromise(result)) return undefined;
  return result.then(
    () => undefined,
    (error: unknown) => {
      const verdict = judge(error, callbackThrow);
      return verdict === undefined ? undefined : `rejected with ${verdict}`;
    },
  );
}

/** The parameter names in `api.name`'s last parentheses: `'send(dest, message)'` → dest, message. */
export function paramsOf(api: { name: string }): string[] {
  const lists = [...api.name.matchAll(/\(([^()]*)\)/g)];
  return lists.at(-1)![1]!.split(', ');
}

/**
 * Calls `api` once per (parameter, hostile value), each time on a fresh `makeFixture()`,
 * through `run` (which may run it inside a process and hand it a `ctx`). Returns the
 * calls that broke the rule, one line each: `dest = a revoked Proxy: threw TypeError: …`.
 * A call that works, throws (or rejects with) an actorkit error, or stays pending keeps it.
 */
export async function sweepCall<F, C>(
  api: HostileCall<F, C>,
  makeFixture: () => F | Promise<F>,
  run: (op: (ctx: C) => Promise<Verdict>) => Promise<Verdict>,
): Promise<string[]> {
  const failures: string[] = [];
  const params = paramsOf(api);
  for (let position = 0; position < params.length; position++) {
    for (const { label, value } of hostileValues()) {
      const f = await makeFixture();
      const callbackThrow = api.callbacks?.includes(position) ? ownThrow(value) : undefined;
      const verdict = await run(async (ctx) => {
        const args = await api.args(f, ctx);
        args[position] = value;
        return attempt(api, f, args, ctx, callbackThrow);
      });
      if (verdict !== undefined) failures.push(`${params[position]} = ${label}: ${verdict}`);
    }
  }
  return failures;
}
