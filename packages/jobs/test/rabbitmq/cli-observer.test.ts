// actorkit-jobs --url against a running observer whose Jobs view shows a RabbitMqStore on
// the real broker: dead letters listed, shown, retried (one, all) and discarded; counts as
// the broker's queue depths; what a broker cannot do refused with the view's reason.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Job } from '../../src/job.js';
import { type RabbitJobsApp, startRabbitJobsApp, TOKEN } from './observer-view-fixture.js';
import { brokerUrl, untilQueueHolds } from './support.js';

let app: RabbitJobsApp;

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
  app = await startRabbitJobsApp(brokerUrl());
});
afterAll(() => app?.close());

describe('actorkit-jobs --url (an observer of a RabbitMqStore)', () => {
  it('lists the dead letters and the attempts executing in the observer', async () => {
    const dead = await cli('list', '--state', 'discarded');
    expect(dead.code).toBe(0);
    expect(dead.stderr).toMatch(
      /^actorkit-jobs: note: dead letters of the queues this process runs .*\(only mail\)/,
    );
    const lines = dead.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+QUEUE\s+WORKER\s+ATTEMPT\s+AT\s+LAST ERROR$/);
    const rows = lines.slice(1).map((line) => line.split(/\s+/));
    expect(rows.map((row) => row[0]).sort()).toEqual(
      [app.ids.charge, app.ids.declined, app.ids.hostile].sort(),
    );
    expect(lines.find((line) => line.startsWith(app.ids.charge))).toMatch(
      /discarded\s+mail\s+charge-card\s+2\/2\s+\S+Z\s+attempt 2: card declined <b>by the bank<\/b>$/,
    );
    const executing = await cli('list', '--state', 'executing', '--json');
    expect((JSON.parse(executing.stdout) as Job[]).map((job) => job.id)).toEqual([
      app.ids.executing,
    ]);
  });

  it('shows a dead letter by its id, args as the view redacts them', async () => {
    const run = await cli('show', app.ids.hostile);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^job ${app.ids.hostile}  discarded\n`));
    expect(run.stdout).toMatch(/"password": "\[redacted\]"/);
    expect(run.stdout).toMatch(/attempt 1 \(error\) at \S+, took \d+ ms on rabbit-view\/mail\n/);
    expect(run.stdout).toMatch(/\n\s+TypeError: declined for good\n/);
  });

  it("counts the broker's messages per queue, n/a where it cannot tell", async () => {
    const run = await cli('counts');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${app.store.description}: messages per queue (a broker counts no jobs by state)`,
    );
    expect(lines[1]).toMatch(/^QUEUE\s+READY\s+UNACKED\s+CONSUMERS\s+DELAYED\s+DEAD$/);
    expect(lines[2]?.split(/\s+/)).toEqual(['mail', '0', 'n/a', '1', 'n/a', '3']);
    expect(lines[3]).toMatch(/^note: unacked .* not available/);
    expect(lines.at(-1)).toBe("executing in the observer's process: 1");
    const json = JSON.parse((await cli('counts', '--json')).stdout);
    expect(json.queues[0]).toMatchObject({ queue: 'mail', dead: 3, unacked: null });
  });

  it('retries a dead letter back to its queue, where it completes', async () => {
    app.heal();
    const run = await cli('retry', app.ids.charge);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe(
      `job ${app.ids.charge}: discarded -> available (moved from the dead-letter queue back to queue mail)\n`,
    );
    await app.completed(app.ids.charge);
  });

  it('discards a dead letter, and retries every dead letter of a worker', async () => {
    const discarded = await cli('discard', app.ids.hostile);
    expect(discarded.stdout).toBe(
      `job ${app.ids.hostile}: discarded -> removed from the dead-letter queue of mail\n`,
    );
    const all = await cli('retry', '--all-discarded', '--worker', 'decline');
    expect([all.code, all.stdout]).toEqual([0, 'retried 1 discarded jobs.\n']);
    // The declined job ran a second attempt (it had none left: it got one more) and, as its
    // worker always fails, is a dead letter again.
    await untilQueueHolds(app.url, app.store.deadLetterQueue('mail'), 1);
    expect(app.starts.get(app.ids.declined)).toEqual([1, 2]);
    const left = await cli('list', '--state', 'discarded');
    expect(left.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${app.ids.declined}\\s+discarded\\s+mail\\s+decline\\s+2/2\\s`),
    );
    const missing = await cli('show', app.ids.hostile);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^actorkit-jobs: no job \S+ in RabbitMqStore\(/);
  });

  it("exits with 1 and the view's reason for what a broker cannot do", async () => {
    const cases: [string[], RegExp][] = [
      [['list'], /cannot list every job/],
      [['list', '--state', 'completed'], /keeps nothing of completed jobs/],
      [['cancel', app.ids.executing], /cannot cancel a queued job/],
    ];
    for (const [args, why] of cases) {
      const run = await cli(...args);
      expect([args, run.code, run.stdout]).toEqual([args, 1, '']);
      expect(run.stderr).toMatch(/^actorkit-jobs: not available on this store: RabbitMqStore\(/);
      expect(run.stderr).toMatch(why);
    }
  });

  it('runs as a separate process (the bin) against the observer', async () => {
    const bin = fileURLToPath(new URL('../../bin/actorkit-jobs.js', import.meta.url));
    const child = spawn(
      process.execPath,
      // From source, as in a clean clone before any build: the workspace packages by the
      // 'actorkit-source' condition.
      [
        '--conditions=actorkit-source',
        '--import',
        'tsx',
        bin,
        '--url',
        app.observer.url,
        'counts',
        '--json',
      ],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, ACTORKIT_OBSERVER_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).queues.map((q: { queue: string }) => q.queue)).toEqual(['mail']);
  });
});
