import { type ChromiumSession, launchChromium } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObserverView } from '../src/index.js';
import { startApp } from './fixtures.js';

/** Markup that would run or render if the page ever took a value as HTML. */
const EVIL = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>"\'&';

/** A view whose every value is hostile, with one action that records what it was sent. */
function evilView(posted: unknown[]): ObserverView {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  return {
    id: 'evil',
    title: '<b>Evil</b><img src=x onerror="window.pwned=3">',
    routes: [
      {
        method: 'POST',
        path: 'poke/:what',
        handle: (r) => {
          posted.push({ what: r.params.what, body: r.body });
          return { message: EVIL };
        },
      },
    ],
    render: (r) => {
      if (r.path[0] === 'broken') throw new Error(EVIL);
      return {
        title: `${EVIL} at ${r.path.join('|')}`,
        blocks: [
          {
            type: 'cards',
            id: 'cards',
            title: EVIL,
            cards: [{ label: EVIL, value: { text: EVIL, tone: 'evil" onclick="x' as 'ok' } }],
          },
          {
            type: 'table',
            id: 'table',
            columns: [EVIL, { label: EVIL, numeric: true }],
            rows: [
              [
                { text: EVIL, link: [EVIL, '"><script>'] },
                { text: EVIL, pid: `"><img src=x onerror="window.pwned=4">`, title: EVIL },
              ],
              [
                {
                  text: 'poke',
                  actions: [{ label: EVIL, post: ['poke', EVIL], body: { x: EVIL } }],
                },
              ],
            ],
          },
          { type: 'facts', id: 'facts', facts: [[EVIL, EVIL]] },
          {
            type: 'chart',
            id: 'chart',
            series: [{ label: EVIL, values: [1, Number.NaN, 1e308, -5] }],
            unit: EVIL,
          },
          { type: 'code', id: 'code', text: EVIL },
          revoked.proxy as never,
        ],
      };
    },
  };
}

// A headless browser beside a loaded machine's other tests: generous timeouts.
describe('views in the dashboard (headless Chromium)', { timeout: 60_000 }, () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: ChromiumSession;
  let tab: ChromiumSession['page'];
  const posted: unknown[] = [];

  beforeAll(async () => {
    app = await startApp({ views: [evilView(posted)] });
    browser = await launchChromium({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    tab = browser.page;
    await tab.goto(app.observer.dashboardUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const injected = () =>
    tab
      .locator('#tabs img, #view-page img, #view-page script, #view-page b:not(.legend b)')
      .count();

  it('draws a hostile view as text: no markup renders, no script runs', async () => {
    const evilTab = tab.locator('#tabs .tab[data-tab="evil"]');
    expect(await evilTab.textContent()).toBe('<b>Evil</b><img src=x onerror="window.pwned=3">');
    await evilTab.click();
    await tab.locator('#view-page [data-block="code"]').waitFor();
    expect(await tab.locator('#view-page .view-title').textContent()).toBe(`${EVIL} at `);
    expect(await tab.locator('[data-block="cards"] .label').textContent()).toBe(EVIL);
    expect(await tab.locator('[data-block="cards"] .value').textContent()).toBe(EVIL);
    expect(await tab.locator('[data-block="facts"] dd').textContent()).toBe(EVIL);
    expect(await tab.locator('[data-block="code"] pre').textContent()).toBe(EVIL);
    expect(await tab.locator('[data-block="table"] th').allTextContents()).toEqual([EVIL, EVIL]);
    expect(await tab.locator('[data-block="chart"] .legend').textContent()).toContain(EVIL);
    // The unreadable block is drawn as a note; the page goes on.
    await tab.locator('#view-page', { hasText: '[A block that could not be read]' }).waitFor();
    expect(await injected()).toBe(0);
    expect(await tab.evaluate('window.pwned')).toBeUndefined();
  });

  it('follows a link cell to the view’s page at that path, and keeps its segments as text', async () => {
    await tab.locator('[data-block="table"] a.vlink').click();
    await tab.locator('#view-page .view-title', { hasText: `at ${EVIL}|"><script>` }).waitFor();
    expect(await injected()).toBe(0);
    expect(await tab.evaluate('window.pwned')).toBeUndefined();
  });

  it('sends an action’s body to its route and shows the answer as text', async () => {
    await tab.locator('[data-block="table"] button.vaction').click();
    await tab.locator('#toast', { hasText: EVIL }).waitFor();
    expect(posted).toEqual([{ what: EVIL, body: { x: EVIL } }]);
    expect(await tab.locator('#toast img').count()).toBe(0);
  });

  it('shows a view that throws as its message, as text', async () => {
    await tab.goto(`${app.observer.url}/#view/evil/broken`);
    await tab.locator('#view-page .view-error').waitFor();
    expect(await tab.locator('#view-page .view-error').textContent()).toBe(
      `The view "evil" failed to answer: ${EVIL}`,
    );
    expect(await injected()).toBe(0);
    await tab.locator('#tabs .tab[data-tab=""]').click();
    await tab.locator('#node-main').waitFor({ state: 'visible' });
    expect(await tab.evaluate('window.pwned')).toBeUndefined();
  });
});
