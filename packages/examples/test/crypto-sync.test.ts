import { Runtime, VirtualClock } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import type { BalanceFetcher } from '../src/crypto-sync/account-sync.js';
import { AccountSync } from '../src/crypto-sync/account-sync.js';
import { CryptoSync, httpBalanceFetcher } from '../src/crypto-sync/app.js';
import { DriftFreeSync } from '../src/crypto-sync/drift-free-sync.js';
import { balanceAt, startBalanceService } from '../src/services/balance-service.js';
import type { RunningService } from '../src/services/http-service.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(options: {
  latency?: number;
  errorRate?: number;
  dropRate?: number;
  interval?: number;
  maxConcurrency?: number;
}): Promise<{ runtime: Runtime; service: RunningService; app: CryptoSync }> {
  const runtime = new Runtime();
  const service = await startBalanceService({
    latency: options.latency ?? 5,
    errorRate: options.errorRate ?? 0,
    dropRate: options.dropRate ?? 0,
    seed: 42,
  });
  const app = await CryptoSync.start({
    runtime,
    fetchBalance: httpBalanceFetcher(service.url),
    interval: options.interval ?? 30,
    maxConcurrency: options.maxConcurrency,
  });
  cleanups.push(async () => {
    await runtime.stop();
    await service.close();
  });
  return { runtime, service, app };
}

describe('AccountSync', () => {
  it('fetches the balance every interval and keeps lastRunAt in its state', async () => {
    const { app } = await setUp({ interval: 30 });
    const before = new Date();
    await app.startSync('alice');
    const state = await waitFor(
      async () => {
        const s = await app.getState('alice');
        return s.runs >= 3 && s;
      },
      { what: 'three syncs' },
    );
    expect(state.userId).toBe('alice');
    expect(state.interval).toBe(30);
    expect(state.lastRunAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(state.balance).toEqual(balanceAt(42, 'alice', state.balance!.version));
    expect(state.failures).toBe(0);
  });

  it('counts a failed fetch and tries again next tick instead of crashing', async () => {
    const { app, service } = await setUp({ interval: 20, errorRate: 0.4, dropRate: 0.2 });
    const pid = await app.startSync('bob');
    const state = await waitFor(
      async () => {
        const s = await app.getState('bob');
        return s.runs >= 3 && s.failures >= 2 && s;
      },
      { what: 'successes and failures' },
    );
    expect(service.stats.errors + service.stats.drops).toBeGreaterThanOrEqual(2);
    expect(state.runs + state.failures).toBeGreaterThanOrEqual(5);
    expect(app.whereis('bob')).toBe(pid);
  });
});

describe('CryptoSync (DynamicSupervisor + Registry)', () => {
  it('starts and stops one sync per user at run time, named { via: registry, key: userId }', async () => {
    const { app, runtime } = await setUp({ interval: 30 });
    const alice = await app.startSync('alice');
    const bob = await app.startSync('bob');
    expect(app.whereis('alice')).toBe(alice);
    expect(await app.count()).toBe(2);
    await expect(app.startSync('alice')).rejects.toThrow(/already|taken/i);
    expect(await app.stopSync('alice')).toBe(true);
    expect(runtime.isAlive(alice)).toBe(false);
    expect(app.whereis('alice')).toBeUndefined();
    expect(await app.stopSync('alice')).toBe(false);
    expect(await app.count()).toBe(1);
    expect(runtime.isAlive(bob)).toBe(true);
  });

  it('restarts a crashed sync under the same name', async () => {
    const { app, runtime } = await setUp({ interval: 30 });
    const first = await app.startSync('carol');
    runtime.exit(first, 'boom');
    const second = await waitFor(() => {
      const pid = app.whereis('carol');
      return pid !== undefined && pid !== first && pid;
    });
    expect(runtime.isAlive(second)).toBe(true);
    expect((await app.getState('carol')).userId).toBe('carol');
  });

  it('keeps the balance service under maxConcurrency with 1,000 users', async () => {
    const { app, service } = await setUp({ latency: 10, interval: 50, maxConcurrency: 10 });
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    for (const user of users) await app.startSync(user);
    const seen = await waitFor(
      async () => {
        const snapshot = await GenServer.call(app.liveFeed(), { type: 'snapshot' });
        return snapshot.length === users.length && snapshot;
      },
      { timeout: 30_000, interval: 50, what: 'a balance for every user' },
    );
    expect(seen.every((u) => u.runs >= 1)).toBe(true);
    expect(service.stats.maxInFlight).toBeLessThanOrEqual(10);
    const stats = await app.limiterStats();
    expect(stats.peak).toBe(10);
    expect(stats.granted).toBeGreaterThanOrEqual(1000);
  });

  it('frees the slot of a sync stopped while it holds or waits for one', async () => {
    const { app, service } = await setUp({ latency: 200, interval: 10, maxConcurrency: 1 });
    await app.startSync('holder');
    await app.startSync('waiter');
    await waitFor(async () => (await app.limiterStats()).waiting === 1, { what: 'a waiter' });
    // Regression (flaky test): the holder could be stopped after taking its slot but
    // before its request reached the service, which then saw none in flight.
    await waitFor(() => service.stats.inFlight === 1, { what: "the holder's request" });
    await app.stopSync('holder');
    await app.stopSync('waiter');
    const stats = await waitFor(async () => {
      const s = await app.limiterStats();
      return s.active === 0 && s.waiting === 0 && s;
    });
    expect(stats.max).toBe(1);
    expect(service.stats.maxInFlight).toBe(1);
  });

  it('frees the slot of a sync that crashes while it holds one, for the sync waiting next', async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    cleanups.push(() => runtime.stop());
    const fetched: string[] = [];
    // The holder's first fetch never ends, whatever its signal says: only the limiter's
    // monitor can give its slot back.
    const fetchBalance: BalanceFetcher = (userId) => {
      fetched.push(userId);
      if (userId === 'holder' && fetched.length === 1) return new Promise(() => {});
      return Promise.resolve(balanceAt(1, userId, fetched.length));
    };
    const app = await CryptoSync.start({ runtime, fetchBalance, interval: 10, maxConcurrency: 1 });
    const holder = await app.startSync('holder');
    await app.startSync('waiter');
    await clock.advance(10);
    expect(fetched).toEqual(['holder']);
    expect(await app.limiterStats()).toMatchObject({ active: 1, waiting: 1 });
    runtime.exit(holder, 'boom');
    await clock.settle();
    expect(fetched).toEqual(['holder', 'waiter']);
    expect((await app.getState('waiter')).runs).toBe(1);
    expect(await app.limiterStats()).toMatchObject({ active: 0, waiting: 0, granted: 2, peak: 1 });
    // The crashed sync was restarted under its name, and syncs again.
    const restarted = app.whereis('holder');
    expect(restarted).not.toBe(holder);
    await clock.advance(10);
    expect((await app.getState('holder')).runs).toBe(1);
  });
});

describe('drift', () => {
  // Virtual time: each fetch takes exactly `work` ms of the runtime's clock.
  async function tickTimes(module: typeof AccountSync | typeof DriftFreeSync) {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const starts: number[] = [];
    const work = 30;
    const fetchBalance: BalanceFetcher = (userId) => {
      starts.push(clock.now());
      return new Promise((resolve) =>
        runtime.callAfter(work, () => resolve(balanceAt(1, userId, starts.length))),
      );
    };
    const pid = await GenServer.start(
      module as typeof AccountSync,
      { userId: 'u', fetchBalance, interval: 100 },
      { runtime },
    );
    await clock.advance(1000);
    const state = await GenServer.getState(pid);
    await runtime.stop();
    return { starts, state };
  }

  it('the naive AccountSync drifts by the work time per tick', async () => {
    const { starts, state } = await tickTimes(AccountSync);
    // Tick k starts at k × interval + (k − 1) × work.
    expect(starts).toEqual([100, 230, 360, 490, 620, 750, 880]);
    expect(state.runs).toBe(7);
  });

  it('DriftFreeSync keeps tick k at k × interval whatever the work takes', async () => {
    const { starts, state } = await tickTimes(DriftFreeSync);
    expect(starts).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(state.runs).toBe(9); // the tenth is still running at t = 1000
  });
});
