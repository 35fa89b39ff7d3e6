// actorkit-jobs --amqp: a RabbitMQ store's broker read directly, without an observer, on
// the real broker: the dead letters listed, shown, retried and discarded, the queues'
// depths, and what a broker cannot do refused with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Job } from '../../src/job.js';
import { type RabbitJobsApp, startRabbitJobsApp } from './observer-view-fixture.js';
import { brokerUrl } from './support.js';

let app: RabbitJobsApp;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const source = ['--amqp', app.url, '--prefix', app.prefix, '--queues', 'mail'];
  const code = await main([...source, ...args], {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  app = await startRabbitJobsApp(brokerUrl());
});
afterAll(() => app?.close());

describe('actorkit-jobs --amqp (the broker, directly)', () => {
  it("lists and shows the dead letters, and counts the broker's messages per queue", async () => {
    const listed = await cli('list', '--state', 'discarded', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Job[]).map((job) => job.id).sort()).toEqual(
      [app.ids.charge, app.ids.declined, app.ids.hostile].sort(),
    );
    const shown = await cli('show', app.ids.charge);
    expect(shown.stdout).toMatch(new RegExp(`^job ${app.ids.charge}  discarded\n`));
    expect(shown.stdout).toMatch(/Error: attempt 2: card declined <b>by the bank<\/b>\n/);
    const counts = await cli('counts');
    const lines = counts.stdout.trimEnd().split('\n');
    expect(lines[2]?.split(/\s+/)).toEqual(['mail', '0', 'n/a', '1', 'n/a', '3']);
    expect(lines.at(-1)).toMatch(/^note: unacked .* not available/);
  });

  it('retries a dead letter (which then completes) and discards another', async () => {
    app.heal();
    const retried = await cli('retry', app.ids.charge);
    expect(retried.stdout).toBe(
      `job ${app.ids.charge}: discarded -> available (moved from the dead-letter queue back to queue mail)\n`,
    );
    await app.completed(app.ids.charge);
    const discarded = await cli('discard', app.ids.hostile);
    expect(discarded.stdout).toBe(
      `job ${app.ids.hostile}: discarded -> removed from the dead-letter queue of mail\n`,
    );
    const left = JSON.parse((await cli('list', '--state', 'discarded', '--json')).stdout) as Job[];
    expect(left.map((job) => job.id)).toEqual([app.ids.declined]);
    const missing = await cli('show', app.ids.hostile);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/^actorkit-jobs: no dead letter \S+ in RabbitMqStore\(/),
    ]);
  });

  it('refuses what a broker cannot do, and bad sources, saying why', async () => {
    const executing = await cli('list', '--state', 'executing');
    expect([executing.code, executing.stderr]).toEqual([
      1,
      expect.stringMatching(/only the process running them can list them: use --url/),
    ]);
    const cancel = await cli('cancel', app.ids.declined);
    expect(cancel.stderr).toMatch(/^actorkit-jobs: not available on this store: .*cannot cancel/);
    const usage = async (...args: string[]) => {
      let stderr = '';
      const code = await main(args, { err: (text) => (stderr += text) });
      return [code, stderr.split('\n')[0]];
    };
    expect(await usage('--amqp', 'http://x', 'counts')).toEqual([
      2,
      "--amqp must be the broker's amqp:// or amqps:// URL, like amqp://user:pass@127.0.0.1:5672; got http://x.",
    ]);
    expect(await usage('--prefix', 'p', '--db', 'x.db', 'counts')).toEqual([
      2,
      '--prefix goes with --amqp.',
    ]);
    const down = await main(['--amqp', 'amqp://guest:guest@127.0.0.1:9', 'counts'], {
      err: () => {},
    });
    expect(down).toBe(1);
  });
});
