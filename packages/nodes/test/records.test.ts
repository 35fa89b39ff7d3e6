import { Runtime } from '@actorkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SEND_RECORD, SHAPE, ShapesIn, ShapesOut } from '../src/records.js';

const runtime = new Runtime({ node: 800 });
afterAll(() => runtime.stop());
const resolve = (node: number, id: number, serial: number) =>
  runtime.parsePid(`<${node}.${id}.${serial}>`);

function roundTrip(out: ShapesOut, into: ShapesIn, message: object) {
  const defined: unknown[][] = [];
  const frame = out.frame(7, message, (shape) => defined.push(shape));
  for (const shape of structuredClone(defined)) into.define(shape);
  return { frame, defined, back: frame && into.record(structuredClone(frame), resolve) };
}

describe('ShapesOut.frame()', () => {
  it('sends a flat record as its values, and its keys once per shape', () => {
    const out = new ShapesOut();
    const into = new ShapesIn();
    const first = roundTrip(out, into, { i: 1, text: 'a', ok: true, none: null, gone: undefined });
    expect(first.frame).toEqual([SEND_RECORD, 7, 0, 1, 'a', true, null, undefined]);
    expect(first.defined).toEqual([[SHAPE, 0, ['i', 'text', 'ok', 'none', 'gone'], 0]]);
    expect(first.back).toEqual({ i: 1, text: 'a', ok: true, none: null, gone: undefined });
    expect(Object.keys(first.back!)).toContain('gone');
    const again = roundTrip(out, into, { i: 2, text: 'b', ok: false, none: null, gone: 1 });
    expect(again.defined).toEqual([]);
    expect(again.back).toEqual({ i: 2, text: 'b', ok: false, none: null, gone: 1 });
    // Another shape, then the first again: known, not defined twice.
    expect(roundTrip(out, into, { x: 1 }).defined).toEqual([[SHAPE, 1, ['x'], 0]]);
    expect(
      roundTrip(out, into, { i: 3, text: 'c', ok: true, none: null, gone: 0 }).defined,
    ).toEqual([]);
  });

  it('carries PIDs as their node and id, the shape marking which keys hold one', () => {
    const out = new ShapesOut();
    const into = new ShapesIn();
    const local = runtime.spawn({ handle() {} });
    const remote = runtime.parsePid('<3.9.0>');
    const first = roundTrip(out, into, { from: local, n: 1, to: remote });
    expect(first.frame).toEqual([SEND_RECORD, 7, 0, 800, local.id, 1, 3, 9]);
    expect(first.defined).toEqual([[SHAPE, 0, ['from', 'n', 'to'], 0b101]]);
    expect(first.back!.from).toBe(local);
    expect(String(first.back!.to)).toBe('#PID<3.9.0>');
    // Same keys, a PID where there was none: another shape.
    const other = roundTrip(out, into, { from: 5, n: 2, to: remote });
    expect(other.defined).toEqual([[SHAPE, 1, ['from', 'n', 'to'], 0b100]]);
    expect(other.back).toEqual({ from: 5, n: 2, to: remote });
  });

  it('leaves to the general codec what is not a flat record of primitives', () => {
    const out = new ShapesOut();
    const none = () => {};
    expect(out.frame(1, { nested: { a: 1 } }, none)).toBeUndefined();
    expect(out.frame(1, { at: new Date() }, none)).toBeUndefined();
    expect(out.frame(1, { fn() {} }, none)).toBeUndefined();
    expect(out.frame(1, { [Symbol('s')]: 1, a: 1 }, none)).toBeUndefined();
    expect(out.frame(1, JSON.parse('{"__proto__": 1}'), none)).toBeUndefined();
    expect(out.frame(1, {}, none)).toBeUndefined();
    expect(out.frame(1, [1, 2], none)).toBeUndefined();
    expect(out.frame(1, Object.create(null), none)).toBeUndefined();
    class Point {
      x = 1;
    }
    expect(out.frame(1, new Point(), none)).toBeUndefined();
    const wide = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    expect(out.frame(1, wide, none)).toBeUndefined();
  });
});
