/**
 * The article's periodic-work pattern at scale (issue #12, 1b), for the GenServer
 * benchmark: 100k GenServers each re-arming a 1 s `sendAfter` from `handleInfo`, first
 * ticks spread uniformly over the first second, beside a plain-Node baseline of the same
 * shape (a `setTimeout` per actor). Core's benchmark measures the same shapes with
 * handler processes; core cannot import genserver, so the `GenServer` rows live here.
 *
 * Two shapes, as in core's benchmark and `bench:compare`:
 * - bunched: a tick re-arms 1 s from when it ran, so ticks fired in one wake-up re-arm
 *   together and gather into bunches as the seconds pass;
 * - spread: a tick re-arms for its own phase, 1 s after it was due, so the ticks stay
 *   spread evenly, about a hundred every ms: many independent periodic jobs.
 *
 * Each is measured for `timerSeconds` from one period after the last timer was armed
 * (`measureTicks`): CPU % of one core, mean and p99 lateness in ms, heap growth in bytes.
 */
import { Runtime } from '@actorkit/core';
import { GenServer, noreply, ok } from '@actorkit/genserver';
import {
  collect,
  Lateness,
  measureTicks,
  type TickTiming,
  until,
} from '../../core/bench/measure.js';

/** What every ticker of one run shares. */
interface TickerSetup {
  lateness: Lateness;
  tickMs: number;
}

/** The AccountSync pattern, bunched: a GenServer that wakes itself with `sendAfter`. */
class Ticker extends GenServer<number, never, never, 'tick'> {
  static setup: TickerSetup;

  init(index: number) {
    const delay = Math.random() * Ticker.setup.tickMs;
    Ticker.setup.lateness.arm(index, delay);
    this.sendAfter('tick', delay);
    return ok(index);
  }

  override handleInfo(_tick: unknown, index: number) {
    Ticker.setup.lateness.tick(index, Ticker.setup.tickMs);
    this.sendAfter('tick', Ticker.setup.tickMs);
    return noreply(index);
  }
}

/** The spread shape: each tick re-arms for its own phase, a period after it was due. */
class SpreadTicker extends Ticker {
  override handleInfo(_tick: unknown, index: number) {
    this.sendAfter('tick', Ticker.setup.lateness.tickOnPhase(index, Ticker.setup.tickMs));
    return noreply(index);
  }
}

/** `tickers` periodic GenServers: [CPU %, mean ms, p99 ms, heap bytes]. */
export async function periodicGenServers(
  tickers: number,
  spread: boolean,
  timing: TickTiming,
): Promise<number[]> {
  const runtime = new Runtime();
  const lateness = new Lateness(tickers);
  Ticker.setup = { lateness, tickMs: timing.tickMs };
  const module = spread ? SpreadTicker : Ticker;
  const before = collect();
  const starting: Promise<unknown>[] = [];
  for (let i = 0; i < tickers; i++) starting.push(GenServer.start(module, i, { runtime }));
  await Promise.all(starting);
  await until(() => lateness.armed === tickers);
  const result = await measureTicks(lateness, before, timing);
  await runtime.stop();
  return result;
}

/** The baseline: one `setTimeout` per ticker, the same shape. */
export async function periodicTimeouts(
  tickers: number,
  spread: boolean,
  timing: TickTiming,
): Promise<number[]> {
  const lateness = new Lateness(tickers);
  const timers: NodeJS.Timeout[] = [];
  const { tickMs } = timing;
  const tick = (index: number): void => {
    if (spread) {
      timers[index] = setTimeout(tick, lateness.tickOnPhase(index, tickMs), index);
      return;
    }
    lateness.tick(index, tickMs);
    timers[index] = setTimeout(tick, tickMs, index);
  };
  const before = collect();
  for (let i = 0; i < tickers; i++) {
    const delay = Math.random() * tickMs;
    lateness.arm(i, delay);
    timers.push(setTimeout(tick, delay, i));
  }
  const result = await measureTicks(lateness, before, timing);
  for (const timer of timers) clearTimeout(timer);
  return result;
}
