/**
 * @internal Entries by a numeric id (a runtime's live processes, its monitors by ref):
 * an open-addressing hash table (linear probing, deletion by backward shift) in two
 * arrays that are replaced only when the table doubles or halves.
 *
 * Why not a `Map`: a long-lived `Map` whose entries come and go (a process per spawn) is,
 * in V8, the garbage collector's worst case. Once its hash table is in the old
 * generation, the tables it is rehashed into as entries come and go are old too, and a
 * replaced table still points at its entries until the next full collection: every
 * process spawned while the runtime has been up a while survives the young collections
 * and is copied into the old generation. A server that spawned a task per request spent
 * about half its time collecting (400k short tasks beside 1,000 long-lived processes:
 * young collections of 20–40 ms, the old generation growing to 200 MB between full
 * ones). Here a slot that is emptied is cleared at once, so nothing that left is kept.
 */
export class IdTable<T> {
  /** The id in each slot; meaningless where `values` holds undefined. */
  private ids: Float64Array;
  private values: (T | undefined)[];
  private mask: number;
  /** 32 − log2(capacity): `home` takes a hash's top bits. */
  private shift: number;
  private count = 0;

  /**
   * `minCapacity` (a power of two) is the fewest slots it keeps: it never halves below
   * it, so a runtime whose processes come and go by the dozen (a job queue's batches of
   * attempts) does not rehash its table at every batch.
   */
  constructor(private readonly minCapacity = MIN_CAPACITY) {
    this.ids = new Float64Array(minCapacity);
    this.values = new Array(minCapacity).fill(undefined);
    this.mask = minCapacity - 1;
    this.shift = 32 - Math.log2(minCapacity);
  }

  /** How many entries it holds. */
  get size(): number {
    return this.count;
  }

  /** The entry of `id`, or undefined. */
  get(id: number): T | undefined {
    const ids = this.ids;
    const values = this.values;
    const mask = this.mask;
    for (let slot = home(id, this.shift, mask); ; slot = (slot + 1) & mask) {
      const value = values[slot];
      if (value === undefined) return undefined;
      if (ids[slot] === id) return value;
    }
  }

  /** Sets the entry of `id` (not undefined), replacing one it had. */
  set(id: number, value: T): void {
    if ((this.count + 1) * 2 > this.values.length) this.resize(this.values.length * 2);
    const ids = this.ids;
    const values = this.values;
    const mask = this.mask;
    let slot = home(id, this.shift, mask);
    while (values[slot] !== undefined && ids[slot] !== id) slot = (slot + 1) & mask;
    if (values[slot] === undefined) this.count++;
    ids[slot] = id;
    values[slot] = value;
  }

  /** Removes the entry of `id`; false if it had none. */
  delete(id: number): boolean {
    const ids = this.ids;
    const values = this.values;
    const mask = this.mask;
    let slot = home(id, this.shift, mask);
    for (; ; slot = (slot + 1) & mask) {
      if (values[slot] === undefined) return false;
      if (ids[slot] === id) break;
    }
    // Backward shift: each entry after the hole that may sit in it (its home is not
    // between the hole and it) moves into it, so lookups never need tombstones.
    for (let next = (slot + 1) & mask; values[next] !== undefined; next = (next + 1) & mask) {
      const nextHome = home(ids[next]!, this.shift, mask);
      if (((next - nextHome) & mask) >= ((next - slot) & mask)) {
        ids[slot] = ids[next]!;
        values[slot] = values[next];
        slot = next;
      }
    }
    values[slot] = undefined;
    this.count--;
    if (this.values.length > this.minCapacity && this.count * 8 < this.values.length) {
      this.resize(this.values.length / 2);
    }
    return true;
  }

  /** Every entry, by id ascending (for a runtime: oldest first). */
  sorted(): T[] {
    const entries: [number, T][] = [];
    const values = this.values;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot];
      if (value !== undefined) entries.push([this.ids[slot]!, value]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    return entries.map((entry) => entry[1]);
  }

  private resize(capacity: number): void {
    const ids = this.ids;
    const values = this.values;
    this.ids = new Float64Array(capacity);
    this.values = new Array(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot];
      if (value !== undefined) this.set(ids[slot]!, value);
    }
  }
}

const MIN_CAPACITY = 1024;

/**
 * The slot an id's probe starts from. Ids are handed out in sequence (processes, refs):
 * sixteen in a row share a multiplicative (Fibonacci) hash of `id >>> 4`, its top bits,
 * and take neighbouring slots from there, so spawning many fills few cache lines. A
 * plain `id & mask` would be faster still, but long-lived processes with neighbouring
 * ids then fill long runs of slots that each new id wrapping around has to probe past
 * (400k short tasks beside 1,000 long-lived processes: six times slower); here a run is
 * about sixteen slots.
 */
function home(id: number, shift: number, mask: number): number {
  return ((Math.imul(id >>> 4, 0x9e3779b1) >>> shift) + (id & 15)) & mask;
}
