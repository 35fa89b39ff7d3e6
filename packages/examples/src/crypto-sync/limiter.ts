import { Down, type Name, type Pid, type Ref, type Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  type ServerRef,
} from '@actorkit/genserver';

/** What `Limiter.stats` answers. */
export interface LimiterStats {
  max: number;
  active: number;
  waiting: number;
  /** The most slots ever held at once: never above `max`. */
  peak: number;
  granted: number;
}

type LimiterCall = Call<'acquire', true, { holder: Pid<any> }> | Call<'stats', LimiterStats>;
type LimiterCast = { type: 'release'; holder: Pid<any> };

interface Waiter {
  holder: Pid<any>;
  from: From<true>;
}

interface LimiterState {
  max: number;
  /** Slots held, per holder, with the monitor that frees them if the holder dies. */
  holders: Map<Pid<any>, { slots: number; monitor: Ref }>;
  active: number;
  queue: Waiter[];
  peak: number;
  granted: number;
}

/** Options for starting a {@link Limiter}. */
export interface LimiterOptions {
  /** Most slots held at once. @default 10 */
  maxConcurrency?: number;
}

/**
 * A counting semaphore as a process: the protection the article asks for when a
 * thousand syncs share one external service. A caller `acquire`s a slot (the call is
 * answered only when one is free, in FIFO order) and `release`s it when done. The
 * limiter monitors each holder, so a sync that crashes or is stopped while holding or
 * waiting for a slot frees it: the Erlang way to never leak a lock.
 *
 * @example
 * const limiter = await GenServer.start(Limiter, { maxConcurrency: 10 }, { runtime });
 * const balance = await withSlot(limiter, self, () => fetchBalance(userId));
 */
export class Limiter extends GenServer<LimiterState, LimiterCall, LimiterCast> {
  init(options: LimiterOptions = {}) {
    const max = options.maxConcurrency ?? 10;
    if (!(Number.isInteger(max) && max >= 1)) {
      throw new RangeError(`Expected \`maxConcurrency\` to be an integer >= 1, got ${max}.`);
    }
    return ok<LimiterState>({ max, holders: new Map(), active: 0, queue: [], peak: 0, granted: 0 });
  }

  override handleCall(request: LimiterCall, from: From<any>, state: LimiterState) {
    if (request.type === 'stats') return reply(statsOf(state), state);
    state.queue.push({ holder: request.holder, from });
    this.watch(request.holder, state);
    this.grant(state);
    return noreply(state);
  }

  override handleCast(request: LimiterCast, state: LimiterState) {
    const held = state.holders.get(request.holder);
    if (held !== undefined && held.slots > 0) {
      held.slots--;
      state.active--;
      this.forgetIfIdle(request.holder, state);
    }
    this.grant(state);
    return noreply(state);
  }

  override handleInfo(message: unknown, state: LimiterState) {
    if (message instanceof Down) {
      const held = state.holders.get(message.pid);
      if (held !== undefined) {
        state.active -= held.slots;
        state.holders.delete(message.pid);
      }
      state.queue = state.queue.filter((w) => w.holder !== message.pid);
      this.grant(state);
    }
    return noreply(state);
  }

  private grant(state: LimiterState): void {
    while (state.active < state.max && state.queue.length > 0) {
      const waiter = state.queue.shift()!;
      // A caller that timed out no longer waits: its slot goes to the next one.
      if (!GenServer.reply(waiter.from, true)) {
        this.forgetIfIdle(waiter.holder, state);
        continue;
      }
      state.holders.get(waiter.holder)!.slots++;
      state.active++;
      state.granted++;
      state.peak = Math.max(state.peak, state.active);
    }
  }

  private watch(holder: Pid<any>, state: LimiterState): void {
    if (!state.holders.has(holder)) {
      state.holders.set(holder, { slots: 0, monitor: this.ctx.monitor(holder) });
    }
  }

  private forgetIfIdle(holder: Pid<any>, state: LimiterState): void {
    const held = state.holders.get(holder);
    if (held === undefined || held.slots > 0 || state.queue.some((w) => w.holder === holder))
      return;
    this.ctx.demonitor(held.monitor, { flush: true });
    state.holders.delete(holder);
  }
}

function statsOf(state: LimiterState): LimiterStats {
  const { max, active, peak, granted } = state;
  return { max, active, waiting: state.queue.length, peak, granted };
}

/** A limiter: its PID, or the name it is registered under in `runtime`. */
export type LimiterRef = ServerRef<Limiter> | Name;

/**
 * Runs `work` while holding one of `limiter`'s slots on behalf of the process
 * `holder`, and releases the slot however `work` ends. Waits as long as it takes to
 * get a slot. Rejects with `NoProcError` if the limiter is not running.
 */
export async function withSlot<T>(
  limiter: LimiterRef,
  holder: Pid<any>,
  work: () => Promise<T>,
  runtime?: Runtime,
): Promise<T> {
  const timeout = Number.POSITIVE_INFINITY;
  await GenServer.call(limiter, { type: 'acquire', holder }, { timeout, runtime });
  try {
    return await work();
  } finally {
    GenServer.cast(limiter, { type: 'release', holder }, { runtime });
  }
}

/** The limiter's counters. */
export function limiterStats(limiter: LimiterRef, runtime?: Runtime): Promise<LimiterStats> {
  return GenServer.call(limiter, { type: 'stats' }, { runtime });
}
