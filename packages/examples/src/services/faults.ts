/**
 * Seeded failure injection for the local services: each request is slow by a drawn
 * latency and may fail with an HTTP 500 or a dropped connection, so supervisors really
 * restart things. Draws depend only on the seed, the request's key and how many times
 * that key was requested before, not on arrival order, so a run with concurrent
 * clients fails the same requests every time.
 */

/** How a service misbehaves. Every field is optional; the defaults make a fast, healthy service. */
export interface FaultOptions {
  /** Share of requests (0..1) answered with HTTP 500. @default 0 */
  errorRate?: number;
  /** Share of requests (0..1) whose connection is dropped without an answer. @default 0 */
  dropRate?: number;
  /** Delay before answering, in ms: a fixed number or a `[min, max]` range. @default 0 */
  latency?: number | readonly [number, number];
  /** Seed for every draw, so failures are reproducible. @default 1 */
  seed?: number;
  /**
   * Decides some requests by hand, before any draw: return an outcome for the
   * `attempt`-th request (0-based) with `key`, or undefined to draw as usual. Tests use
   * it to script "fails twice, then succeeds". @default none
   */
  script?: ((key: string, attempt: number) => FaultOutcome | undefined) | undefined;
}

/** What happens to one request. */
export type FaultOutcome = 'ok' | 'error' | 'drop';

/** One decision: what happens and after how many ms. */
export interface FaultDecision {
  outcome: FaultOutcome;
  delay: number;
}

/** Decides the fate of each request from the options and a per-key attempt count. */
export class FaultInjector {
  private options: Required<Omit<FaultOptions, 'script'>> & Pick<FaultOptions, 'script'>;
  private readonly attempts = new Map<string, number>();

  constructor(options: FaultOptions = {}) {
    this.options = normalize(options);
  }

  /** Replaces the options (e.g. to make a service healthy again); attempt counts are kept. */
  configure(options: FaultOptions): void {
    this.options = normalize({ ...this.options, ...options });
  }

  /** The decision for the next request with `key` (e.g. `'POST /users alice@example.com'`). */
  decide(key: string): FaultDecision {
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const random = mulberry32(hash(`${this.options.seed}|${key}|${attempt}`));
    const { errorRate, dropRate, latency } = this.options;
    const [min, max] = typeof latency === 'number' ? [latency, latency] : latency;
    const delay = Math.round(min + (max - min) * random());
    const draw = random();
    const outcome: FaultOutcome =
      this.options.script?.(key, attempt) ??
      (draw < dropRate ? 'drop' : draw < dropRate + errorRate ? 'error' : 'ok');
    return { outcome, delay };
  }
}

function normalize(options: FaultOptions) {
  const { errorRate = 0, dropRate = 0, latency = 0, seed = 1, script } = options;
  for (const [name, rate] of [
    ['errorRate', errorRate],
    ['dropRate', dropRate],
  ] as const) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new RangeError(`Expected \`${name}\` to be a number in 0..1, got ${rate}.`);
    }
  }
  if (errorRate + dropRate > 1) {
    throw new RangeError(
      `Expected \`errorRate + dropRate\` <= 1, got ${errorRate} + ${dropRate}. Lower one of them.`,
    );
  }
  const [min, max] = typeof latency === 'number' ? [latency, latency] : latency;
  if (!(min >= 0 && max >= min)) {
    throw new RangeError(
      `Expected \`latency\` to be ms >= 0 or [min, max] with 0 <= min <= max, got ${JSON.stringify(latency)}.`,
    );
  }
  return { errorRate, dropRate, latency, seed, script };
}

/** A small, fast, seedable PRNG (Mulberry32): deterministic draws in 0..1. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: a string to a 32-bit seed. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
