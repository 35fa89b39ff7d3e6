import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptError } from '../src/attempt-error.js';
import type { Job, NewJob } from '../src/job.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { bundleForNode } from './bundle.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const bundle = fileURLToPath(new URL('../test-artifacts/cli.mjs', import.meta.url));

/**
 * Runs the CLI in a child process with `args`: `src/cli.ts` bundled once into plain
 * JavaScript (this package's source, never a `dist/` left by some build; a tsx start costs
 * seconds on a loaded machine), or another `script`.
 */
function runCli(args: readonly string[], script = bundle): Promise<Run> {
  // The workspace's sources, not dist/: a fresh clone runs the tests before any build.
  const child = spawn(
    process.execPath,
    ['--conditions=actorkit-source', '--import', 'tsx', script, ...args],
    {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    }),
  );
}

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
let now = T0;
const clock = { now: () => now };
let dir: string;
let path: string;
let store: SqliteStore;
/** The jobs the file starts with: one per state the commands care about. */
const ids = { available: '', completed: '', retryable: '', discarded: '', other: '' };

/** Runs one attempt of `id` on a node of its own: fails with `error` (retry or discard), or completes. */
async function attempt(
  id: string,
  outcome: 'complete' | 'retry' | 'discard',
  error?: Error,
  backoff = 0,
) {
  const node = { name: `node-${id}-${now}`, incarnation: `i-${id}-${now}` };
  await store.registerNode(node, 60_000);
  const claimed = await store.claim({ queue: 'mail', node, limit: 1 });
  const job = claimed.find((c) => c.id === id);
  if (job === undefined) throw new Error(`job ${id} was not claimed`);
  const started = now;
  now += 25;
  const ref = { id, token: job.token };
  const failure = attemptError(error, 'error', job.attempt, now, node.name, started);
  const result = await store.settle([
    outcome === 'complete'
      ? { kind: 'complete', attempt: ref }
      : outcome === 'retry'
        ? { kind: 'retry', attempt: ref, runAt: now + backoff, error: failure }
        : { kind: 'discard', attempt: ref, error: failure },
  ]);
  expect(result[0]?.ok).toBe(true);
  await store.unregisterNode(node);
}

beforeAll(async () => {
  await bundleForNode(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), bundle);
  dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-cli-'));
  path = join(dir, 'jobs.db');
  store = new SqliteStore({ path, clock });
  // One job at a time, so each attempt claims the job it means to.
  const enqueue = async (job: Omit<NewJob, 'queue'> & { queue?: string }) =>
    (await store.enqueue([{ queue: 'mail', ...job }]))[0]?.job.id as string;
  const secret = { userId: 1, apiKey: 'secret-1' };
  ids.completed = await enqueue({ worker: 'send-welcome', args: secret });
  await attempt(ids.completed, 'complete');
  ids.retryable = await enqueue({ worker: 'charge-card', args: { orderId: 'A' }, maxAttempts: 3 });
  await attempt(ids.retryable, 'retry', new TypeError('card declined\nby the bank'), 3_600_000);
  ids.discarded = await enqueue({ worker: 'charge-card', args: { orderId: 'B' }, maxAttempts: 2 });
  await attempt(ids.discarded, 'retry', new Error('gateway timeout'));
  await attempt(ids.discarded, 'discard', new RangeError('amount out of range'));
  ids.available = await enqueue({ worker: 'send-welcome', args: { userId: 2 } });
  ids.other = await enqueue({ queue: 'reports', worker: 'nightly', args: { kind: 'sales' } });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('actorkit-jobs list', () => {
  it('prints the jobs in an aligned table, in id order', async () => {
    const run = await runCli(['--db', path, 'list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+QUEUE\s+WORKER\s+ATTEMPT\s+AT\s+LAST ERROR$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      [ids.completed, 'completed'],
      [ids.retryable, 'retryable'],
      [ids.discarded, 'discarded'],
      [ids.available, 'available'],
      [ids.other, 'available'],
    ]);
    // Columns line up: each row's state starts where the header's STATE does.
    const column = lines[0]?.indexOf('STATE');
    for (const line of lines.slice(1)) expect(line.slice(column).startsWith(' ')).toBe(false);
    expect(lines[2]).toMatch(/1\/3\s+2025-01-02T03:04:\d\d\.\d{3}Z\s+card declined by the bank$/);
  });

  it('filters by state, queue and worker, and stops at --limit', async () => {
    const discarded = await runCli(['--db', path, 'list', '--state', 'discarded,retryable']);
    expect(discarded.stdout).toContain('amount out of range');
    expect(discarded.stdout.trimEnd().split('\n')).toHaveLength(3);
    const reports = await runCli(['--db', path, 'list', '--queue', 'reports', '--json']);
    expect((JSON.parse(reports.stdout) as Job[]).map((job) => job.id)).toEqual([ids.other]);
    const limited = await runCli([
      '--db',
      path,
      'list',
      '--worker',
      'send-welcome',
      '--limit',
      '1',
      '--json',
    ]);
    expect((JSON.parse(limited.stdout) as Job[]).map((job) => job.id)).toEqual([ids.completed]);
  });
});

describe('actorkit-jobs show', () => {
  it('prints the args, the timing, and every failed attempt with its error and stack', async () => {
    const run = await runCli(['--db', path, 'show', ids.discarded]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^job ${ids.discarded}  discarded\n`));
    expect(run.stdout).toMatch(/^ {2}worker\s+charge-card$/m);
    expect(run.stdout).toMatch(/^ {2}attempt\s+2 of 2$/m);
    expect(run.stdout).toMatch(/^ {2}inserted\s+2025-01-02T03:04:05\.050Z$/m);
    expect(run.stdout).toMatch(/^ {2}finished\s+2025-01-02T03:04:05\.100Z$/m);
    expect(run.stdout).toContain('"orderId": "B"');
    expect(run.stdout).toMatch(
      /attempt 1 \(error\) at \S+, took 25 ms on node-\d+-\d+\n\s+Error: gateway timeout\n\s+Error: gateway timeout\n\s+at /,
    );
    expect(run.stdout).toMatch(
      /attempt 2 \(error\) at \S+, took 25 ms .*\n\s+RangeError: amount out of range/,
    );
  });

  it('prints the job as JSON with --json', async () => {
    const run = await runCli(['--db', path, 'show', ids.discarded, '--json']);
    const job = JSON.parse(run.stdout) as Job;
    expect(job).toMatchObject({ id: ids.discarded, state: 'discarded', args: { orderId: 'B' } });
    expect(job.errors.map((e) => [e.attempt, e.name, typeof e.stack])).toEqual([
      [1, 'Error', 'string'],
      [2, 'RangeError', 'string'],
    ]);
  });

  it('shows the args through the --redact module', async () => {
    const module = join(dir, 'redact.mjs');
    writeFileSync(
      module,
      'export function redact(args, job) { return { ...args, apiKey: args.apiKey && "[redacted]", worker: job.worker }; }\n',
    );
    const run = await runCli(['--db', path, 'show', ids.completed, '--redact', module]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('secret-1');
    expect(run.stdout).toContain('"apiKey": "[redacted]"');
    expect(run.stdout).toContain('"worker": "send-welcome"');
  });

  it('exits with 1 for a job that does not exist', async () => {
    const run = await runCli(['--db', path, 'show', '9999']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^actorkit-jobs: no job 9999 in SqliteStore/);
    expect(run.stdout).toBe('');
  });
});

describe('actorkit-jobs retry, cancel, discard', () => {
  it('retries a discarded job, then refuses to retry it again while it is available', async () => {
    const extra = await store.enqueue([{ queue: 'mail', worker: 'charge-card', args: {} }]);
    const id = extra[0]?.job.id as string;
    await store.discardJob(id);
    const run = await runCli(['--db', path, 'retry', id]);
    expect([run.code, run.stdout]).toEqual([0, `job ${id}: discarded -> available\n`]);
    expect((await store.get(id))?.state).toBe('available');
    const again = await runCli(['--db', path, 'retry', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(`job ${id} is available: retry applies to a job that is`);
  });

  it('cancels and discards jobs that are not final, and refuses final ones', async () => {
    const extra = await store.enqueue([
      { queue: 'mail', worker: 'send-welcome', args: { userId: 10 } },
      { queue: 'mail', worker: 'send-welcome', args: { userId: 11 } },
    ]);
    const [a, b] = extra.map((e) => e.job.id) as [string, string];
    const cancelled = await runCli(['--db', path, 'cancel', a, '--json']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: a, state: 'cancelled' });
    const discarded = await runCli(['--db', path, 'discard', b]);
    expect([discarded.code, discarded.stdout]).toEqual([0, `job ${b}: available -> discarded\n`]);
    const refused = await runCli(['--db', path, 'cancel', ids.completed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`job ${ids.completed} is completed: cancel applies to`);
    expect((await store.get(ids.completed))?.state).toBe('completed');
  });

  it('retries every discarded job of a worker with --all-discarded', async () => {
    const extra = await store.enqueue([
      { queue: 'reports', worker: 'nightly', args: { kind: 'a' } },
      { queue: 'reports', worker: 'weekly', args: { kind: 'b' } },
    ]);
    const [nightly, weekly] = extra.map((e) => e.job.id) as [string, string];
    await store.discardJob(nightly);
    await store.discardJob(weekly);
    const run = await runCli(['--db', path, 'retry', '--all-discarded', '--worker', 'nightly']);
    expect([run.code, run.stdout]).toEqual([0, 'retried 1 discarded jobs.\n']);
    expect((await store.get(nightly))?.state).toBe('available');
    expect((await store.get(weekly))?.state).toBe('discarded');
  });
});

describe('actorkit-jobs counts', () => {
  it('prints jobs per queue and state', async () => {
    const run = await runCli(['--db', path, 'counts', '--json']);
    const counts = JSON.parse(run.stdout) as { queue: string; counts: Record<string, number> }[];
    expect(counts.map((entry) => entry.queue).sort()).toEqual(['mail', 'reports']);
    const table = await runCli(['--db', path, 'counts']);
    expect(table.stdout).toMatch(/^QUEUE\s+SCHEDULED\s+AVAILABLE\s+EXECUTING/);
    expect(table.stdout).toMatch(/^mail\s+0\s+\d+\s+0\s+1\s+1\s+\d+\s+\d+$/m);
  });
});

describe('actorkit-jobs usage', () => {
  it.each([
    [[], /--db <file> or --url <observer url> is required/],
    [['--db', 'x.db'], /a command is required/],
    [['--db', 'x.db', 'frobnicate'], /unknown command "frobnicate"/],
    [['--db', 'x.db', 'show'], /show takes one job id, a positive integer; got nothing/],
    [['--db', 'x.db', 'retry', 'abc'], /retry takes one job id \(or --all-discarded\)/],
    [['--db', 'x.db', 'list', '--state', 'dead'], /--state must be among scheduled, /],
    [['--db', 'x.db', 'list', '--limit', '0'], /--limit must be an integer >= 1, got 0/],
    [['--db', 'x.db', 'cancel', '1', '--queue', 'q'], /--queue does not apply to cancel/],
    [['--db', 'x.db', 'list', '--colour'], /Unknown option '--colour'/],
  ])('exits with 2 and the usage for %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain(
      'usage: actorkit-jobs (--db <file> | --url <observer url> --token <token>) <command>',
    );
    expect(run.stdout).toBe('');
  });

  it('exits with 1, creating nothing, for a missing file or one without jobs', async () => {
    const missing = join(dir, 'missing.db');
    const run = await runCli(['--db', missing, 'list']);
    expect([run.code, run.stderr]).toEqual([1, `actorkit-jobs: no database file at ${missing}.\n`]);
    const other = join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE users (id INTEGER PRIMARY KEY)').close();
    const wrong = await runCli(['--db', other, 'list']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('holds no jobs (no actorkit_jobs table)');
    const tables = new Database(other).prepare('SELECT name FROM sqlite_master').all();
    expect(tables).toEqual([{ name: 'users' }]);
  });
});

describe('bin/actorkit-jobs.js', () => {
  it('runs the CLI (here from source) and exits with its code', async () => {
    const run = await runCli(['--db', path, 'show', ids.available], 'bin/actorkit-jobs.js');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^job ${ids.available}  available\n`));
    const usage = await runCli(['--help'], 'bin/actorkit-jobs.js');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /^actorkit-jobs: jobs in a SQLite database file or a running observer\.\nusage:/,
    );
  });
});
