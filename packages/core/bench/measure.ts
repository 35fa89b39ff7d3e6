/**
 * Measuring helpers both benchmarks use (core.bench.ts and packages/bench): heap after
 * a full collection, waiting, rates and latency samples.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** The heap after two full collections, or NaN without `--expose-gc`. */
export function collect(): number {
  const gc = globalThis.gc;
  if (gc === undefined) return Number.NaN;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Resolves once `condition()` holds, checking once per event-loop turn. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn();
}

/** A promise to await and the function that resolves it. */
export function signal(): { done: () => void; finished: Promise<void> } {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { done, finished };
}

/** `count` events since `started` (a `performance.now()`), per second. */
export function perSecond(count: number, started: number): number {
  return count / ((performance.now() - started) / 1000);
}

/** Samples in ms, taken while `recording`. */
export class Samples {
  private values = new Float64Array(1 << 16);
  count = 0;
  recording = true;

  add(ms: number): void {
    if (!this.recording) return;
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.values[i]!;
    return sum / this.count;
  }

  percentile(p: number): number {
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.floor(this.count * p))] ?? Number.NaN;
  }
}
