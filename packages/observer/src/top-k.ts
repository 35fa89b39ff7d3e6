/**
 * The `k` first items by `compare` among those offered, without sorting them all: a
 * binary heap whose root is the last one kept, so an item that ranks after it is
 * turned away in one comparison. `compare(a, b) < 0` means `a` ranks before `b`.
 *
 * @example
 * const busiest = new TopK<Row>(3, (a, b) => b.mailbox - a.mailbox);
 * for (const row of rows) busiest.offer(row);
 * busiest.sorted(); // the 3 rows with the longest mailboxes, longest first
 */
export class TopK<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly k: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  /** How many items are kept. */
  get size(): number {
    return this.heap.length;
  }

  /** The last item kept, once `k` are kept (an item must rank before it to get in). */
  get bar(): T | undefined {
    return this.heap.length < this.k ? undefined : this.heap[0];
  }

  /** Keeps `item` if it is among the first `k` so far; returns whether it was kept. */
  offer(item: T): boolean {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(item);
      this.up(heap.length - 1);
      return true;
    }
    if (this.k === 0 || this.compare(item, heap[0]!) >= 0) return false;
    heap[0] = item;
    this.down(0);
    return true;
  }

  /** The items kept, first first. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  // The heap keeps the item that ranks last at the root: a max-heap by `compare`.
  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(heap[i]!, heap[parent]!) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let last = i;
      if (left < heap.length && this.compare(heap[left]!, heap[last]!) > 0) last = left;
      if (right < heap.length && this.compare(heap[right]!, heap[last]!) > 0) last = right;
      if (last === i) return;
      [heap[i], heap[last]] = [heap[last]!, heap[i]!];
      i = last;
    }
  }
}
