import type { ProcessInfo } from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateRecorder, RateTable } from '../src/rates.js';

/** What the recorder reads of a process: its PID's id and what it handled. */
const info = (id: number, handled: number) =>
  ({ pid: { id }, messagesHandled: handled }) as unknown as ProcessInfo;

/** One walk: the live ids (any order) with their handled counts, at `now`. */
function walk(previous: RateTable, seen: [number, number][], now: number, minGap = 500) {
  const recorder = new RateRecorder(previous, minGap, now);
  const rates = seen.map(([id, handled]) => recorder.rate(info(id, handled), now));
  return { rates, table: recorder.table() };
}

describe('RateRecorder.rate()', () => {
  it('is null the first time, then messages/s since the last walk that saw the process', () => {
    const first = walk(
      new RateTable(),
      [
        [1, 10],
        [4, 0],
      ],
      1000,
    );
    expect(first.rates).toEqual([null, null]);
    const second = walk(
      first.table,
      [
        [1, 30],
        [3, 5],
        [4, 1],
      ],
      3000,
    );
    expect(second.rates).toEqual([10, null, 0.5]);
    expect(second.table.rateOf(1)).toBe(10);
    expect(second.table.rateOf(3)).toBeNull();
    expect(second.table.rateOf(2)).toBeNull();
  });

  it('keeps the previous rate and baseline when the last look is less than minGap ago', () => {
    const a = walk(new RateTable(), [[1, 0]], 0);
    const b = walk(a.table, [[1, 100]], 1000);
    const c = walk(b.table, [[1, 150]], 1100);
    expect(c.rates).toEqual([100]);
    const d = walk(c.table, [[1, 300]], 3000);
    expect(d.rates).toEqual([100]);
  });

  it('agrees with a map from id to the last look, in any walk order (property)', () => {
    const walks = fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 2000 }),
        procs: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.nat({ max: 1000 })), {
          selector: ([id]) => id,
          maxLength: 30,
        }),
        sorted: fc.boolean(),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(walks, (plan) => {
        let table = new RateTable();
        const model = new Map<number, { handled: number; at: number; rate: number | null }>();
        let now = 0;
        for (const { gap, procs, sorted } of plan) {
          now += gap;
          const order = sorted ? [...procs].sort((a, b) => a[0] - b[0]) : procs;
          const result = walk(table, order, now);
          const next = new Map<number, { handled: number; at: number; rate: number | null }>();
          order.forEach(([id, handled], i) => {
            const last = model.get(id);
            let entry: { handled: number; at: number; rate: number | null };
            if (last === undefined) entry = { handled, at: now, rate: null };
            else if (now - last.at < 500) entry = last;
            else {
              const rate =
                Math.round((Math.max(0, handled - last.handled) * 10_000) / (now - last.at)) / 10;
              entry = { handled, at: now, rate };
            }
            next.set(id, entry);
            expect(result.rates[i]).toBe(entry.rate);
          });
          table = result.table;
          model.clear();
          for (const [id, entry] of next) model.set(id, entry);
          expect(table.ids).toEqual([...table.ids].sort((a, b) => a - b));
          for (const [id, entry] of model) expect(table.rateOf(id)).toBe(entry.rate);
        }
      }),
    );
  });
});
