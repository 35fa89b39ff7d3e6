import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pid } from '@actorkit/core';
import { type Nodes, startNodes } from '@actorkit/nodes';
import { type ChromiumSession, launchChromium } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observer, startObserver } from '../src/index.js';

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const workerCode = new URL('./node-fixtures.ts', import.meta.url);

describe('the dashboard of a system of nodes (headless Chromium)', () => {
  let nodes: Nodes;
  let observer: Observer;
  let browser: ChromiumSession;
  let tab: ChromiumSession['page'];
  let tally: Pid<any>;
  let local: Pid<any>;

  beforeAll(async () => {
    nodes = await startNodes({ workers: 2 });
    local = nodes.runtime.spawn({ handle() {} }, { name: 'main-only', label: 'MainOnly' });
    const reported = new Promise<{ tally: Pid<any> }>((resolve) => {
      const inbox = nodes.runtime.spawn(async (ctx) => resolve((await ctx.receive()) as never));
      void nodes.spawn(1, workerCode, 'startWorkerApp', [inbox, 3]);
    });
    tally = (await reported).tally;
    observer = await startObserver(nodes.runtime, { nodes, sampleInterval: 200 });
    browser = await launchChromium({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    tab = browser.page;
    await tab.goto(observer.dashboardUrl);
    // Two worker threads and a browser start on a machine that may be busy.
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await observer?.close();
    await nodes?.stop();
  });

  it('lists every node with its totals, and offers them in the node picker', async () => {
    for (const node of [0, 1, 2]) {
      await tab.locator(`#nodes-body tr[data-node="${node}"] td.processes`).waitFor();
    }
    await tab.waitForFunction(
      "document.querySelector('#nodes-body tr[data-node=\"1\"] td.processes').textContent !== '–'",
    );
    const picker = await tab
      .locator('#node-picker option')
      .evaluateAll((els) => els.map((el) => el.textContent));
    expect(picker).toEqual(['node 0 (this one)', 'node 1', 'node 2']);
    await tab.locator(`#procs-body tr[data-pid="${local}"]`).waitFor();
  });

  it("switches to a worker node's process table and tree with the picker", async () => {
    await tab.locator('#node-picker').selectOption('1');
    const row = `#procs-body tr[data-pid="${tally}"]`;
    await tab.locator(row).waitFor();
    expect(await tab.locator('#node').textContent()).toBe('node 1');
    expect(await tab.locator(`${row} td.module`).textContent()).toBe('Tally');
    expect(await tab.locator(`${row} td.name`).textContent()).toBe('tally');
    expect(await tab.locator(`#procs-body tr[data-pid="${local}"]`).count()).toBe(0);
    await tab.locator('#tree li[data-child-id="tally"]').waitFor();
    // A worker's supervisor children get no restart button (it restarts on the main node only).
    expect(await tab.locator('#tree button.restart').count()).toBe(0);
    expect(await tab.locator('#nodes-body tr.selected').getAttribute('data-node')).toBe('1');
  });

  it("opens a worker process's page, its state shown as text", async () => {
    await tab.locator(`#procs-body tr[data-pid="${tally}"]`).click();
    await tab.locator('#detail.open #state').waitFor();
    const state = await tab.locator('#state').textContent();
    expect(state).toContain('"secret": "[hidden]"');
    // Markup in a worker's data is shown, not interpreted.
    expect(state).toContain('<b>not markup</b>');
    expect(await tab.locator('#state b').count()).toBe(0);
    mkdirSync(artifacts, { recursive: true });
    await tab.screenshot({ path: join(artifacts, 'observer-nodes.png'), fullPage: true });
    await tab.locator('#detail-close').click();
  });

  it('goes back to this node, live, by clicking its row', async () => {
    await tab.locator('#nodes-body tr[data-node="0"]').click();
    await tab.locator(`#procs-body tr[data-pid="${local}"]`).waitFor();
    expect(await tab.locator('#node').textContent()).toBe('node 0');
    expect(await tab.locator(`#procs-body tr[data-pid="${tally}"]`).count()).toBe(0);
    expect(await tab.locator('#node-picker').inputValue()).toBe('0');
  });

  it('goes back to this node when the node shown goes down, and says so', async () => {
    await tab.locator('#node-picker').selectOption('2');
    await tab.locator('#procs-count', { hasText: 'on node 2' }).waitFor();
    await nodes.terminate(2);
    await tab.locator('#toast', { hasText: 'Node 2 is down' }).waitFor();
    await tab.locator(`#procs-body tr[data-pid="${local}"]`).waitFor();
    expect(await tab.locator('#node').textContent()).toBe('node 0');
    await tab.waitForFunction('!document.querySelector(\'#nodes-body tr[data-node="2"]\')');
    expect(
      await tab
        .locator('#node-picker option')
        .evaluateAll((els) => els.map((el) => el.textContent)),
    ).toEqual(['node 0 (this one)', 'node 1']);
  });
});
