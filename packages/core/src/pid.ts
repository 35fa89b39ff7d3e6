import { InvalidArgumentError } from './errors.js';
import { isInstance } from './internal/describe.js';
import type { Process } from './process.js';
import type { Runtime } from './runtime.js';

declare const messageType: unique symbol;

/**
 * A process identifier: the address you `send` to. `Pid<M>` carries the type of
 * the messages the process accepts, so `send(pid, msg)` is checked at compile time.
 *
 * A PID prints like Erlang's (`#PID<0.42.0>`: node, id, serial), compares with
 * `equals`/`comparePids`, and is the same object for the whole life of its process,
 * so it works as a `Map` key. `String(pid)` and `runtime.parsePid(text)` round-trip.
 *
 * @example
 * const pid = runtime.spawn(async (ctx) => console.log(await ctx.receive()));
 * runtime.send(pid, 'hello');
 * String(pid); // '#PID<0.1.0>'
 */
export class Pid<M = unknown> {
  declare readonly [messageType]: (message: M) => void;
  /** @internal The live process, or null once it has exited (or for a parsed, unknown PID). */
  proc: Process<any> | null;

  /** @internal */
  constructor(
    /** The node (runtime) number, the first field of `#PID<node.id.serial>`. */
    readonly node: number,
    /** The process number within its node. */
    readonly id: number,
    /** The serial field; always 0 on a single node. */
    readonly serial = 0,
    proc: Process<any> | null = null,
  ) {
    this.proc = proc;
  }

  /**
   * True when `other` names the same process (same node, id and serial). False for
   * anything that is not a PID, without ever throwing (a revoked proxy).
   */
  equals(other: unknown): boolean {
    return (
      isInstance(other, Pid) &&
      other.node === this.node &&
      other.id === this.id &&
      other.serial === this.serial
    );
  }

  toString(): string {
    return `#PID<${this.node}.${this.id}.${this.serial}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * The runtime a live PID belongs to, or undefined once the process has exited (and for
 * anything that is not a PID: it never throws). Lets higher layers (GenServer.call,
 * Task.await) use the server's own clock and runtime.
 */
export function runtimeOf(pid: Pid<any>): Runtime | undefined {
  return isPid(pid) ? pid.proc?.runtime : undefined;
}

/**
 * Orders PIDs by node, then id, then serial (negative, zero or positive, like `Array#sort` wants).
 * Throws `InvalidArgumentError` if either is not a PID.
 */
export function comparePids(a: Pid<any>, b: Pid<any>): number {
  if (!isPid(a)) throw new InvalidArgumentError('a', 'a Pid', a);
  if (!isPid(b)) throw new InvalidArgumentError('b', 'a Pid', b);
  return a.node - b.node || a.id - b.id || a.serial - b.serial;
}

/**
 * True when `value` is a PID. Total: false, never a throw, for any other value,
 * including a revoked proxy or a proxy whose `getPrototypeOf` trap throws (on which a
 * plain `instanceof` throws). The send path tests every destination with it: it is
 * `isInstance` written out for `Pid` alone, so its `instanceof` only ever sees one class.
 */
export function isPid(value: unknown): value is Pid<any> {
  try {
    return value instanceof Pid;
  } catch {
    return false;
  }
}

const PID_TEXT = /^(?:#PID)?<(\d+)\.(\d+)\.(\d+)>$/;

/**
 * Parses `#PID<0.42.0>` (or `<0.42.0>`) into its three numbers.
 * Use `runtime.parsePid` to get the live process's own PID back.
 * Throws `InvalidArgumentError` for any other text.
 */
export function parsePidText(text: string): { node: number; id: number; serial: number } {
  const match = typeof text === 'string' ? PID_TEXT.exec(text.trim()) : null;
  if (match === null) {
    throw new InvalidArgumentError('text', 'a PID like "#PID<0.42.0>"', text);
  }
  return { node: Number(match[1]), id: Number(match[2]), serial: Number(match[3]) };
}
