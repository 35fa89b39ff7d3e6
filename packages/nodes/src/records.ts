import { isPid } from '@actorkit/core';
import type { PidResolver } from './codec.js';

/**
 * The fast path for the commonest message shape: a flat plain object whose values are
 * all primitives or PIDs (`{ id: 7, text: 'hi', from: pid }`). Structured clone writes every
 * key of every object as a string; here an object crosses as its values alone, inline
 * in its frame (`[SEND_RECORD, to, shape, ...values]`), and its keys cross once per pair
 * of nodes, as a `SHAPE` frame sent before the first frame that uses them (frames to a
 * peer keep their order, so the receiver always knows a shape before it meets it).
 * Arrays of primitives clone several times faster than objects do, which is the point
 * (see the README's Performance section).
 *
 * A PID crosses as two values (its node and id) and the shape says which keys hold
 * PIDs. Anything else (a nested object, a `Date`, a symbol-keyed property, a key named
 * `__proto__`, more than `MAX_KEYS` keys) goes the general way (`codec.ts`), which also
 * says what cannot cross.
 */

/** [SEND_RECORD, toId, shapeId, ...values] */
export const SEND_RECORD = 11;
/** [SHAPE, shapeId, keys, pids]: `pids` has bit i set when key i holds a PID. */
export const SHAPE = 12;

const MAX_KEYS = 16;
/** Shapes per pair of nodes; past it, new shapes go the general way. */
const MAX_SHAPES = 4096;

/** The shapes this node has told one peer about. */
export class ShapesOut {
  /**
   * `define`, when given, is where `frame` sends a new shape's `SHAPE` frame by default:
   * one function per peer, not a closure per message.
   */
  constructor(private readonly define?: (frame: unknown[]) => void) {}

  private readonly ids = new Map<string, number>();
  private last: string[] | null = null;
  /** Which of the last shape's values are PIDs, one bit per key. */
  private lastPids = 0;
  private lastId = -1;

  /**
   * The frame for `message` to process `to`, or undefined if it is not a flat record.
   * When it uses a new shape, `define` (the constructor's by default) is called first
   * with the `SHAPE` frame to send.
   */
  frame(
    to: number,
    message: object,
    define: ((frame: unknown[]) => void) | undefined = this.define,
  ): unknown[] | undefined {
    if (Object.getPrototypeOf(message) !== Object.prototype) return undefined;
    const frame: unknown[] = [SEND_RECORD, to, 0];
    const last = this.last;
    let same = last !== null;
    let n = 0;
    let pids = 0;
    for (const key in message) {
      const value = (message as Record<string, unknown>)[key];
      const type = typeof value;
      if (type === 'object' && value !== null) {
        // A PID crosses as its node and id (a PID's serial is always 0): two values.
        if (n >= MAX_KEYS || !isPid(value) || value.serial !== 0) return undefined;
        pids |= 1 << n;
        frame.push(value.node, value.id);
      } else if (type === 'function' || type === 'symbol') {
        return undefined;
      } else {
        frame.push(value);
      }
      if (same && last![n] !== key) same = false;
      n++;
    }
    if (n === 0 || n > MAX_KEYS || Object.getOwnPropertySymbols(message).length > 0)
      return undefined;
    if (same && n === last!.length && pids === this.lastPids) {
      frame[2] = this.lastId;
      return frame;
    }
    if (define === undefined)
      throw new Error('ShapesOut.frame: no define function for a new shape.');
    const id = this.shapeOf(Object.keys(message), pids, define);
    if (id === undefined) return undefined;
    frame[2] = id;
    return frame;
  }

  private shapeOf(
    keys: string[],
    pids: number,
    define: (frame: unknown[]) => void,
  ): number | undefined {
    const name = `${pids}\u0000${keys.join('\u0000')}`;
    let id = this.ids.get(name);
    if (id === undefined) {
      if (this.ids.size >= MAX_SHAPES || keys.includes('__proto__')) return undefined;
      id = this.ids.size;
      this.ids.set(name, id);
      define([SHAPE, id, keys, pids]);
    }
    this.last = keys;
    this.lastPids = pids;
    this.lastId = id;
    return id;
  }
}

/** The shapes one peer has told this node about. */
export class ShapesIn {
  private readonly keys: string[][] = [];
  private readonly pids: number[] = [];

  /** A `SHAPE` frame. */
  define(frame: unknown[]): void {
    this.keys[frame[1] as number] = frame[2] as string[];
    this.pids[frame[1] as number] = frame[3] as number;
  }

  /** The object a `SEND_RECORD` frame carries; `resolve` turns a PID's node and id into its PID here. */
  record(frame: unknown[], resolve: PidResolver): Record<string, unknown> {
    const shape = frame[2] as number;
    const keys = this.keys[shape]!;
    const pids = this.pids[shape]!;
    const record: Record<string, unknown> = {};
    let at = 3;
    for (let i = 0; i < keys.length; i++) {
      if ((pids & (1 << i)) === 0) {
        record[keys[i]!] = frame[at++];
      } else {
        record[keys[i]!] = resolve(frame[at] as number, frame[at + 1] as number, 0);
        at += 2;
      }
    }
    return record;
  }
}
