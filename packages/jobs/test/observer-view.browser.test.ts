import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChromiumSession, launchChromium } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobsApp, startJobsApp } from './observer-view-fixture.js';

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

// A headless browser beside a loaded machine's other tests: generous timeouts.
describe('the Jobs view in the dashboard (headless Chromium)', { timeout: 60_000 }, () => {
  let app: JobsApp;
  let browser: ChromiumSession;
  let tab: ChromiumSession['page'];

  beforeAll(async () => {
    app = await startJobsApp();
    browser = await launchChromium({
      viewport: { width: 1440, height: 1000 },
      // The page's CSP forbids eval; the test's string expressions need it.
      bypassCSP: true,
    });
    tab = browser.page;
    await tab.goto(app.observer.dashboardUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const block = (id: string) => tab.locator(`#view-page [data-block="${id}"]`);

  it('opens from its tab and shows the counts by state and queue', async () => {
    await tab.locator('#tabs .tab[data-tab="jobs"]').click();
    await block('totals').waitFor();
    expect(tab.url()).toBe(`${app.observer.url}/#view/jobs`);
    expect(await tab.locator('#node-main').isHidden()).toBe(true);
    const card = (label: string) =>
      block('totals').locator('.card', { has: tab.locator(`.label:text-is("${label}")`) });
    expect(await card('completed').locator('.value').textContent()).toBe('2');
    expect(await card('executing').locator('.value').textContent()).toBe('1');
    expect(await card('discarded').locator('.value').textContent()).toBe('1');
    const row = await block('queues').locator('tbody tr').first().locator('td').allTextContents();
    expect(row.slice(0, 8)).toEqual(['mail', '0', '0', '1', '1', '2', '1', '0']);
    expect(await block('throughput-0').locator('.legend').allTextContents()).toEqual([
      expect.stringMatching(/^completed\/s /),
      expect.stringMatching(/^failed\/s /),
    ]);
  });

  it("lists the discarded job with each attempt's error, as text", async () => {
    const row = block('discarded').locator('tbody tr').first();
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered line breaks are tested.
    const errors = await row.locator('td').nth(5).innerText();
    expect(errors.split('\n')).toEqual([
      '#1 Error: attempt 1: card declined <b>by the bank</b>',
      '#2 Error: attempt 2: card declined <b>by the bank</b>',
    ]);
    expect(await block('discarded').locator('b').count()).toBe(0);
  });

  it('links an executing job to its attempt’s process page', async () => {
    const pid = block('executing').locator('a.open').first();
    const text = await pid.textContent();
    expect(text).toMatch(/^#PID</);
    await pid.click();
    await tab
      .locator('#detail.open #detail-title', { hasText: `Job slow-export ${text}` })
      .waitFor();
    await tab.locator('#detail-close').click();
  });

  it('shows hostile args as text on the job page: nothing of them runs or renders', async () => {
    await tab.goto(`${app.observer.url}/#view/jobs/job/${app.ids.hostile}`);
    await block('args').waitFor();
    const args = await block('args').locator('pre').textContent();
    expect(args).toContain('<img src=x onerror=\\"window.pwned=1\\"><script>');
    expect(args).toContain('"password": "[redacted]"');
    expect(await tab.locator('#view-page img, #view-page script').count()).toBe(0);
    expect(await tab.evaluate('window.pwned')).toBeUndefined();
  });

  it('retries the discarded job from its page and sees its state change', async () => {
    app.heal();
    await tab.goto(`${app.observer.url}/#view/jobs`);
    await block('discarded').locator(`a.vlink:text-is("${app.ids.discarded}")`).click();
    await block('attempts').waitFor();
    expect(await block('attempts').locator('tbody tr').count()).toBe(2);
    const state = block('facts').locator('dd').first();
    expect(await state.textContent()).toBe('discarded');
    mkdirSync(artifacts, { recursive: true });
    await tab.screenshot({ path: join(artifacts, 'jobs-view-job.png'), fullPage: true });
    await block('actions').locator('button.vaction', { hasText: 'retry' }).click();
    await tab
      .locator('#toast', { hasText: `job ${app.ids.discarded}: discarded -> available` })
      .waitFor();
    await block('facts').locator('dd', { hasText: 'completed' }).first().waitFor();
    expect((await app.store.get(app.ids.discarded))?.state).toBe('completed');
    await tab.goto(`${app.observer.url}/#view/jobs`);
    await block('totals').waitFor();
    await tab.screenshot({ path: join(artifacts, 'jobs-view.png'), fullPage: true });
  });
});
