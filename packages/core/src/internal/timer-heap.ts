/**
 * @internal A binary min-heap kept in an array, of entries ordered by `at`, then `seq`;
 * each entry keeps its position in `index`, so that any entry can be removed at once
 * (the far timers of `TimerService`, and cancelling one).
 */
export interface HeapEntry {
  at: number;
  seq: number;
  /** Its position in the heap; -1 once removed. */
  index: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Adds `entry` to the heap. */
export function pushHeap(heap: HeapEntry[], entry: HeapEntry): void {
  entry.index = heap.length;
  heap.push(entry);
  siftUp(heap, entry.index);
}

/** Removes `entry` from wherever it is in the heap. */
export function removeHeap(heap: HeapEntry[], entry: HeapEntry): void {
  const index = entry.index;
  const last = heap.pop()!;
  entry.index = -1;
  if (last === entry) return;
  heap[index] = last;
  last.index = index;
  siftUp(heap, index);
  siftDown(heap, last.index);
}

function siftUp(heap: HeapEntry[], index: number): void {
  const entry = heap[index]!;
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const above = heap[parent]!;
    if (!before(entry, above)) break;
    heap[i] = above;
    above.index = i;
    i = parent;
  }
  heap[i] = entry;
  entry.index = i;
}

function siftDown(heap: HeapEntry[], index: number): void {
  const entry = heap[index]!;
  let i = index;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
    const below = heap[child]!;
    if (!before(below, entry)) break;
    heap[i] = below;
    below.index = i;
    i = child;
  }
  heap[i] = entry;
  entry.index = i;
}
