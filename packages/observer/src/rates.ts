import type { ProcessInfo } from '@actorkit/core';

/**
 * Messages handled per process as one complete walk over the processes found them: the
 * PIDs' ids in ascending order, beside what each had handled, when, and its rate then.
 * Plain arrays, looked up by merging (a walk visits PIDs in ascending id order) or by
 * bisection: a million processes cost a few arrays of numbers, no map and no weak
 * references for the garbage collector to trace.
 */
export class RateTable {
  constructor(
    readonly ids: number[] = [],
    readonly handled: number[] = [],
    readonly at: number[] = [],
    /** Messages/s at the walk, NaN before a process's second walk. */
    readonly rates: number[] = [],
    /** When the walk that made it started (a later walk's table replaces it). */
    readonly startedAt = 0,
  ) {}

  /** The rate of the process with `id` at the last walk, or null. */
  rateOf(id: number): number | null {
    const i = this.indexOf(id);
    const rate = i < 0 ? Number.NaN : this.rates[i]!;
    return Number.isNaN(rate) ? null : rate;
  }

  /** The index of `id`, or -1 (bisection). */
  indexOf(id: number): number {
    let low = 0;
    let high = this.ids.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const value = this.ids[mid]!;
      if (value === id) return mid;
      if (value < id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}

/**
 * Builds the next `RateTable` during a walk: `rate(info, now)` gives a process's
 * messages/s since the previous table saw it (null the first time) and records it.
 * A process seen less than `minGap` ms before keeps its previous rate and baseline, so
 * two walks close together do not measure noise.
 */
export class RateRecorder {
  private readonly next: RateTable;
  private cursor = 0;
  private lastId = -1;
  private ascending = true;

  constructor(
    private readonly previous: RateTable,
    private readonly minGap: number,
    startedAt: number,
  ) {
    this.next = new RateTable([], [], [], [], startedAt);
  }

  rate(info: ProcessInfo, now: number): number | null {
    const id = info.pid.id;
    const previous = this.previous;
    let i: number;
    if (id > this.lastId && this.ascending) {
      // Ascending, as walks go: move along the previous table.
      while (this.cursor < previous.ids.length && previous.ids[this.cursor]! < id) this.cursor++;
      i = previous.ids[this.cursor] === id ? this.cursor : -1;
    } else {
      i = previous.indexOf(id);
      this.ascending = false;
    }
    this.lastId = id;
    const next = this.next;
    next.ids.push(id);
    const handled = info.messagesHandled;
    if (i < 0) {
      next.handled.push(handled);
      next.at.push(now);
      next.rates.push(Number.NaN);
      return null;
    }
    const then = previous.at[i]!;
    if (now - then < this.minGap) {
      next.handled.push(previous.handled[i]!);
      next.at.push(then);
      next.rates.push(previous.rates[i]!);
      return Number.isNaN(previous.rates[i]!) ? null : previous.rates[i]!;
    }
    const rate =
      Math.round((Math.max(0, handled - previous.handled[i]!) * 10_000) / (now - then)) / 10;
    next.handled.push(handled);
    next.at.push(now);
    next.rates.push(rate);
    return rate;
  }

  /** The table this walk made, in ascending id order. */
  table(): RateTable {
    const t = this.next;
    if (this.ascending) return t;
    const order = t.ids.map((_, i) => i).sort((a, b) => t.ids[a]! - t.ids[b]!);
    const pick = (xs: number[]) => order.map((i) => xs[i]!);
    return new RateTable(pick(t.ids), pick(t.handled), pick(t.at), pick(t.rates), t.startedAt);
  }
}
