import { isInstance } from './internal/describe.js';

let nextRef = 1;

/**
 * A unique reference, as Erlang's `make_ref()`: monitors, timers and calls are
 * identified by one. Refs compare by identity and print like `#Reference<0.0.0.7>`.
 */
export class Ref {
  /** @internal */
  constructor(readonly id: number = nextRef++) {}

  toString(): string {
    return `#Reference<0.0.0.${this.id}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * Returns a new reference, unique within this Node process.
 *
 * @example
 * const ref = makeRef();
 * ctx.send(server, { ref, from: ctx.self });
 * await ctx.receive((m) => m.ref === ref);
 */
export function makeRef(): Ref {
  return new Ref();
}

/**
 * True when `value` is a reference made by `makeRef` (or a monitor or timer ref). Never
 * throws: false for a revoked proxy, on which `instanceof` throws.
 */
export function isRef(value: unknown): value is Ref {
  return isInstance(value, Ref);
}
