import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GenServer } from '@actorkit/genserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { startApp, TOKEN } from './fixtures.js';

const bin = fileURLToPath(new URL('../bin/actorkit-observer.js', import.meta.url));
const run = promisify(execFile);

describe('actorkit-observer CLI', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let busy: NodeJS.Timeout;
  beforeAll(async () => {
    app = await startApp();
    // Keep counter the busiest process while the CLI reads.
    busy = setInterval(() => {
      for (let i = 0; i < 200; i++) GenServer.cast('counter', 'inc', { runtime: app.runtime });
    }, 10);
  });
  afterAll(async () => {
    clearInterval(busy);
    await app.close();
  });

  it('--once prints the node totals and the busiest processes first, then exits 0', async () => {
    const { stdout } = await run(
      process.execPath,
      [bin, '--url', app.observer.url, '--token', TOKEN, '--once', '--interval', '500'],
      {
        timeout: 15_000,
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toContain(`actorkit observer  ${app.observer.url}  node ${app.runtime.node}`);
    expect(lines[1]).toMatch(
      /^processes 4 {3}queued \d+ {3}msgs\/s [\d.]+ {3}restarts\/s .* {3}loop lag .* {3}heap [\d.]+ MB$/,
    );
    expect(lines[3]).toMatch(
      /^PID\s+NAME\s+BEHAVIOUR\s+MODULE\s+STATUS\s+MAILBOX\s+MSGS\/S\s+HANDLED$/,
    );
    expect(lines[4]).toMatch(
      /^#PID<0\.2\.0>\s+counter\s+gen_server\s+Counter\s+\w+\s+\d+\s+[1-9][\d.]*\s+\d+$/,
    );
    expect(lines).toHaveLength(8);
  });

  it('exits 2 with the usage line for bad arguments', async () => {
    const out: string[] = [];
    expect(await main([], (t) => out.push(t))).toBe(2);
    expect(out.join('')).toMatch(/--url is required\.\nusage: actorkit-observer --url/);
    expect(await main(['--url', 'nope'], (t) => out.push(t))).toBe(2);
    expect(await main(['--url', app.observer.url, '--interval', '5'], (t) => out.push(t))).toBe(2);
  });

  it('exits 1 with the server message when the observer refuses', async () => {
    const out: string[] = [];
    const code = await main(
      ['--url', app.observer.url.replace('127.0.0.1', 'localhost'), '--once'],
      (t) => out.push(t),
    );
    expect(code).toBe(0);
    const refused = await main(['--url', 'http://127.0.0.1:1', '--once'], (t) => out.push(t));
    expect(refused).toBe(1);
    expect(out.at(-1)).toMatch(/^actorkit-observer: /);
  });
});
