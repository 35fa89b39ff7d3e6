/**
 * @internal The attempts a producer holds (claimed, running or ended and waiting for their
 * outcome to be recorded), without a `Map` or `Set`.
 *
 * Why not a `Map`: a long-lived `Map` or `Set` whose entries come and go (an attempt per job)
 * is, in V8 (Node 20), a garbage collector's worst case. Once the collection's hash table
 * has moved to the old generation, V8 allocates every table it grows or rehashes into there
 * too, and a table it replaced keeps its entries until the next full collection: every
 * attempt that was in a replaced table (and all it references: its job, process and
 * context) survives the young collections and is copied into the old generation. With the
 * producer's `Map` of running attempts, most attempts of a busy queue were promoted; a
 * young collection then took 10–30 ms instead of well under one, and garbage collection
 * took ~15% of a queue's CPU in `bench/throughput.ts` (a 20-line reproduction without
 * actorkit is in `bench/results/2026-12-06-gc-churn.md`).
 *
 * This list is an array that only grows (to the most attempts held at once): an attempt
 * knows its slot, removal moves the last attempt into it and clears the last slot, so no
 * slot keeps an attempt that left, and no backing store is replaced while it churns.
 * `values()` is there for the observer's Jobs view, which reads a producer's state.
 *
 * @example
 * const slots = new AttemptSlots<Running>();
 * slots.add(attempt); // attempt.slot is its index
 * slots.delete(attempt);
 */
export class AttemptSlots<T extends { slot: number }> {
  private readonly items: (T | undefined)[] = [];
  private count = 0;

  /** How many attempts it holds. */
  get size(): number {
    return this.count;
  }

  /** Adds `item`, which must not be held already. */
  add(item: T): void {
    item.slot = this.count;
    this.items[this.count++] = item;
  }

  /** Removes `item`; false if it is not held (its slot is -1 then). */
  delete(item: T): boolean {
    const slot = item.slot;
    if (slot < 0 || this.items[slot] !== item) return false;
    const last = this.items[--this.count]!;
    this.items[slot] = last;
    last.slot = slot;
    this.items[this.count] = undefined;
    item.slot = -1;
    return true;
  }

  /** The attempts held, in no particular order; a copy, so the caller may remove while it goes through them. */
  values(): T[] {
    return this.items.slice(0, this.count) as T[];
  }
}
