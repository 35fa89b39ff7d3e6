import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from './errors.js';
import { assertOptions } from './internal/options.js';

/**
 * @internal The longest delay a Node timer keeps: 2^31 − 1 ms, about 24.8 days. Node fires a
 * longer one after 1 ms instead (with a `TimeoutOverflowWarning`), so an alarm further
 * out is armed in steps of at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const REAL_CLOCK_KEYS = ['timerSlackMs'];

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
  /**
   * Arms the single alarm at `at` (clock time); replaces any earlier one. A runtime never
   * asks for one more than 2^31 − 1 ms (~24.8 days, the longest a Node timer waits)
   * ahead: it reaches a timer due later in steps.
   */
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
   * The most ms a timer may go off late while the runtime's timers fall due at 2 or more
   * per ms: each may then wait a sixteenth of its delay, up to this, so that one wake-up
   * of the event loop serves several ms of timers instead of one (a wake-up costs as much
   * as dozens of timer deliveries). A 1 s periodic tick may wait all of it, a 20 ms
   * receive timeout at most 1 ms; with fewer timers every alarm is on time. A timer is
   * never early. @default 0
   */
  readonly timerSlackMs?: number;
  /** @internal Called by a runtime that adopts this clock. */
  attach?(isIdle: () => boolean): void;
}

/** Options for {@link RealClock}. */
export interface RealClockOptions {
  /** See `Clock.timerSlackMs`; 0 makes every alarm as prompt as Node allows. @default 8 */
  timerSlackMs?: number;
}

/**
 * The real, monotonic clock (`performance.now()`), with one Node timer for the alarm.
 * Letting go of the alarm (`holdAlarm(false)`) takes effect on the next turn of the event
 * loop, so that a hold taken again meanwhile (the next call of a sequence of
 * `GenServer.call`s) costs nothing: toggling a Node timer's ref is a native call.
 *
 * An alarm more than 2^31 − 1 ms (~24.8 days) ahead, longer than a Node timer waits, is
 * armed in steps: the Node timer goes off after 2^31 − 1 ms and is armed again for what
 * is left, so `onAlarm` is never called early.
 */
export class RealClock implements Clock {
  readonly timerSlackMs: number;
  private handle: NodeJS.Timeout | undefined;
  /** The alarm a step of a far alarm leads to (see the class doc), or null. */
  private farAt = 0;
  private farAlarm: (() => void) | null = null;
  /** Whether the runtime wants the alarm to keep the host process alive. */
  private held = true;
  /** Whether the Node timer is ref'd now (a new one is). */
  private refed = true;
  private releaseQueued = false;

  constructor(options: RealClockOptions = {}) {
    assertOptions(options, 'options', 'new RealClock', REAL_CLOCK_KEYS);
    const slack = options.timerSlackMs ?? 8;
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
    const delay = at - this.now();
    if (delay > MAX_TIMER_MS) {
      this.farAt = at;
      this.farAlarm = onAlarm;
      this.handle = setTimeout(this.step, MAX_TIMER_MS);
    } else {
      this.handle = setTimeout(onAlarm, Math.max(0, delay));
    }
    this.refed = true;
    if (!this.held) this.unref();
  }

  /** A far alarm's Node timer went off: arms the next step, or the alarm itself. */
  private readonly step = (): void => {
    const onAlarm = this.farAlarm;
    if (onAlarm !== null) this.setAlarm(this.farAt, onAlarm);
  };

  holdAlarm(hold: boolean): void {
    this.held = hold;
    if (hold) {
      if (!this.refed) {
        this.handle?.ref();
        this.refed = true;
      }
    } else if (this.refed && !this.releaseQueued) {
      this.releaseQueued = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    this.releaseQueued = false;
    if (!this.held) this.unref();
  };

  private unref(): void {
    this.handle?.unref();
    this.refed = false;
  }

  clearAlarm(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.farAlarm = null;
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

  /** `start` is the time it reads first, in ms: a finite number. @default 0 */
  constructor(start = 0) {
    if (typeof start !== 'number' || !Number.isFinite(start)) {
      throw new InvalidArgumentError('start', 'a finite number of ms', start);
    }
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
