import { Runtime } from '@actorkit/core';
import { launchChromium } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoSync, httpBalanceFetcher } from '../src/crypto-sync/app.js';
import { type LivePage, startLivePage } from '../src/crypto-sync/live-page.js';
import { startBalanceService } from '../src/services/balance-service.js';
import type { RunningService } from '../src/services/http-service.js';

// A headless browser beside a loaded machine's other tests: generous timeouts.
describe('live balances page (headless Chromium)', { timeout: 60_000 }, () => {
  let runtime: Runtime;
  let service: RunningService;
  let page: LivePage;

  beforeAll(async () => {
    runtime = new Runtime();
    service = await startBalanceService({ latency: 5, seed: 3 });
    const app = await CryptoSync.start({
      runtime,
      fetchBalance: httpBalanceFetcher(service.url),
      interval: 50,
    });
    await app.startSync('alice');
    await app.startSync('bob');
    page = await startLivePage(runtime);
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    await page?.close();
    await service?.close();
  });

  it('shows balances changing in real time without a reload', async () => {
    const browser = await launchChromium();
    try {
      const tab = browser.page;
      await tab.goto(page.url);
      const usd = tab.locator('#user-alice td:nth-child(4)');
      await usd.waitFor();
      // Expressions as strings: they run in the page, and this package is typed without the DOM.
      const usdText = "document.querySelector('#user-alice td:nth-child(4)').textContent";
      await tab.waitForFunction(`/\\d/.test(${usdText})`);
      const syncsText = "document.querySelector('#user-alice td:nth-child(5)').textContent";
      // Read both cells in one step: an update can land between two separate reads.
      const [first, firstSyncs] = (await tab.evaluate(`[${usdText}, Number(${syncsText})]`)) as [
        string,
        number,
      ];
      await tab.evaluate("window.marker = 'same page'");
      await tab.waitForFunction(
        `${usdText} !== ${JSON.stringify(first)} && Number(${syncsText}) > ${firstSyncs}`,
        undefined,
        { timeout: 5000 },
      );
      const later = Number(await tab.locator('#user-alice td:nth-child(5)').textContent());
      expect(later).toBeGreaterThan(firstSyncs);
      expect(await tab.evaluate('window.marker')).toBe('same page');
      expect(await tab.locator('#user-bob').count()).toBe(1);
      expect(await tab.locator('#status').textContent()).toBe('live');
    } finally {
      await browser.close();
    }
  });
});
