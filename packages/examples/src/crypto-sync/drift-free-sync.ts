import type { Name, Pid } from '@actorkit/core';
import {
  type Call,
  type ChildSpec,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
} from '@actorkit/genserver';
import type { Balance } from '../services/balance-service.js';
import {
  type AccountSyncOptions,
  applyOutcome,
  type BalanceFetcher,
  initialState,
  runSync,
  type SyncOutcome,
  type SyncState,
  updateOf,
} from './account-sync.js';
import { type BalanceFeed, publish } from './feed.js';
import { withSlot } from './limiter.js';

/** The state of a drift-free sync: a sync's state plus the schedule it keeps. */
export interface DriftFreeState extends SyncState {
  /** Clock time (runtime clock, ms) of tick 0. */
  startedAt: number;
  /** Ticks fired so far. */
  ticks: number;
  /** Workers still running. */
  running: number;
}

type Tick = { type: 'tick'; n: number };
type Done = { type: 'done'; outcome: SyncOutcome };
type SyncCall = Call<'balance', Balance | undefined>;

/**
 * The drift-free variant the article describes: a scheduler process that only keeps
 * time. Tick `n` is due at `startedAt + n × interval` on the runtime's clock, whatever
 * the work took; each tick starts a worker process that fetches the balance and
 * reports back, so slow work never pushes the schedule. Workers are linked: stopping
 * the scheduler stops them. Slow work can overlap the next tick; the shared limiter
 * still bounds the requests.
 *
 * In Elixir: `Process.send_after(self(), :tick, next_due - now)` and
 * `Task.start(fn -> sync_balance() end)` per tick.
 */
export class DriftFreeSync extends GenServer<DriftFreeState, SyncCall, never, Tick | Done> {
  private fetchBalance!: BalanceFetcher;
  private limiter: Name | undefined;
  private feed: BalanceFeed | undefined;

  init(options: AccountSyncOptions) {
    const base = initialState(options.userId, options.interval ?? 1000);
    this.fetchBalance = options.fetchBalance;
    this.limiter = options.limiter;
    this.feed = options.feed;
    const state = { ...base, startedAt: this.ctx.runtime.clock.now(), ticks: 0, running: 0 };
    this.schedule(state, 1);
    return ok(state);
  }

  override handleCall(_request: SyncCall, _from: From, state: DriftFreeState) {
    return reply(state.balance, state);
  }

  override handleInfo(message: unknown, state: DriftFreeState) {
    const m = message as Tick | Done;
    if (m?.type === 'tick') {
      this.startWorker(state.userId);
      this.schedule(state, m.n + 1);
      return noreply({ ...state, ticks: m.n, running: state.running + 1 });
    }
    if (m?.type === 'done') {
      const next = { ...state, ...applyOutcome(state, m.outcome), running: state.running - 1 };
      if (this.feed !== undefined) publish(this.feed, this.ctx, updateOf(next));
      return noreply(next);
    }
    return noreply(state);
  }

  /** The child spec for one user's drift-free sync; its id is the user id. */
  static override childSpec(options: AccountSyncOptions): ChildSpec {
    return {
      id: `AccountSync:${options.userId}`,
      start: ({ runtime, self }) =>
        GenServer.startLink(DriftFreeSync, options, { runtime, link: self, name: options.name }),
    };
  }

  private schedule(state: DriftFreeState, n: number): void {
    const due = state.startedAt + n * state.interval;
    const delay = Math.max(0, due - this.ctx.runtime.clock.now());
    this.sendAfter({ type: 'tick', n }, delay);
  }

  private startWorker(userId: string): void {
    const scheduler = this.self as Pid<Done>;
    const { fetchBalance, limiter } = this;
    this.ctx.spawnLink(
      async (ctx) => {
        const fetch = () => fetchBalance(userId, ctx.signal);
        const outcome = await runSync(() =>
          limiter === undefined ? fetch() : withSlot(limiter, ctx.self, fetch, ctx.runtime),
        );
        ctx.send(scheduler, { type: 'done', outcome });
      },
      { label: 'DriftFreeSync.worker' },
    );
  }
}
