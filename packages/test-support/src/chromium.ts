import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the browser tests find Chromium: Debian's package, which `npm run setup:test` installs. */
export const chromiumPath = '/usr/bin/chromium';

// No test tool downloads a browser: playwright-core drives Debian's Chromium. Everything that
// would reach beyond 127.0.0.1 on its own (updates, sync, QUIC probes) is switched off.
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Options for {@link launchChromium}. */
export interface ChromiumOptions {
  /** The page size. @default playwright's 1280 × 720 */
  viewport?: { width: number; height: number };
  /** Lets string expressions run in pages whose CSP forbids eval. @default false */
  bypassCSP?: boolean;
}

/** A running headless Chromium with one open tab. */
export interface ChromiumSession {
  context: BrowserContext;
  /** The first tab. */
  page: Page;
  /** Closes the browser and deletes its profile folder. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile in a temporary folder, for a browser test.
 * Rejects with a message saying how to install it when {@link chromiumPath} is missing,
 * so the test fails instead of skipping. Close the session in `afterAll` (or `finally`).
 *
 * @example
 * const browser = await launchChromium();
 * try {
 *   await browser.page.goto(url);
 * } finally {
 *   await browser.close();
 * }
 */
export async function launchChromium(options: ChromiumOptions = {}): Promise<ChromiumSession> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: run \`npm run setup:test\` first.`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'actorkit-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args,
      ...options,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closing: Promise<void> | undefined;
  return {
    context,
    page,
    close() {
      closing ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true }));
      return closing;
    },
  };
}
