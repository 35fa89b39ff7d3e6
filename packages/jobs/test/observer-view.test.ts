import { InvalidArgumentError, Runtime } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import type { Job } from '../src/job.js';
import { jobsView, redactSecrets } from '../src/observer-view.js';
import { Queue } from '../src/queue.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { defineWorker } from '../src/worker.js';
import {
  getView,
  HOSTILE_ARGS,
  type JobsApp,
  postView,
  startJobsApp,
  TOKEN,
} from './observer-view-fixture.js';

describe('jobsView()', () => {
  it('refuses what is not a store, an unknown option and a wrong type', () => {
    const store = new SqliteStore({ path: ':memory:' });
    expect(() => jobsView({} as SqliteStore)).toThrow(InvalidArgumentError);
    expect(() => jobsView(store, { redcat: () => 1 } as object)).toThrow(/redcat/);
    expect(() => jobsView(store, { redact: 'yes' } as object)).toThrow(/a function/);
    expect(jobsView(store)).toMatchObject({ id: 'jobs', title: 'Jobs' });
    expect(jobsView(store, { id: 'mail-jobs', title: 'Mail' })).toMatchObject({ id: 'mail-jobs' });
  });
});

describe('redactSecrets()', () => {
  it('masks the values of keys naming secrets, at any depth, and keeps the rest', () => {
    expect(
      redactSecrets({ userId: 1, password: 'p', nested: [{ apiKey: 'k', note: 'n' }], token: 2 }),
    ).toEqual({
      userId: 1,
      password: '[redacted]',
      nested: [{ apiKey: '[redacted]', note: 'n' }],
      token: '[redacted]',
    });
    expect(redactSecrets('plain')).toBe('plain');
  });
});

describe('the Jobs view over HTTP', () => {
  let app: JobsApp;
  beforeAll(async () => {
    app = await startJobsApp();
  });
  afterAll(() => app?.close());

  it('needs the token for every read', async () => {
    expect(await getView(app.observer, 'counts', null)).toMatchObject({
      status: 401,
      body: { code: 'token_required' },
    });
    expect(await getView(app.observer, 'jobs', 'wrong-token-123')).toMatchObject({
      status: 403,
      body: { code: 'bad_token' },
    });
    const page = await fetch(`${app.observer.url}/api/views/jobs/page`);
    expect(page.status).toBe(401);
  });

  it('counts jobs per queue and state, with throughput samples', async () => {
    const { body } = await getView(app.observer, 'counts');
    expect(body.counts).toEqual([
      {
        queue: 'mail',
        counts: {
          scheduled: 0,
          available: 0,
          executing: 1,
          retryable: 1,
          completed: 2,
          discarded: 1,
          cancelled: 0,
        },
      },
    ]);
    const queues = (await getView(app.observer, 'queues')).body.queues;
    expect(queues[0]).toMatchObject({ queue: 'mail', throughput: { queue: 'mail' } });
  });

  it('lists jobs by state with their errors, and shows one with its PID while it runs', async () => {
    const discarded = (await getView(app.observer, 'jobs?state=discarded,retryable')).body
      .jobs as Job[];
    expect(discarded.map((job) => [job.id, job.state])).toEqual([
      [app.ids.retryable, 'retryable'],
      [app.ids.discarded, 'discarded'],
    ]);
    expect(discarded[1]?.errors.map((e) => e.message)).toEqual([
      'attempt 1: card declined <b>by the bank</b>',
      'attempt 2: card declined <b>by the bank</b>',
    ]);
    const running = (await getView(app.observer, `jobs/${app.ids.executing}`)).body;
    expect(running.job.state).toBe('executing');
    expect(running.pid).toMatch(/^#PID<\d+\.\d+\.\d+>$/);
    // The PID is the attempt's process: alive, a task, in the observer's runtime.
    const process = await fetch(
      `${app.observer.url}/api/processes/${encodeURIComponent(running.pid)}?state=0`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    ).then((res) => res.json());
    expect(process).toMatchObject({ behaviour: 'task', module: 'Job slow-export' });
    expect((await getView(app.observer, `jobs/${app.ids.completed}`)).body.pid).toBeNull();
    expect(await getView(app.observer, 'jobs/9999')).toMatchObject({
      status: 404,
      body: { code: 'job_not_found' },
    });
    expect((await getView(app.observer, 'jobs?state=dead')).body.code).toBe('bad_state');
    expect((await getView(app.observer, 'jobs?limit=0')).body.code).toBe('bad_query');
  });

  it('shows args through the default redaction, and hostile args as data', async () => {
    const { body } = await getView(app.observer, `jobs/${app.ids.hostile}`);
    expect(body.job.args).toEqual({
      ...HOSTILE_ARGS,
      password: '[redacted]',
      nested: { ...HOSTILE_ARGS.nested, apiKey: '[redacted]' },
    });
    const page = (await getView(app.observer, `page?at=job/${app.ids.hostile}`)).body;
    const args = page.blocks.find((b: { id?: string }) => b.id === 'args');
    expect(args.text).toContain(JSON.stringify(HOSTILE_ARGS.name).slice(1, 30));
    expect(args.text).not.toContain('hunter2');
    expect(args.text.length).toBeLessThanOrEqual(100_001);
  });

  it('retries, cancels and discards one job, and refuses an action that does not apply', async () => {
    const refused = await postView(app.observer, `jobs/${app.ids.completed}/retry`);
    expect(refused).toMatchObject({ status: 409, body: { code: 'not_applicable' } });
    expect(refused.body.error).toMatch(/is completed: retry applies to/);
    expect((await postView(app.observer, `jobs/${app.ids.completed}/explode`)).status).toBe(404);
    const cancelled = await postView(app.observer, `jobs/${app.ids.retryable}/cancel`);
    expect(cancelled).toMatchObject({
      status: 200,
      body: { before: 'retryable', job: { state: 'cancelled' } },
    });
    expect(cancelled.body.message).toBe(`job ${app.ids.retryable}: retryable -> cancelled`);
    const retried = await postView(app.observer, `jobs/${app.ids.retryable}/retry`);
    expect(retried.body.job.state).toBe('available');
    // The retried flaky job fails again and waits an hour: discard it by hand.
    await app.until(app.ids.retryable, 'retryable');
    const discarded = await postView(app.observer, `jobs/${app.ids.retryable}/discard`);
    expect(discarded.body).toMatchObject({ before: 'retryable', job: { state: 'discarded' } });
  });

  it('refuses an action without the token, from the URL, or cross-site with the cookie', async () => {
    const id = app.ids.discarded;
    expect((await postView(app.observer, `jobs/${id}/retry`, {}, null)).status).toBe(401);
    const viaUrl = await fetch(
      `${app.observer.url}/api/views/jobs/jobs/${id}/retry?token=${TOKEN}`,
      {
        method: 'POST',
      },
    );
    expect(viaUrl.status).toBe(401);
    const crossSite = await fetch(`${app.observer.url}/api/views/jobs/jobs/${id}/retry`, {
      method: 'POST',
      headers: {
        cookie: `actorkit_observer_${app.observer.port}=${TOKEN}`,
        origin: 'http://evil.test',
      },
    });
    expect(crossSite.status).toBe(403);
    expect((await app.store.get(id))?.state).toBe('discarded');
  });

  it('retries in bulk by worker, and checks the body', async () => {
    expect((await postView(app.observer, 'retry', { worker: 7 })).body.code).toBe('bad_body');
    expect((await postView(app.observer, 'retry', { states: ['gone'] })).body.code).toBe(
      'bad_state',
    );
    const none = await postView(app.observer, 'retry', { worker: 'nobody' });
    expect(none.body).toEqual({
      retried: 0,
      message: 'retried 0 discarded and retryable jobs of worker nobody.',
    });
    const bulk = await postView(app.observer, 'retry', {
      worker: 'charge-card',
      states: ['discarded'],
    });
    expect(bulk.body.retried).toBe(1);
    // It runs again, fails twice more (one attempt was added), and is discarded again.
    await app.until(app.ids.discarded, 'discarded');
    expect((await app.store.get(app.ids.discarded))?.errors).toHaveLength(3);
  });

  it('describes its pages: the overview, a state, a job; 404 for another path', async () => {
    const home = (await getView(app.observer, 'page')).body;
    const ids = home.blocks.map((b: { id?: string }) => b.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'totals',
        'queues',
        'throughput-0',
        'executing',
        'retryable',
        'discarded',
        'bulk',
      ]),
    );
    const executing = home.blocks.find((b: { id?: string }) => b.id === 'executing');
    expect(executing.rows[0][0]).toEqual({
      text: app.ids.executing,
      link: ['job', app.ids.executing],
    });
    expect(executing.rows[0][6].pid).toMatch(/^#PID</);
    const state = (await getView(app.observer, 'page?at=state/completed')).body;
    expect(state.blocks[0].rows.map((row: { text: string }[]) => row[0]?.text)).toContain(
      app.ids.completed,
    );
    expect((await getView(app.observer, 'page?at=nowhere')).status).toBe(404);
    expect((await getView(app.observer, 'page?at=job/424242')).body.code).toBe('job_not_found');
  });
});

describe('jobsView({ redact })', () => {
  it('shows args as the hook returns them, and a note when the hook throws', async () => {
    const app = await startJobsApp({
      redact: (args, job) => {
        if (job.worker === 'charge-card') throw new Error('no way');
        return { shown: Object.keys(args as object) };
      },
    });
    try {
      const hostile = (await getView(app.observer, `jobs/${app.ids.hostile}`)).body.job;
      expect(hostile.args).toEqual({ shown: ['name', 'password', 'nested', 'long'] });
      const failed = (await getView(app.observer, `jobs/${app.ids.discarded}`)).body.job;
      expect(failed.args).toBe('[args hidden: the redact hook failed: no way]');
    } finally {
      await app.close();
    }
  });
});

describe('the Jobs view and other runtimes', () => {
  // Regression: isAlive() is true for a live PID of any runtime, so a PID of another one was
  // given, and its link opened no process page.
  it("gives no PID for an attempt running in another runtime than the observer's", async () => {
    const app = await startJobsApp();
    const other = new Runtime();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const Elsewhere = defineWorker({
      name: 'elsewhere',
      queue: 'other',
      perform: async (_args: { n: number }) => gate,
    });
    try {
      await Queue.start({
        store: app.store,
        runtime: other,
        queue: 'other',
        node: 'other-runtime',
        workers: [Elsewhere],
        shutdownGrace: 50,
      });
      const { job } = await enqueue(app.store, Elsewhere, { n: 1 });
      await app.until(job.id, 'executing');
      expect((await getView(app.observer, `jobs/${job.id}`)).body.pid).toBeNull();
      const page = (await getView(app.observer, 'page')).body;
      const rows = page.blocks.find((b: { id?: string }) => b.id === 'executing').rows;
      const row = rows.find((r: { text: string }[]) => r[0]?.text === job.id);
      expect(row[5]).toEqual({ text: 'other-runtime/other' });
      expect(row[6]).toEqual({ text: 'not in this runtime', tone: 'muted' });
    } finally {
      release();
      await other.stop({ timeout: 5000 });
      await app.close();
    }
  });
});
