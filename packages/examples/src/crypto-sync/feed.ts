import { type ProcessContext, Registry, type Runtime } from '@actorkit/core';
import type { Balance } from '../services/balance-service.js';

/** What every sync publishes after each tick. */
export interface BalanceUpdate {
  type: 'balance';
  userId: string;
  /** The latest balance, or undefined if the sync never succeeded yet. */
  balance: Balance | undefined;
  /** The last error, if the last tick failed. */
  error: string | undefined;
  /** Wall-clock ms of the tick. */
  at: number;
  runs: number;
  failures: number;
}

/** The topic every sync publishes on. */
export const BALANCES = 'balances';

/**
 * Pub/sub for balance updates, as Phoenix.PubSub over Elixir's `Registry` with
 * duplicate keys: subscribers register under a topic, publishers dispatch to every
 * process registered there. Subscriptions die with their process.
 */
export type BalanceFeed = Registry<string, undefined>;

/** Creates the feed for `runtime`. */
export function createFeed(runtime: Runtime): BalanceFeed {
  return new Registry<string, undefined>(runtime, { keys: 'duplicate' });
}

/** Sends `update` to every subscriber of {@link BALANCES}. */
export function publish(feed: BalanceFeed, ctx: ProcessContext<any>, update: BalanceUpdate): void {
  feed.dispatch(BALANCES, (entries) => {
    for (const entry of entries) ctx.send(entry.pid, update);
  });
}
