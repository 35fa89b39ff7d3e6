import { InvalidArgumentError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { Queue } from '../src/queue.js';
import { defineWorker } from '../src/worker.js';
import { clock, runtime, setup, store } from './queue-fixture.js';
import { stopRuntimesAfterEach } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

const Report = defineWorker({ name: 'report', perform: (_args: { kind: string }) => undefined });

describe('Queue crontab', () => {
  it('enqueues the entry’s job at each slot, keyed by the slot, and runs it', async () => {
    setup();
    const crontab = [{ cron: '* * * * *', worker: Report, args: { kind: 'minutely' } }];
    await Queue.start({ store, runtime, workers: [Report], crontab, node: 'a' });
    await clock.advance(59_999);
    expect(await store.list()).toEqual([]);
    await clock.advance(1);
    await clock.advance(60_000);
    const jobs = await store.list();
    expect(jobs.map((j) => [j.key, j.runAt, j.state, j.args])).toEqual([
      ['cron:report:1970-01-01T00:01:00.000Z', 60_000, 'completed', { kind: 'minutely' }],
      ['cron:report:1970-01-01T00:02:00.000Z', 120_000, 'completed', { kind: 'minutely' }],
    ]);
  });

  it('enqueues each slot once when several nodes run the same crontab on one database', async () => {
    setup();
    const crontab = [{ cron: '*/30 * * * * *', worker: Report, args: { kind: 'half-minutely' } }];
    for (const node of ['a', 'b', 'c']) {
      await Queue.start({ store, runtime, workers: [Report], crontab, node });
    }
    await clock.advance(180_000);
    const keys = (await store.list()).map((j) => j.key);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
  });

  it('reads the expression in the entry’s time zone', async () => {
    setup();
    const crontab = [
      { cron: '0 2 * * *', worker: Report, args: { kind: 'utc' }, name: 'utc' },
      {
        cron: '0 2 * * *',
        worker: Report,
        args: { kind: 'paris' },
        name: 'paris',
        tz: 'Europe/Paris',
      },
    ];
    await Queue.start({ store, runtime, workers: [Report], crontab, node: 'a' });
    await clock.advance(7_200_000);
    // 02:00 in Paris is 01:00 UTC in January 1970; 02:00 UTC is an hour later.
    expect((await store.list()).map((j) => j.key)).toEqual([
      'cron:paris:1970-01-01T01:00:00.000Z',
      'cron:utc:1970-01-01T02:00:00.000Z',
    ]);
  });

  it('refuses at configuration a bad expression, a worker that is not one, and two entries with one name', () => {
    setup();
    const spec = (crontab: unknown) => () =>
      Queue.childSpec({ store, workers: [Report], crontab } as never);
    expect(spec([{ cron: 'every minute', worker: Report, args: { kind: 'x' } }])).toThrow(
      InvalidArgumentError,
    );
    expect(spec([{ cron: '* * * * *', worker: () => 1, args: {} }])).toThrow(/worker/);
    const twice = [
      { cron: '* * * * *', worker: Report, args: { kind: 'a' } },
      { cron: '0 * * * *', worker: Report, args: { kind: 'b' } },
    ];
    expect(spec(twice)).toThrow(/name/);
  });
});
