// `pnpm demo` and `pnpm demo:crypto` as a user runs them: the package's scripts, in a
// child process, against the real local services they start.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('..', import.meta.url));
const scripts: Record<string, string> = JSON.parse(
  readFileSync(join(examples, 'package.json'), 'utf8'),
).scripts;

/** A running package script: its output so far, and how it ended. */
interface Run {
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

const running: Run[] = [];
afterEach(() => {
  for (const run of running.splice(0)) run.kill('SIGKILL');
});

/**
 * Starts the package script `name` as `pnpm run` would (its command, with the package's
 * `node_modules/.bin` first), without a shell, so a signal reaches the script itself.
 * A script still running after `guard` ms is killed, so a hang fails the test.
 */
function runScript(name: string, guard: number): Run {
  const [command, ...args] = scripts[name]!.split(' ');
  const child = spawn(join(examples, 'node_modules', '.bin', command!), args, {
    cwd: examples,
    env: { ...process.env, PORT: '0', OBSERVER_PORT: '0', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), guard);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  const run: Run = {
    output: () => output,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  running.push(run);
  return run;
}

describe('pnpm demo', () => {
  it('runs the three scenarios and exits 0 by itself, after its summary', async () => {
    const run = runScript('demo', 100_000);
    const { code, signal } = await run.exited;
    const output = run.output();
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    const lines = output.trimEnd().split('\n');
    const summary = lines.slice(lines.indexOf('══ summary ══'));
    expect(summary, output).toHaveLength(7);
    expect(summary[1]).toMatch(
      /^account setup {3}\d+\/16 users set up, \d+ retries, AccountSetupSupervisor restarted \d+×, \d+ failures recorded in setup_failures$/,
    );
    // The one address no retry can fix is never set up.
    const notSetUp = /^ {16}not set up: (.+); slowest POST \/users answer \d+ ms$/.exec(
      summary[2]!,
    );
    expect(notSetUp?.[1]?.split(', '), summary[2]).toContain('hedy');
    expect(summary[3]).toMatch(
      /^crypto sync {5}6 users, \d+ ticks \(\d+ failed and retried next tick\), peak [1-3]\/3 concurrent requests$/,
    );
    expect(summary[4]).toMatch(
      /^ {16}drift per tick: naive [+−][\d.]+ ms, drift-free [+−][\d.]+ ms$/,
    );
    expect(summary[5]).toBe(
      'welcome email   5 users created, 1 rejected, 4 emails delivered, 1 lost and logged',
    );
    expect(summary[6]).toMatch(/^done in [\d.]+ s$/);
    expect(output).toMatch(/^observer: http:\/\/127\.0\.0\.1:\d+\/\?token=/m);
  }, 120_000);
});

describe('pnpm demo:crypto', () => {
  it('serves live balances until stopped, then closes everything and exits 0', async () => {
    const run = runScript('demo:crypto', 60_000);
    const url = await waitFor(() => /^live balances: +(http:\S+)/m.exec(run.output())?.[1], {
      timeout: 30_000,
      what: "the page's URL in the script's output",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\nThe output so far:\n${run.output()}`);
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const balances = await waitFor(
      async () => {
        const rows = (await (await fetch(`${url}balances`)).json()) as { userId: string }[];
        return rows.length > 0 && rows;
      },
      { timeout: 15_000, what: 'a first balance on /balances' },
    );
    expect(['alice', 'bob', 'carol', 'dave', 'erin']).toContain(balances[0]!.userId);
    run.kill('SIGTERM');
    const { code, signal } = await run.exited;
    expect({ code, signal }, run.output()).toEqual({ code: 0, signal: null });
    expect(run.output().trimEnd().split('\n').at(-1)).toBe('stopped.');
    await expect(fetch(url)).rejects.toThrow();
  }, 90_000);
});
