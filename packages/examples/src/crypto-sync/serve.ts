/**
 * `pnpm demo:crypto`: the crypto balance sync with its live page. Starts the local
 * balance service (slow and flaky), the application and a sync for a few users, and
 * serves the page until Ctrl-C. `PORT` picks the page's port (default: any free one).
 */
import { Runtime } from '@actorkit/core';
import { startBalanceService } from '../services/balance-service.js';
import { CryptoSync, httpBalanceFetcher } from './app.js';
import { startLivePage } from './live-page.js';

const users = ['alice', 'bob', 'carol', 'dave', 'erin'];

async function main(): Promise<void> {
  const runtime = new Runtime();
  const balances = await startBalanceService({
    latency: [100, 400],
    errorRate: 0.1,
    dropRate: 0.05,
    seed: 7,
  });
  const app = await CryptoSync.start({
    runtime,
    fetchBalance: httpBalanceFetcher(balances.url),
    interval: 1000,
    maxConcurrency: 3,
  });
  for (const user of users) await app.startSync(user);
  const page = await startLivePage(runtime, Number(process.env.PORT ?? 0));
  console.log(`balance service: ${balances.url}`);
  console.log(`live balances:   ${page.url}   (Ctrl-C to stop)`);
  const shutdown = async () => {
    await app.stop();
    await runtime.stop();
    await page.close();
    await balances.close();
    console.log('stopped.');
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

await main();
