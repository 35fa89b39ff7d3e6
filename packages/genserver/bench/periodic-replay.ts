/**
 * CPU per tick of 100k periodic GenServers (the spread shape of `periodic-timers.ts`,
 * issue #12 1b), replayed on a virtual clock: for A/B comparisons of the tick path, where
 * the 10 s real-time rows of `pnpm bench` are too noisy on a shared machine.
 *
 * The clock is a `VirtualClock` with the real clock's timer slack, so alarms come as they
 * do in real time (one every ~9 ms, each firing ~900 timers), back to back. With
 * `PERIODIC_NAP_MS` set, the replay sleeps that long (real time) after each 9 ms of
 * virtual time, as the real process sleeps between alarms: what the process touches is
 * then colder, as in the real rows, and a tick costs about twice as much (cache misses,
 * not instructions, are most of a tick's cost with 100k servers).
 *
 * Prints the CPU time per tick (user + system) of each measured round, in ns.
 *
 * Run after `pnpm --filter @actorkit/genserver build` (it measures dist/, as the bench):
 * `PERIODIC_NAP_MS=8 node --expose-gc --import tsx bench/periodic-replay.ts`.
 * Knobs: `PERIODIC_TICKERS` (100000), `PERIODIC_ROUNDS` (3), `PERIODIC_SECONDS` (virtual
 * seconds per round, 3), `PERIODIC_NAP_MS` (0: no sleep).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, VirtualClock } from '@actorkit/core';
import { GenServer, noreply, ok } from '@actorkit/genserver';

const TICKERS = Number(process.env.PERIODIC_TICKERS ?? 100_000);
const ROUNDS = Number(process.env.PERIODIC_ROUNDS ?? 3);
const SECONDS = Number(process.env.PERIODIC_SECONDS ?? 3);
const NAP_MS = Number(process.env.PERIODIC_NAP_MS ?? 0);
const TICK_MS = 1000;
/** Virtual ms between naps: about one alarm's worth at the real clock's 8 ms slack. */
const STEP_MS = 9;

/** A `VirtualClock` whose timers may go off late as on a `RealClock` (its default slack). */
class SlackClock extends VirtualClock {
  readonly timerSlackMs = 8;
}

const clock = new SlackClock();
/** Each ticker's next due time (a typed array: see `periodic-timers.ts`). */
const dues = new Float64Array(TICKERS);
let ticks = 0;

/** The spread shape: each tick re-arms for its own phase, a period after it was due. */
class Ticker extends GenServer<number, never, never, 'tick'> {
  init(index: number) {
    // Phases spread evenly (deterministically) over the first period.
    const delay = (((index * 7919) % TICKERS) / TICKERS) * TICK_MS;
    dues[index] = clock.now() + delay;
    this.sendAfter('tick', delay);
    return ok(index);
  }

  override handleInfo(_tick: unknown, index: number) {
    const due = dues[index]!;
    ticks++;
    dues[index] = due + TICK_MS;
    this.sendAfter('tick', Math.max(0, due + TICK_MS - clock.now()));
    return noreply(index);
  }
}

async function advance(ms: number): Promise<void> {
  if (NAP_MS <= 0) return clock.advance(ms);
  for (let t = 0; t < ms; t += STEP_MS) {
    await clock.advance(STEP_MS);
    await sleep(NAP_MS);
  }
}

async function main(): Promise<void> {
  const runtime = new Runtime({ clock });
  const starting: Promise<unknown>[] = [];
  for (let i = 0; i < TICKERS; i++) starting.push(GenServer.start(Ticker, i, { runtime }));
  await Promise.all(starting);
  // Two unmeasured periods: the first ticks queue behind the start-up.
  await clock.advance(2 * TICK_MS);
  const perTick: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ticks = 0;
    const before = process.cpuUsage();
    await advance(SECONDS * TICK_MS);
    const cpu = process.cpuUsage(before);
    perTick.push(Math.round(((cpu.user + cpu.system) * 1000) / ticks));
  }
  console.log(`ns per tick: ${perTick.join(', ')} (${ticks} ticks a round)`);
  await runtime.stop();
}

await main();
