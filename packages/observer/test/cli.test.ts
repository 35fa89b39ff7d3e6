import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { type Observer, startObserver } from '../src/index.js';
import { startApp, TOKEN } from './fixtures.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** A CLI process started from this package's source (never a `dist/` left by some build). */
interface CliRun {
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

const runs: CliRun[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.kill();
});

/**
 * Runs `src/cli.ts` with `args` in a child process, with `token` (if any) as
 * ACTORKIT_OBSERVER_TOKEN; killed after 15 s if still running.
 */
function runCli(args: string[], token?: string): CliRun {
  const env = { ...process.env };
  delete env.ACTORKIT_OBSERVER_TOKEN;
  if (token !== undefined) env.ACTORKIT_OBSERVER_TOKEN = token;
  const child = spawn(
    process.execPath,
    ['--conditions=actorkit-source', '--import', 'tsx', 'src/cli.ts', ...args],
    { cwd: packageDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal });
    }),
  );
  const run: CliRun = {
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  runs.push(run);
  return run;
}

/** Runs the CLI's `main` in this process; resolves with its exit code and output. */
async function runMain(args: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await main(args, (text) => (output += text));
  return { code, output };
}

const COUNTER_ROW =
  /^#PID<0\.2\.0>\s+counter\s+gen_server\s+Counter\s+\w+\s+\d+\s+([\d.]+)\s+(\d+)$/m;

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
    const run = runCli([
      '--url',
      app.observer.url,
      '--token',
      TOKEN,
      '--once',
      '--interval',
      '500',
    ]);
    expect(await run.exited, run.output()).toEqual({ code: 0, signal: null });
    const lines = run.output().trim().split('\n');
    expect(lines[0]).toContain(`actorkit observer  ${app.observer.url}  node ${app.runtime.node}`);
    expect(lines[1]).toMatch(
      /^processes 4 {3}queued \d+ {3}msgs\/s [\d.]+ {3}restarts\/s .* {3}loop lag .* {3}heap [\d.]+ MB$/,
    );
    expect(lines[3]).toMatch(
      /^PID\s+NAME\s+BEHAVIOUR\s+MODULE\s+STATUS\s+MAILBOX\s+MSGS\/S\s+HANDLED$/,
    );
    expect(lines[4]).toMatch(COUNTER_ROW);
    expect(Number(COUNTER_ROW.exec(lines[4]!)![1])).toBeGreaterThan(0);
    expect(lines).toHaveLength(8);
  });

  it('--limit n prints the n busiest processes and how many more there are', async () => {
    const { code, output } = await runMain([
      '--url',
      app.observer.url,
      '--token',
      TOKEN,
      '--once',
      '--interval',
      '100',
      '--limit',
      '2',
    ]);
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines[4]).toMatch(COUNTER_ROW);
    expect(lines[5]).toMatch(/^#PID<0\.\d+\.0>\s/);
    expect(lines.slice(6)).toEqual(['… 2 more']);
  });

  it('without --once prints a screen every --interval ms until a reading fails, then exits 1', async () => {
    // Its own observer, sampling as often as the CLI reads, closed to end the run.
    const observer = await startObserver(app.runtime, { token: TOKEN, sampleInterval: 50 });
    let closed = false;
    try {
      const run = runCli(['--url', observer.url, '--interval', '100'], TOKEN);
      const screens = () => run.output().match(/^actorkit observer {2}/gm)?.length ?? 0;
      // What counter has handled, screen by screen: each screen is a new reading.
      const handled = () =>
        [...run.output().matchAll(new RegExp(COUNTER_ROW, 'gm'))].map((m) => Number(m[2]));
      await waitFor(() => screens() >= 3 && new Set(handled()).size >= 2, {
        what: 'three screens, with counter busier in a later one',
      }).catch((error: Error) => {
        throw new Error(`${error.message}\nThe output so far:\n${run.output()}`);
      });
      await observer.close();
      closed = true;
      const { code } = await run.exited;
      const output = run.output();
      expect(code, output).toBe(1);
      expect(handled()).toEqual([...handled()].sort((a, b) => a - b));
      expect(output.trimEnd().split('\n').at(-1)).toBe('actorkit-observer: fetch failed');
    } finally {
      if (!closed) await observer.close();
    }
  });

  it('reads only the busiest processes of a big node, and says how many more there are', async () => {
    const runtime = new Runtime();
    for (let i = 0; i < 3000; i++) runtime.spawn({ handle() {} });
    const observer = await startObserver(runtime, { token: TOKEN });
    try {
      const { code, output } = await runMain([
        '--url',
        observer.url,
        '--token',
        TOKEN,
        '--once',
        '--interval',
        '100',
        '--limit',
        '5',
      ]);
      expect(code, output).toBe(0);
      const lines = output.trim().split('\n');
      expect(lines.slice(4, -1)).toHaveLength(5);
      expect(lines.at(-1)).toBe('… 2995 more');
    } finally {
      await observer.close();
      await runtime.stop();
    }
  });

  it('exits 2 with the usage line for bad arguments', async () => {
    const out: string[] = [];
    expect(await main([], (t) => out.push(t))).toBe(2);
    expect(out.join('')).toMatch(/--url is required\.\nusage: actorkit-observer --url/);
    expect(await main(['--url', 'nope'], (t) => out.push(t))).toBe(2);
    expect(await main(['--url', app.observer.url, '--interval', '5'], (t) => out.push(t))).toBe(2);
    expect(await main(['--url', app.observer.url, '--limit', '0'], (t) => out.push(t))).toBe(2);
    expect(out.at(-1)).toBe('--limit must be an integer >= 1, got 0.\n');
  });

  it('reads a loopback observer through localhost too', async () => {
    const url = app.observer.url.replace('127.0.0.1', 'localhost');
    expect(
      await runMain(['--url', url, '--token', TOKEN, '--once', '--interval', '100']),
    ).toMatchObject({ code: 0 });
  });

  describe.each([
    ['on loopback', '127.0.0.1'],
    ['off loopback', '0.0.0.0'],
  ])('against an observer %s that refuses it', (_where, host) => {
    // Every read needs the token, wherever the observer listens; the CLI reads it over 127.0.0.1.
    let guarded: Observer;
    beforeAll(async () => {
      guarded = await startObserver(app.runtime, { host, token: 'lan-token-123' });
    });
    afterAll(() => guarded.close());
    const url = () => `http://127.0.0.1:${guarded.port}`;
    const paths = String.raw`\/api\/(node|processes\?sort=busiest&limit=100)`;

    it('exits 1 with the server message for a wrong token (403)', async () => {
      const { code, output } = await runMain([
        '--url',
        url(),
        '--token',
        'wrong-token',
        '--once',
        '--interval',
        '100',
      ]);
      expect(code).toBe(1);
      expect(output).toMatch(
        new RegExp(
          `^actorkit-observer: ${paths}: HTTP 403: Reading this observer was refused: the token does not match the observer's\\.\\n$`,
        ),
      );
    });

    it('exits 1 with the server message without a token (401)', async () => {
      const run = runCli(['--url', url(), '--once', '--interval', '100']);
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(run.output()).toMatch(
        new RegExp(
          `^actorkit-observer: ${paths}: HTTP 401: Reading this observer needs the observer's token: open the dashboard URL the observer printed \\(observer\\.dashboardUrl, /\\?token=…\\), or send "Authorization: Bearer <token>"\\.\\n$`,
        ),
      );
    });

    it('reads it with the right token, from --token or ACTORKIT_OBSERVER_TOKEN', async () => {
      const once = ['--url', url(), '--once', '--interval', '100'];
      const flag = await runMain([...once, '--token', 'lan-token-123']);
      expect(flag.code, flag.output).toBe(0);
      expect(flag.output).toMatch(/^actorkit observer {2}/);
      const run = runCli(once, 'lan-token-123');
      expect(await run.exited, run.output()).toEqual({ code: 0, signal: null });
      expect(run.output()).toMatch(/^actorkit observer {2}/);
    });
  });

  it('exits 1 with the reason when nothing listens at --url', async () => {
    const { code, output } = await runMain(['--url', 'http://127.0.0.1:1', '--once']);
    expect(code).toBe(1);
    expect(output).toBe('actorkit-observer: fetch failed\n');
  });
});
