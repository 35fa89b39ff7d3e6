import type { Name, Pid, Via } from '@actorkit/core';
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
import { type BalanceFeed, type BalanceUpdate, publish } from './feed.js';
import { withSlot } from './limiter.js';

/** Reads one user's balance; honours `signal` so a stopped sync's request stops too. */
export type BalanceFetcher = (userId: string, signal: AbortSignal) => Promise<Balance>;

/** What `AccountSync` needs to run. */
export interface AccountSyncOptions {
  userId: string;
  fetchBalance: BalanceFetcher;
  /** Ms between the end of one sync and the start of the next. @default 1000 */
  interval?: number;
  /** The registered name of a `Limiter` every sync shares, so the service sees at most its `maxConcurrency` requests. @default none */
  limiter?: Name;
  /** Where to publish each update (the live page subscribes). @default none */
  feed?: BalanceFeed;
  /** The name to register under, e.g. `{ via: registry, key: userId }`. */
  name?: Name | Via;
}

/** What `GenServer.getState(sync)` shows: the article's "basic monitoring via process inspection". */
export interface SyncState {
  userId: string;
  interval: number;
  balance: Balance | undefined;
  /** When the last sync finished (the article's `last_run_at`). */
  lastRunAt: Date | undefined;
  runs: number;
  failures: number;
  lastError: string | undefined;
}

type SyncCall = Call<'balance', Balance | undefined>;

/**
 * Keeps one user's crypto balance in sync, as the article's `AccountSync`: `init`
 * schedules `work` after `interval`; `handleInfo('work')` fetches the balance, records
 * `lastRunAt`, and schedules the next `work`.
 *
 * ```elixir
 * def init(state), do: (schedule_work(); {:ok, state})
 * def handle_info(:work, state) do
 *   sync_balance()
 *   schedule_work()
 *   {:noreply, %{state | last_run_at: :calendar.local_time()}}
 * end
 * ```
 *
 * Scheduling after the work means each tick starts `interval` ms after the previous
 * one ended: the period drifts by the work time. `DriftFreeSync` fixes that.
 * A failed fetch is counted and retried on the next tick rather than crashing the
 * process: an unreachable exchange is expected, not a bug.
 */
export class AccountSync extends GenServer<SyncState, SyncCall, never, 'work'> {
  // Configuration, fixed for the process's life; the state holds only what changes.
  private fetchBalance!: BalanceFetcher;
  private limiter: Name | undefined;
  private feed: BalanceFeed | undefined;

  init(options: AccountSyncOptions) {
    const state = initialState(options.userId, options.interval ?? 1000);
    this.fetchBalance = options.fetchBalance;
    this.limiter = options.limiter;
    this.feed = options.feed;
    this.sendAfter('work', state.interval);
    return ok(state);
  }

  override handleCall(_request: SyncCall, _from: From, state: SyncState) {
    return reply(state.balance, state);
  }

  override async handleInfo(message: unknown, state: SyncState) {
    if (message !== 'work') return noreply(state);
    const next = applyOutcome(state, await runSync(() => this.fetch(state.userId)));
    this.announce(next);
    this.sendAfter('work', state.interval);
    return noreply(next);
  }

  /** The child spec for one user's sync under a `DynamicSupervisor`; its id is the user id. */
  static override childSpec(options: AccountSyncOptions): ChildSpec {
    return {
      id: `AccountSync:${options.userId}`,
      start: ({ runtime, self }) =>
        GenServer.startLink(AccountSync, options, { runtime, link: self, name: options.name }),
    };
  }

  private fetch(userId: string): Promise<Balance> {
    const run = () => this.fetchBalance(userId, this.ctx.signal);
    if (this.limiter === undefined) return run();
    return withSlot(this.limiter, this.self as Pid<any>, run, this.ctx.runtime);
  }

  private announce(state: SyncState): void {
    if (this.feed !== undefined) publish(this.feed, this.ctx, updateOf(state));
  }
}

/** How one sync ended: a balance, or the error message. */
export type SyncOutcome = { balance: Balance } | { error: string };

/** Runs `fetch` and says how it went; never throws. */
export async function runSync(fetch: () => Promise<Balance>): Promise<SyncOutcome> {
  try {
    return { balance: await fetch() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The state after a sync ended with `outcome`: counters, `lastRunAt`, the error if any. */
export function applyOutcome(state: SyncState, outcome: SyncOutcome): SyncState {
  const lastRunAt = new Date();
  if ('error' in outcome) {
    return { ...state, lastRunAt, failures: state.failures + 1, lastError: outcome.error };
  }
  const { balance } = outcome;
  return { ...state, balance, lastRunAt, runs: state.runs + 1, lastError: undefined };
}

/** The first state of a sync. */
export function initialState(userId: string, interval: number): SyncState {
  if (!(interval > 0)) {
    throw new RangeError(`Expected \`interval\` to be ms > 0, got ${interval}.`);
  }
  return {
    userId,
    interval,
    balance: undefined,
    lastRunAt: undefined,
    runs: 0,
    failures: 0,
    lastError: undefined,
  };
}

/** The feed message for `state`. */
export function updateOf(state: SyncState): BalanceUpdate {
  const { userId, balance, lastError: error, runs, failures } = state;
  return { type: 'balance', userId, balance, error, at: Date.now(), runs, failures };
}
