// Entries by numeric id (a runtime's processes, its monitors): an open-addressing hash
// table that keeps no entry that left (see id-table.ts for why not a Map). Checked
// against a Map.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from '../src/id-table.js';

type Op = { kind: 'set' | 'delete' | 'get'; id: number };

/**
 * Ids in any order, most of them colliding: the hash reads an id's low 32 bits, so ids
 * 2^32 apart start their probes at the same slot, and long clusters form.
 */
const id = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 60 }).map((n) => n * 2 ** 32),
  fc.integer({ min: 0, max: 60 }).map((n) => n * 2 ** 32 + 1),
  fc.integer({ min: 2 ** 31, max: 2 ** 31 + 100 }),
  fc.constant(2 ** 53 - 1),
);
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('set', 'set', 'delete', 'delete', 'get'),
  id,
});

describe('IdTable', () => {
  it('answers get, size and sorted as a Map would, through growth, shrinking and deletes (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000, size: 'max' }), (ops) => {
        // Four slots at least, so that growing and halving happen at every size.
        const table = new IdTable<{ id: number; n: number }>(4);
        const model = new Map<number, { id: number; n: number }>();
        ops.forEach(({ kind, id }, n) => {
          if (kind === 'set') {
            const value = { id, n };
            table.set(id, value);
            model.set(id, value);
          } else if (kind === 'delete') {
            expect(table.delete(id)).toBe(model.delete(id));
          } else {
            expect(table.get(id)).toBe(model.get(id));
          }
          expect(table.size).toBe(model.size);
        });
        for (const [key, value] of model) expect(table.get(key)).toBe(value);
        const byId = [...model.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
        expect(table.sorted()).toEqual(byId);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps nothing that left: the slot of every deleted entry is cleared', () => {
    const table = new IdTable<object>();
    const left = { left: true };
    for (let i = 0; i < 1000; i++) table.set(i, i % 7 === 0 ? left : {});
    for (let i = 0; i < 1000; i += 7) table.delete(i);
    const slots = (table as unknown as { values: unknown[] }).values;
    expect(table.size).toBe(1000 - 143);
    expect(slots.includes(left)).toBe(false);
    expect(slots.filter((value) => value !== undefined)).toHaveLength(1000 - 143);
  });

  it('keeps its arrays while entries come and go by the dozen below its minimum capacity', () => {
    const table = new IdTable<object>();
    const slots = () => (table as unknown as { values: unknown[] }).values;
    const first = slots();
    let id = 0;
    for (let batch = 0; batch < 100; batch++) {
      const ids = Array.from({ length: 50 }, () => id++);
      for (const each of ids) table.set(each, {});
      for (const each of ids) table.delete(each);
    }
    expect(table.size).toBe(0);
    expect(slots()).toBe(first);
  });
});
