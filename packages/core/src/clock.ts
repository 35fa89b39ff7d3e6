import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from './errors.js';

/**
 * Where a runtime gets its time. Timers (`sendAfter`, receive timeouts) and every
 * later layer (call timeouts, restart intensity, backoff) read it, so swapping in a
 * {@link VirtualClock} makes time-based code testable without sleeping.
 *
 * A runtime keeps its own timer queue and asks the clock for one alarm at a time.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  /** Arms the single alarm at `at` (clock time); replaces any earlier one. */
  setAlarm(at: number, onAlarm: () => void): void;
  /** Disarms the alarm, if any. */
  clearAlarm(): void;
  /**
   * Whether the armed alarm keeps the host process alive. The runtime lets go of it
   * when no timer (and no call waiting for its reply) is pending, rather than
   * disarming, so setting and cancelling timers at a high rate does not churn Node timers.
   */
  holdAlarm?(hold: boolean): void;
  /**
   * How many ms late the runtime may let its alarm go off after one that fired many
   * timers at once (64 or more), so that a busy timer queue wakes the event loop once
   * every few ms instead of every ms, each wake-up serving more timers. A timer is never
   * early. @default 0
   */
  readonly timerSlackMs?: number;
  /** @internal Called by a runtime that adopts this clock. */
  attach?(isIdle: () => boolean): void;
}

/** Options for {@link RealClock}. */
export interface RealClockOptions {
  /** See `Clock.timerSlackMs`; 0 makes every alarm as prompt as Node allows. @default 3 */
  timerSlackMs?: number;
}

/** The real, monotonic clock (`performance.now()`), with one Node timer for the alarm. */
export class RealClock implements Clock {
  readonly timerSlackMs: number;
  private handle: NodeJS.Timeout | undefined;
  private held = true;

  constructor(options: RealClockOptions = {}) {
    const slack = options.timerSlackMs ?? 3;
    if (!Number.isFinite(slack) || slack < 0) {
      throw new InvalidArgumentError('timerSlackMs', 'a finite number >= 0', slack);
    }
    this.timerSlackMs = slack;
  }

  now(): number {
    return performance.now();
  }

  setAlarm(at: number, onAlarm: () => void): void {
    this.clearAlarm();
    this.handle = setTimeout(onAlarm, Math.max(0, at - performance.now()));
    if (!this.held) this.handle.unref();
  }

  holdAlarm(hold: boolean): void {
    if (hold === this.held) return;
    this.held = hold;
    if (hold) this.handle?.ref();
    else this.handle?.unref();
  }

  clearAlarm(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

/**
 * A clock that only moves when told to. `await clock.advance(ms)` fires due timers in
 * order (earliest first, ties in the order they were set) and lets processes react to
 * each before the next fires, so periodic `sendAfter` loops run deterministically.
 *
 * @example
 * const clock = new VirtualClock();
 * const runtime = new Runtime({ clock });
 * runtime.sendAfter(pid, 'tick', 1000);
 * await clock.advance(1000); // 'tick' delivered and handled
 */
export class VirtualClock implements Clock {
  private time: number;
  private alarmAt = Number.POSITIVE_INFINITY;
  private onAlarm: (() => void) | undefined;
  private isIdle: () => boolean = () => true;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setAlarm(at: number, onAlarm: () => void): void {
    this.alarmAt = at;
    this.onAlarm = onAlarm;
  }

  clearAlarm(): void {
    this.alarmAt = Number.POSITIVE_INFINITY;
    this.onAlarm = undefined;
  }

  /** @internal */
  attach(isIdle: () => boolean): void {
    this.isIdle = isIdle;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError('ms', 'a finite number >= 0', ms);
    }
    const target = this.time + ms;
    await this.settle();
    while (this.alarmAt <= target && this.onAlarm !== undefined) {
      const fire = this.onAlarm;
      this.time = Math.max(this.time, this.alarmAt);
      this.clearAlarm();
      fire();
      await this.settle();
    }
    this.time = target;
    await this.settle();
  }

  /** Lets scheduled processes run until the runtime has nothing left to do. */
  async settle(): Promise<void> {
    do {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (!this.isIdle());
  }
}
