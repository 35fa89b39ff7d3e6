/**
 * Measuring helpers both benchmarks use (core.bench.ts and packages/bench): heap after
 * a full collection, waiting, rates, latency samples and the periodic-timer measurement.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

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

/**
 * The middle value, or the mean of the two middle ones for an even count (rounds make
 * even counts common: 2 rounds of 3 runs), so neither neighbour is favoured; NaN for none.
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle]!;
  return sorted.length === 0 ? Number.NaN : (sorted[middle - 1]! + sorted[middle]!) / 2;
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

/** A periodic-timer workload's period and how long it is measured. */
export interface TickTiming {
  /** The timers' period in ms. */
  tickMs: number;
  /** Seconds measured, after the first period. */
  timerSeconds: number;
}

/**
 * Lets periodic timers tick for one period (`tickMs`), unmeasured, then for
 * `timerSeconds`, measured; returns CPU % of one core, mean and p99 lateness (ms) and the
 * heap growth since `heapBefore` (bytes). Call it once every timer is armed. The first
 * period is left out because arming a hundred thousand timers is a burst of work of its
 * own: the first ticks queue behind it, and that start-up lateness, not the steady state,
 * would set p99.
 */
export async function measureTicks(
  lateness: Samples,
  heapBefore: number,
  timing: TickTiming,
): Promise<number[]> {
  lateness.recording = false;
  await sleep(timing.tickMs);
  lateness.recording = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(timing.timerSeconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  lateness.recording = false;
  const cpuShare = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  return [cpuShare, lateness.mean(), lateness.percentile(0.99), collect() - heapBefore];
}

/**
 * Lateness samples in ms (recorded once the timers run) and timers armed so far. Due
 * times live in one typed array, not in each ticker's state: a double field is a heap
 * object of its own in V8, and reading it would add a cache miss per tick to what is
 * measured, on both sides alike.
 */
export class Lateness extends Samples {
  override recording = false;
  /** Timers armed for the first time. */
  armed = 0;
  private readonly dues: Float64Array;

  constructor(tickers: number) {
    super();
    this.dues = new Float64Array(tickers);
  }

  /** Ticker `index` armed its first timer, due in `delay` ms. */
  arm(index: number, delay: number): void {
    this.dues[index] = performance.now() + delay;
    this.armed++;
  }

  /** Ticker `index` ticked and re-arms for `interval` ms from now (bunched). */
  tick(index: number, interval: number): void {
    const now = performance.now();
    this.add(now - this.dues[index]!);
    this.dues[index] = now + interval;
  }

  /** Ticker `index` ticked; returns the delay to its own next phase (spread). */
  tickOnPhase(index: number, interval: number): number {
    const now = performance.now();
    const due = this.dues[index]!;
    this.add(now - due);
    this.dues[index] = due + interval;
    return Math.max(0, due + interval - now);
  }
}
