import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { Job } from '../src/job.js';
import { bundleForNode } from './bundle.js';
import { type JobsApp, startJobsApp, TOKEN } from './observer-view-fixture.js';

let app: JobsApp;

/** Runs the CLI in this process against the observer; resolves with its code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--url', app.observer.url, '--token', TOKEN, ...args], {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  app = await startJobsApp();
});
afterAll(() => app?.close());

describe('actorkit-jobs --url (a running observer)', () => {
  it('lists jobs by state in the same table as --db', async () => {
    const run = await cli('list', '--state', 'discarded,retryable');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+QUEUE\s+WORKER\s+ATTEMPT\s+AT\s+LAST ERROR$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      [app.ids.retryable, 'retryable', 'mail', 'flaky-sync'],
      [app.ids.discarded, 'discarded', 'mail', 'charge-card'],
    ]);
    expect(lines[2]).toMatch(/2\/2\s+\S+Z\s+attempt 2: card declined <b>by the bank<\/b>$/);
    const json = await cli('list', '--worker', 'send-welcome', '--limit', '1', '--json');
    expect((JSON.parse(json.stdout) as Job[]).map((job) => job.id)).toEqual([app.ids.completed]);
  });

  it('shows a job with its attempts, its args as the view redacts them', async () => {
    const run = await cli('show', app.ids.discarded);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^job ${app.ids.discarded}  discarded\n`));
    expect(run.stdout).toMatch(/attempt 1 \(error\) at \S+, took \d+ ms on view-test\/mail\n/);
    expect(run.stdout).toMatch(/\n\s+Error: attempt 2: card declined <b>by the bank<\/b>\n/);
    const hostile = JSON.parse((await cli('show', app.ids.hostile, '--json')).stdout) as Job;
    expect(hostile.args).toMatchObject({ password: '[redacted]' });
    const missing = await cli('show', '9999');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^actorkit-jobs: no job 9999 in SqliteStore\(:memory:\)/);
  });

  it('counts jobs per queue and state', async () => {
    const run = await cli('counts', '--json');
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({ queue: 'mail', counts: expect.objectContaining({ executing: 1 }) }),
    ]);
    expect((await cli('counts')).stdout).toMatch(/^QUEUE\s+SCHEDULED\s+AVAILABLE\s+EXECUTING/);
  });

  it('cancels, discards and retries, refusing what does not apply', async () => {
    const refused = await cli('retry', app.ids.completed);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`job ${app.ids.completed} is completed: retry applies to`);
    const cancelled = await cli('cancel', app.ids.retryable);
    expect([cancelled.code, cancelled.stdout]).toEqual([
      0,
      `job ${app.ids.retryable}: retryable -> cancelled\n`,
    ]);
    const retried = await cli('retry', app.ids.retryable, '--json');
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: app.ids.retryable, state: 'available' });
    await app.until(app.ids.retryable, 'retryable');
    const discarded = await cli('discard', app.ids.retryable);
    expect(discarded.stdout).toBe(`job ${app.ids.retryable}: retryable -> discarded\n`);
    const all = await cli('retry', '--all-discarded', '--worker', 'flaky-sync');
    expect([all.code, all.stdout]).toEqual([0, 'retried 1 discarded jobs.\n']);
  });

  it('exits with 1 for a wrong token, an observer without the view, or none at all', async () => {
    let stderr = '';
    const err = (text: string) => (stderr += text);
    const wrong = await main(['--url', app.observer.url, '--token', 'wrong-token-1', 'counts'], {
      err,
    });
    expect(wrong).toBe(1);
    expect(stderr).toMatch(/token does not match/);
    stderr = '';
    const other = await main(
      ['--url', app.observer.url, '--token', TOKEN, '--view', 'mail', 'counts'],
      { err },
    );
    expect([other, stderr]).toEqual([
      1,
      `actorkit-jobs: the observer at ${app.observer.url} has no view "mail": start it with views: [jobsView(store)] (or pass --view <id>).\n`,
    ]);
    stderr = '';
    const closed = await main(['--url', 'http://127.0.0.1:9', '--token', TOKEN, 'counts'], { err });
    expect(closed).toBe(1);
    expect(stderr).toMatch(
      /^actorkit-jobs: cannot reach the observer at http:\/\/127\.0\.0\.1:9: /,
    );
  });

  it('exits with 2 for --url without a token, with --db too, or a URL that is not http', async () => {
    const usage = async (...args: string[]) => {
      let stderr = '';
      const code = await main(args, { err: (text) => (stderr += text) });
      return [code, stderr.split('\n')[0]];
    };
    const saved = process.env.ACTORKIT_OBSERVER_TOKEN;
    delete process.env.ACTORKIT_OBSERVER_TOKEN;
    try {
      expect(await usage('--url', app.observer.url, 'counts')).toEqual([
        2,
        "--url needs the observer's token: --token <token>, or ACTORKIT_OBSERVER_TOKEN.",
      ]);
    } finally {
      if (saved !== undefined) process.env.ACTORKIT_OBSERVER_TOKEN = saved;
    }
    expect(await usage('--url', app.observer.url, '--db', 'x.db', 'counts')).toEqual([
      2,
      '--db and --url exclude each other: give one.',
    ]);
    expect(await usage('--url', 'ftp://x', '--token', TOKEN, 'counts')).toEqual([
      2,
      "--url must be the observer's http URL, like http://127.0.0.1:4000; got ftp://x.",
    ]);
    expect(await usage('--db', 'x.db', '--token', TOKEN, 'counts')).toEqual([
      2,
      '--token goes with --url, not --db.',
    ]);
  });

  it('runs as a separate process, the token from ACTORKIT_OBSERVER_TOKEN', async () => {
    const bundle = fileURLToPath(new URL('../test-artifacts/cli-observer.mjs', import.meta.url));
    await bundleForNode(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), bundle);
    const child = spawn(process.execPath, [bundle, '--url', app.observer.url, 'list'], {
      env: { ...process.env, ACTORKIT_OBSERVER_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^${app.ids.completed}\\s+completed\\s+mail\\s+send-welcome`, 'm'),
    );
  });
});

describe('actorkit-jobs --url list --limit', () => {
  it('pages past the 1,000 jobs the view answers at once', async () => {
    await app.store.enqueue(
      Array.from({ length: 1100 }, (_, n) => ({ queue: 'bulk', worker: 'none', args: { n } })),
    );
    const run = await cli('list', '--queue', 'bulk', '--limit', '1050', '--json');
    const jobs = JSON.parse(run.stdout) as Job[];
    expect(jobs).toHaveLength(1050);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(1050);
    expect(jobs.map((job) => (job.args as { n: number }).n).slice(998, 1002)).toEqual([
      998, 999, 1000, 1001,
    ]);
  });
});
