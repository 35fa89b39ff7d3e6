import { type Pid, type Registry, Registry as RegistryClass, type Runtime } from '@actorkit/core';
import {
  type ChildSpec,
  DynamicSupervisor,
  GenServer,
  type ServerRef,
  Supervisor,
} from '@actorkit/genserver';
import type { Balance } from '../services/balance-service.js';
import { requestJson } from '../services/http-client.js';
import { AccountSync, type BalanceFetcher, type SyncState } from './account-sync.js';
import { DriftFreeSync } from './drift-free-sync.js';
import { type BalanceFeed, createFeed } from './feed.js';
import { Limiter, type LimiterStats, limiterStats } from './limiter.js';
import { LiveFeed } from './live-feed.js';

/** Registered names of the crypto-sync application's processes (one application per runtime). */
export const names = {
  application: 'CryptoSync.Application',
  limiter: 'BalanceLimiter',
  syncs: 'AccountSyncSupervisor',
  liveFeed: 'LiveFeed',
} as const;

/** Options for {@link CryptoSync.start}. */
export interface CryptoSyncOptions {
  runtime: Runtime;
  /** How a balance is read: {@link httpBalanceFetcher} for the local service, a stub in tests. */
  fetchBalance: BalanceFetcher;
  /** Ms between syncs of one user. @default 1000 */
  interval?: number;
  /** Most balance requests in flight at once, across all users. @default 10 */
  maxConcurrency?: number;
  /** `'naive'`: `AccountSync`, as in the article; `'drift-free'`: `DriftFreeSync`. @default 'naive' */
  variant?: 'naive' | 'drift-free';
}

/** Reads balances from the local balance service at `baseUrl`. */
export function httpBalanceFetcher(baseUrl: string): BalanceFetcher {
  return (userId, signal) =>
    requestJson<Balance>(`${baseUrl}/balances/${encodeURIComponent(userId)}`, { signal });
}

/**
 * The crypto balance sync, as the article's application: a supervisor (one_for_one)
 * over a shared `Limiter`, a `DynamicSupervisor` of one sync per user (named through a
 * `Registry`: `{ via: registry, key: userId }`), and the `LiveFeed` the live page
 * reads. Syncs start and stop at run time.
 *
 * @example
 * const app = await CryptoSync.start({ runtime, fetchBalance: httpBalanceFetcher(url), interval: 1000 });
 * await app.startSync('alice');
 * (await app.getState('alice')).lastRunAt;
 */
export class CryptoSync {
  private constructor(
    readonly runtime: Runtime,
    readonly supervisor: Pid<any>,
    /** userId → sync process. */
    readonly registry: Registry<string>,
    readonly feed: BalanceFeed,
    private readonly options: CryptoSyncOptions,
  ) {}

  /** Starts the application's supervision tree. */
  static async start(options: CryptoSyncOptions): Promise<CryptoSync> {
    const { runtime } = options;
    const registry = new RegistryClass<string>(runtime, { keys: 'unique' });
    const feed = createFeed(runtime);
    const supervisor = await Supervisor.start(
      [
        named(names.limiter, ({ runtime, self }) =>
          GenServer.startLink(
            Limiter,
            { maxConcurrency: options.maxConcurrency ?? 10 },
            { runtime, link: self, name: names.limiter },
          ),
        ),
        DynamicSupervisor.childSpec({ name: names.syncs, maxRestarts: 10, maxSeconds: 5 }),
        named(names.liveFeed, ({ runtime, self }) =>
          GenServer.startLink(LiveFeed, { feed }, { runtime, link: self, name: names.liveFeed }),
        ),
      ],
      { runtime, name: names.application, strategy: 'one_for_one' },
    );
    return new CryptoSync(runtime, supervisor, registry, feed, options);
  }

  /** Starts the sync of `userId`; resolves with its PID. Rejects if one is already running. */
  async startSync(userId: string): Promise<Pid<any>> {
    const { fetchBalance, interval, variant = 'naive' } = this.options;
    const module = variant === 'drift-free' ? DriftFreeSync : AccountSync;
    const spec = module.childSpec({
      userId,
      fetchBalance,
      interval,
      limiter: names.limiter,
      feed: this.feed,
      name: { via: this.registry, key: userId },
    });
    const pid = await DynamicSupervisor.startChild(names.syncs, spec, { runtime: this.runtime });
    return pid!;
  }

  /** Stops the sync of `userId`; false if none was running. */
  async stopSync(userId: string): Promise<boolean> {
    const pid = this.whereis(userId);
    if (pid === undefined) return false;
    await DynamicSupervisor.terminateChild(names.syncs, pid, { runtime: this.runtime });
    return true;
  }

  /** The sync process of `userId`, if running. */
  whereis(userId: string): Pid<any> | undefined {
    return this.registry.whereisName(userId);
  }

  /** The state of `userId`'s sync: balance, `lastRunAt`, runs and failures. */
  getState(userId: string): Promise<SyncState> {
    return GenServer.getState<AccountSync>(
      { via: this.registry, key: userId },
      { runtime: this.runtime },
    );
  }

  /** How many syncs are running. */
  async count(): Promise<number> {
    const counts = await DynamicSupervisor.countChildren(names.syncs, { runtime: this.runtime });
    return counts.active;
  }

  /** The shared limiter's counters (its `peak` never exceeds `maxConcurrency`). */
  limiterStats(): Promise<LimiterStats> {
    return limiterStats(names.limiter, this.runtime);
  }

  /** The LiveFeed's PID (for the live page). */
  liveFeed(): ServerRef<LiveFeed> {
    return this.runtime.whereis(names.liveFeed)! as ServerRef<LiveFeed>;
  }

  /** Stops every sync, the limiter and the feed, in reverse start order. */
  stop(): Promise<void> {
    return Supervisor.stop(this.supervisor, 'shutdown', { runtime: this.runtime });
  }
}

function named(id: string, start: ChildSpec['start']): ChildSpec {
  return { id, start };
}
