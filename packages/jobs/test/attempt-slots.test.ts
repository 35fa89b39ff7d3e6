import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttemptSlots } from '../src/attempt-slots.js';

class Item {
  slot = -1;
  constructor(readonly id: number) {}
}

describe('AttemptSlots', () => {
  it('holds exactly what was added and not deleted, each item knowing its slot, for any order of adds and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(15)), { maxLength: 200 }),
        (operations) => {
          const items = Array.from({ length: 16 }, (_, id) => new Item(id));
          const slots = new AttemptSlots<Item>();
          const model = new Set<Item>();
          for (const [adding, n] of operations) {
            const item = items[n]!;
            if (adding && !model.has(item)) {
              slots.add(item);
              model.add(item);
            } else if (!adding) {
              expect(slots.delete(item)).toBe(model.delete(item));
            }
            expect(slots.size).toBe(model.size);
          }
          const held = slots.values();
          expect(new Set(held)).toEqual(model);
          for (const [index, item] of held.entries()) expect(item.slot).toBe(index);
          for (const item of items) if (!model.has(item)) expect(item.slot).toBe(-1);
        },
      ),
    );
  });

  it('lets the caller delete every item while it goes through values()', () => {
    const slots = new AttemptSlots<Item>();
    const items = [new Item(1), new Item(2), new Item(3)];
    for (const item of items) slots.add(item);
    const seen: number[] = [];
    for (const item of slots.values()) {
      seen.push(item.id);
      slots.delete(item);
    }
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(slots.size).toBe(0);
    expect(slots.values()).toEqual([]);
  });

  it('refuses to delete an item a second time', () => {
    const slots = new AttemptSlots<Item>();
    const a = new Item(1);
    const b = new Item(2);
    slots.add(a);
    slots.add(b);
    expect(slots.delete(a)).toBe(true);
    expect(slots.delete(a)).toBe(false);
    expect(slots.values()).toEqual([b]);
    expect(b.slot).toBe(0);
  });
});
