import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenServer } from '@actorkit/genserver';
import { type ChromiumSession, launchChromium } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObserver } from '../src/index.js';
import { Counter, Gate, startApp } from './fixtures.js';

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

// A headless browser beside a loaded machine's other tests: generous timeouts.
describe('the dashboard (headless Chromium)', { timeout: 60_000 }, () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: ChromiumSession;
  let tab: ChromiumSession['page'];

  beforeAll(async () => {
    app = await startApp({ sampleInterval: 200 });
    browser = await launchChromium({
      viewport: { width: 1440, height: 900 },
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

  const gateRow = () => `#procs-body tr[data-pid="${app.runtime.whereis('gate')}"]`;

  it('shows the supervision tree and the process table', async () => {
    await tab.locator('#tree li[data-child-id="gate"]').waitFor();
    const children = await tab
      .locator('#tree li[data-pid] li[data-child-id]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-child-id')));
    expect(children).toEqual(['counter', 'gate', 'jobs']);
    await tab.locator(gateRow()).waitFor();
    expect(await tab.locator(`${gateRow()} td.name`).textContent()).toBe('gate');
    expect(await tab.locator(`${gateRow()} td.module`).textContent()).toBe('Gate');
    await tab.waitForFunction("document.getElementById('conn').textContent === 'live'");
    // The token left the address bar once read: the session cookie carries it.
    expect(tab.url()).toBe(`${app.observer.url}/`);
    expect(await tab.locator('#node').textContent()).toBe(`node ${app.runtime.node}`);
    // Every supervisor's strategy, static ones included (getFlags).
    const root = `#tree li[data-pid="${app.supervisor}"]`;
    expect(await tab.locator(`${root} > .row .strategy`).textContent()).toBe('one_for_one');
    expect(await tab.locator(`${root} > .row .strategy`).getAttribute('title')).toBe(
      'at most 10 restarts in 5 s',
    );
  });

  it('shows a mailbox length change live, without a reload', async () => {
    await tab.evaluate("window.marker = 'same page'");
    const open = Gate.hold();
    for (let i = 0; i < 5; i++) GenServer.cast('gate', 'work', { runtime: app.runtime });
    const cell = `document.querySelector('${gateRow()} td.mailbox')`;
    await tab.waitForFunction(`${cell} && ${cell}.textContent === '4'`, undefined, {
      timeout: 5000,
    });
    await tab.locator('#card-queued .value').filter({ hasText: '4' }).waitFor();
    mkdirSync(artifacts, { recursive: true });
    await tab.screenshot({ path: join(artifacts, 'observer-dashboard.png'), fullPage: true });
    open();
    await tab.waitForFunction(`${cell} && ${cell}.textContent === '0'`, undefined, {
      timeout: 5000,
    });
    expect(await tab.evaluate('window.marker')).toBe('same page');
  });

  it('opens a process page with its state, links graph and a message trace', async () => {
    await tab.locator(gateRow()).click();
    await tab.locator('#detail.open #state').waitFor();
    expect(await tab.locator('#state').textContent()).toContain('"secret": "[hidden]"');
    expect(await tab.locator('#graph svg text').allTextContents()).toContain(
      String(app.supervisor),
    );
    await tab.locator('#trace-toggle').click();
    await tab.locator('#trace-toggle', { hasText: 'stop tracing' }).waitFor();
    GenServer.cast('gate', 'work', { runtime: app.runtime });
    await tab.locator('#messages', { hasText: 'work' }).waitFor({ timeout: 5000 });
    await tab.screenshot({ path: join(artifacts, 'observer-process.png'), fullPage: false });
    await tab.locator('#detail-close').click();
  });

  it('kills a child from the page and sees the supervisor restart it', async () => {
    const before = String(app.runtime.whereis('counter'));
    const node = tab.locator('#tree li[data-child-id="counter"]');
    await node.locator(':scope > .row button.kill').click();
    await tab.locator('#toast', { hasText: `Sent kill to ${before}` }).waitFor();
    await tab.waitForFunction(
      `(() => { const li = document.querySelector('#tree li[data-child-id="counter"]');
        return li && li.dataset.pid && li.dataset.pid !== ${JSON.stringify(before)} && li.textContent.includes('↻ 1'); })()`,
      undefined,
      { timeout: 5000 },
    );
    const after = await node.getAttribute('data-pid');
    expect(after).toBe(String(app.runtime.whereis('counter')));
    await tab.locator('#events', { hasText: 'child_restarted counter' }).waitFor();
    await tab.locator(`#procs-body tr[data-pid="${after}"]`).waitFor();
    expect(await tab.locator(`#procs-body tr[data-pid="${before}"]`).count()).toBe(0);
  });

  it('searches every process by name when a sample carries only the busiest', async () => {
    for (let i = 0; i < 1000; i++) app.runtime.spawn({ handle() {} });
    // Idle and spawned last: it is not among the 500 busiest a sample carries.
    const needle = await GenServer.start(Counter, 0, { runtime: app.runtime, name: 'needle' });
    const total = app.runtime.processCount;
    await tab.locator('#procs-count', { hasText: `500 busiest of ${total}` }).waitFor();
    expect(await tab.locator(`#procs-body tr[data-pid="${needle}"]`).count()).toBe(0);
    await tab.locator('#filter').fill('needl');
    await tab
      .locator(`#procs-body tr[data-pid="${needle}"] td.name`, { hasText: 'needle' })
      .waitFor();
    expect(await tab.locator('#procs-body tr').count()).toBe(1);
    await tab.locator('#filter').fill('');
    await tab.locator('#procs-count', { hasText: `500 busiest of ${total}` }).waitFor();
    await GenServer.stop(needle, 'normal', { runtime: app.runtime });
  });

  it('opened without the token, says how to get in and shows nothing of the node', async () => {
    // Another observer: this browser holds no cookie for its port.
    const other = await startObserver(app.runtime, { token: 'another-token-1' });
    const page = await browser.context.newPage();
    try {
      await page.goto(`${other.url}/`);
      await page.locator('#denied', { hasText: 'needs this observer’s token' }).waitFor();
      expect(await page.locator('#procs-body tr[data-pid]').count()).toBe(0);
      expect(await page.locator('#tree li[data-pid]').count()).toBe(0);
      await page.goto(other.dashboardUrl);
      await page.locator(`#procs-body tr[data-pid="${app.runtime.whereis('gate')}"]`).waitFor();
    } finally {
      await page.close();
      await other.close();
    }
  });
});
