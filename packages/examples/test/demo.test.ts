// `pnpm demo`, `pnpm demo:live` and `pnpm demo:crypto` as a user runs them: the package's scripts, in a
// child process, against the real local services they start.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@actorkit/test-support';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

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

/** The summary's lines, from its header to the end. */
function summaryOf(output: string): string[] {
  const lines = output.trimEnd().split('\n');
  return lines.slice(lines.indexOf('══ summary ══'));
}

describe('pnpm demo', () => {
  // One run (~30 s) for the tests below, each reading its part of the output.
  let ended: { code: number | null; signal: NodeJS.Signals | null };
  let output = '';
  let summary: string[] = [];
  beforeAll(async () => {
    const run = runScript('demo', 150_000);
    ended = await run.exited;
    output = run.output();
    summary = summaryOf(output);
  }, 180_000);

  it('runs the scenarios and exits 0 by itself, after its summary', () => {
    expect(ended, output).toEqual({ code: 0, signal: null });
    expect(summary, output).toHaveLength(10);
    expect(summary[9]).toMatch(/^done in [\d.]+ s$/);
    expect(output).toMatch(/^observer: http:\/\/127\.0\.0\.1:\d+\/\?token=/m);
  });

  it('shows the in-memory account setup leaving users not set up, each recorded', () => {
    expect(summary[1]).toMatch(
      /^account setup {3}\d+\/16 users set up, \d+ retries, AccountSetupSupervisor restarted \d+×, \d+ failures recorded in setup_failures$/,
    );
    // The one address no retry can fix is never set up.
    const notSetUp = /^ {16}not set up: (.+); slowest POST \/users answer \d+ ms$/.exec(
      summary[2]!,
    );
    expect(notSetUp?.[1]?.split(', '), summary[2]).toContain('hedy');
  });

  it('kills the durable application mid-setup by its PID, restarts it, and loses no user', () => {
    const durable =
      /^durable setup {3}(\d+)\/16 users set up, \d+ steps? discarded with (?:its|their) errors \((.+)\), 0 users lost$/.exec(
        summary[3]!,
      );
    expect(durable, output).not.toBeNull();
    // Every user is set up, or has a step discarded and listed with its errors; Hedy's
    // address is one no service can place.
    const discarded = durable![2]!.split(', ');
    expect(discarded).toContain('hedy / fulfillment');
    const discardedUsers = new Set(discarded.map((d) => d.split(' / ')[0]));
    expect(Number(durable![1]) + discardedUsers.size).toBe(16);
    for (const d of discarded) {
      expect(output).toMatch(
        new RegExp(`^ {2}discarded: ${d} after \\d+ attempt\\(s\\).*: .+`, 'm'),
      );
    }
    const kills =
      /^ {16}(\d+) SIGKILLs? mid-setup, \d+ jobs? taken back by the restarts, \d+ retr(y|ies) \(a kill counts as one\)$/.exec(
        summary[4]!,
      );
    expect(Number(kills?.[1]), summary[4]).toBeGreaterThanOrEqual(1);
    // Each kill is of a real process with steps in flight, and each restart another process.
    const killed = [
      ...output.matchAll(
        /^ {2}✗ kill -9 (\d+) \(SIGKILL by PID\) with [1-9]\d* steps? in flight/gm,
      ),
    ].map((m) => m[1]);
    const restarted = [...output.matchAll(/^ {2}restarted as PID (\d+) /gm)].map((m) => m[1]);
    expect(killed).toHaveLength(Number(kills![1]));
    expect(restarted).toHaveLength(killed.length);
    // p1 killed, restarted as p2; p2 killed, restarted as p3 …: each a new process.
    expect(killed.slice(1)).toEqual(restarted.slice(0, -1));
    expect(new Set([killed[0], ...restarted]).size).toBe(killed.length + 1);
    // As the CRM saw it: no contact created twice by the re-runs.
    expect(summary[5]).toMatch(
      /^ {16}CRM: \d+ contacts for \d+ users with a CRM id, 0 duplicated by the re-runs$/,
    );
  });

  it('runs the crypto sync and the welcome email', () => {
    expect(summary[6]).toMatch(
      /^crypto sync {5}6 users, \d+ ticks \(\d+ failed and retried next tick\), peak [1-3]\/3 concurrent requests$/,
    );
    expect(summary[7]).toMatch(
      /^ {16}drift per tick: naive [+−][\d.]+ ms, drift-free [+−][\d.]+ ms$/,
    );
    expect(summary[8]).toBe(
      'welcome email   5 users created, 1 rejected, 4 emails delivered, 1 lost and logged',
    );
  });
});

describe('pnpm demo:live', () => {
  it('keeps the durable application and its observer with the Jobs view up until SIGINT, then stops cleanly', async () => {
    const run = runScript('demo:live', 170_000);
    // The three lines are logged together, but a pipe may deliver them in separate chunks:
    // wait for the last one before reading the others.
    const api = await waitFor(() => /^live: users API (http:\S+);/m.exec(run.output())?.[1], {
      timeout: 150_000,
      interval: 100,
      what: "the users API's URL",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\nThe output so far:\n${run.output()}`);
    });
    const dashboard = /^live: the durable application's observer \(Jobs view\): (http:\S+)/m.exec(
      run.output(),
    )?.[1];
    const ownObserver = /^live: this process's observer: (http:\S+)/m.exec(run.output())?.[1];
    expect(dashboard, run.output()).toBeDefined();
    expect(ownObserver, run.output()).toBeDefined();
    const { origin, searchParams } = new URL(dashboard!);
    const token = searchParams.get('token')!;
    const page = await fetch(dashboard!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await fetch(ownObserver!)).status).toBe(200);
    // The Jobs view serves the durable run: 32 setup jobs, settled, and the visitors' to come.
    const counts = await fetch(`${origin}/api/views/jobs/counts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(counts.status).toBe(200);
    const body = (await counts.json()) as {
      counts: { queue: string; counts: Record<string, number> }[];
    };
    const setup = body.counts.find((c) => c.queue === 'account-setup')!.counts;
    expect(setup.completed! + setup.discarded!).toBeGreaterThanOrEqual(32);
    expect(setup.discarded).toBeGreaterThanOrEqual(1);
    // Still running: a visitor signs up while it waits.
    await waitFor(() => /^live: POST \/users visitor 1 → 201$/m.test(run.output()), {
      timeout: 20_000,
      what: 'a visitor signing up',
    });
    run.kill('SIGINT');
    const { code, signal } = await run.exited;
    expect({ code, signal }, run.output()).toEqual({ code: 0, signal: null });
    expect(run.output().trimEnd().split('\n').at(-1)).toBe('stopped.');
    for (const url of [dashboard!, ownObserver!, `${api}/users/1`]) {
      await expect(fetch(url), url).rejects.toThrow();
    }
  }, 180_000);
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
