import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopK } from '../src/top-k.js';

describe('TopK', () => {
  it('keeps the k first items as a full sort would (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 })), fc.nat({ max: 20 }), (values, k) => {
        // Ties are broken by position, so the expected order is total.
        const items = values.map((value, i) => ({ value, i }));
        const order = (a: (typeof items)[0], b: (typeof items)[0]) =>
          b.value - a.value || a.i - b.i;
        const top = new TopK(k, order);
        for (const item of items) top.offer(item);
        expect(top.sorted()).toEqual([...items].sort(order).slice(0, k));
        expect(top.size).toBe(Math.min(k, items.length));
      }),
    );
  });

  it('turns away an item that ranks after the bar, once k are kept', () => {
    const top = new TopK<number>(2, (a, b) => b - a);
    expect(top.bar).toBeUndefined();
    top.offer(5);
    top.offer(9);
    expect(top.bar).toBe(5);
    expect(top.offer(5)).toBe(false);
    expect(top.offer(7)).toBe(true);
    expect(top.sorted()).toEqual([9, 7]);
  });
});
