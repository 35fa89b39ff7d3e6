// The Jobs view over HTTP against a RabbitMqStore on the real broker: what a broker can
// tell (depths, consumers, dead letters, this process's attempts with their PIDs), retry
// from the dead-letter queue then completion, discard, and a typed 501 for what it cannot.
import { Runtime } from '@actorkit/core';
import { startObserver } from '@actorkit/observer';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/job.js';
import { jobsView } from '../../src/observer-view.js';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { rabbitMqInspector } from '../../src/rabbitmq/inspect.js';
import { HEADER } from '../../src/rabbitmq/message.js';
import { SqliteStore } from '../../src/sqlite-store.js';
import { type RabbitJobsApp, startRabbitJobsApp, TOKEN } from './observer-view-fixture.js';
import { brokerUrl, untilQueueHolds } from './support.js';

let app: RabbitJobsApp;

beforeAll(async () => {
  app = await startRabbitJobsApp(brokerUrl());
});
afterAll(() => app?.close());

/** The dead-letter queue's messages as a raw consumer sees them, left in place (read then returned by closing the channel). */
async function depth(name: string): Promise<number> {
  const connection = await connect(app.url);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(name)).messageCount;
  } finally {
    await connection.close();
  }
}

describe('jobsView(rabbitMqStore, { broker })', () => {
  it('answers each queue: ready, consumers and dead letters from AMQP, unacked and delayed null without the management API', async () => {
    const { status, body } = await app.get('broker');
    expect(status).toBe(200);
    expect(body.store).toBe(app.store.description);
    expect(body.queues).toEqual([
      {
        queue: 'mail',
        workQueue: `${app.store.deadLetterQueue('mail').slice(0, -'.dead'.length)}`,
        ready: 0,
        unacked: null,
        consumers: 1,
        delayed: null,
        delayLevels: null,
        dead: 3,
        deadLetterQueue: app.store.deadLetterQueue('mail'),
      },
    ]);
    expect(body.notes.join(' ')).toMatch(/unacked .* not available: .* pass managementUrl/);
    expect(body.executingHere).toBe(1);
  });

  it('lists the attempt executing in this process with its PID', async () => {
    const { body } = await app.get('jobs?state=executing');
    expect(body.jobs.map((job: Job) => [job.id, job.state, job.worker])).toEqual([
      [app.ids.executing, 'executing', 'slow-export'],
    ]);
    const one = await app.get(`jobs/${app.ids.executing}`);
    expect(one.body.job.state).toBe('executing');
    expect(one.body.pid).toMatch(/^#PID</);
  });

  it("lists the dead letters with every attempt's error and args redacted, in the same order on each read, leaving the queue as it was", async () => {
    const dlq = app.store.deadLetterQueue('mail');
    const first = (await app.get('jobs?state=discarded&queue=mail')).body.jobs as Job[];
    expect(first.map((job) => job.id).sort()).toEqual(
      [app.ids.charge, app.ids.declined, app.ids.hostile].sort(),
    );
    const charge = first.find((job) => job.id === app.ids.charge)!;
    expect(charge).toMatchObject({ state: 'discarded', attempt: 2, maxAttempts: 2 });
    expect(charge.errors.map((e) => e.message)).toEqual([
      'attempt 1: card declined <b>by the bank</b>',
      'attempt 2: card declined <b>by the bank</b>',
    ]);
    const hostile = first.find((job) => job.id === app.ids.hostile)!;
    expect(hostile.args).toEqual({ name: '<script>x()</script>', password: '[redacted]' });
    const every = (await app.get('jobs?state=discarded')).body;
    expect((every.jobs as Job[]).map((job) => job.id)).toEqual(first.map((job) => job.id));
    // Without the management API the queues are those this process runs: said, not implied.
    expect(every.notes).toEqual([
      expect.stringMatching(
        /\(only mail\): without the management API a broker cannot list its queues/,
      ),
    ]);
    expect(await depth(dlq)).toBe(3);
    const byWorker = (await app.get('jobs?state=discarded&worker=decline&limit=1')).body.jobs;
    expect(byWorker).toHaveLength(1);
    expect(byWorker[0].worker).toBe('decline');
  });

  it('moves dead letters through without counting a delivery: the messages stay new, with their headers', async () => {
    await app.get('jobs?state=discarded&queue=mail');
    const connection = await connect(app.url);
    try {
      const channel = await connection.createChannel();
      await channel.prefetch(10);
      const seen: { redelivered: boolean; headers: Record<string, unknown> }[] = [];
      const { consumerTag } = await channel.consume(app.store.deadLetterQueue('mail'), (m) => {
        if (m !== null)
          seen.push({ redelivered: m.fields.redelivered, headers: m.properties.headers ?? {} });
      });
      await untilHolding(seen, 3);
      await channel.cancel(consumerTag);
      expect(seen.map((m) => m.redelivered)).toEqual([false, false, false]);
      for (const m of seen) {
        expect(m.headers['x-delivery-count']).toBeUndefined();
        expect(typeof m.headers[HEADER.errors]).toBe('string');
      }
    } finally {
      // Closing without an ack gives them back (as redeliveries, once: the test's own read).
      await connection.close();
    }
    await untilQueueHolds(app.url, app.store.deadLetterQueue('mail'), 3);
  });

  it('shows a dead letter by id, and answers 404 naming where it looked for an unknown id', async () => {
    const { status, body } = await app.get(`jobs/${app.ids.declined}`);
    expect(status).toBe(200);
    expect(body.job).toMatchObject({ id: app.ids.declined, state: 'discarded', worker: 'decline' });
    expect(body.pid).toBeNull();
    const missing = await app.get('jobs/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('job_not_found');
    expect(missing.body.error).toMatch(/only among its dead letters and the jobs executing/);
  });

  it('retries a dead letter from the dead-letter queue: it runs again with its history and completes', async () => {
    app.heal();
    const { status, body } = await app.post(`jobs/${app.ids.charge}/retry`);
    expect(status).toBe(200);
    expect(body.before).toBe('discarded');
    expect(body.job).toMatchObject({ id: app.ids.charge, state: 'available', maxAttempts: 3 });
    expect(body.message).toMatch(/discarded -> available \(moved from the dead-letter queue/);
    await app.completed(app.ids.charge);
    expect(app.starts.get(app.ids.charge)).toEqual([1, 2, 3]);
    expect((await app.get('broker')).body.queues[0].dead).toBe(2);
    expect((await app.get(`jobs/${app.ids.charge}`)).status).toBe(404);
  });

  it('discards a dead letter for good', async () => {
    const { status, body } = await app.post(`jobs/${app.ids.declined}/discard`);
    expect(status).toBe(200);
    expect(body.message).toBe(
      `job ${app.ids.declined}: discarded -> removed from the dead-letter queue of mail`,
    );
    expect((await app.get(`jobs/${app.ids.declined}`)).status).toBe(404);
    expect(await depth(app.store.deadLetterQueue('mail'))).toBe(1);
    const again = await app.post(`jobs/${app.ids.declined}/discard`);
    expect([again.status, again.body.code]).toEqual([404, 'job_not_found']);
  });

  it('answers 501 not_available, naming the limitation, for what a broker cannot tell or do', async () => {
    const cases: [string, 'GET' | 'POST', unknown, RegExp][] = [
      ['counts', 'GET', undefined, /keeps no count of jobs by state/],
      ['queues', 'GET', undefined, /keeps no count of jobs by state/],
      ['jobs', 'GET', undefined, /cannot list every job/],
      ['jobs?state=completed', 'GET', undefined, /keeps nothing of completed jobs/],
      ['jobs?state=available,executing', 'GET', undefined, /cannot list available jobs/],
      ['jobs?state=scheduled', 'GET', undefined, /cannot list scheduled jobs/],
      [`jobs/${app.ids.hostile}/cancel`, 'POST', {}, /cannot cancel a queued job/],
      [
        `jobs/${app.ids.executing}/discard`,
        'POST',
        {},
        /cannot discard a job that is not a dead letter/,
      ],
      [
        'retry',
        'POST',
        { states: ['retryable'] },
        /cannot retry retryable or scheduled jobs early/,
      ],
    ];
    for (const [path, method, body, why] of cases) {
      const answer = method === 'GET' ? await app.get(path) : await app.post(path, body);
      expect([path, answer.status, answer.body.code]).toEqual([path, 501, 'not_available']);
      expect(answer.body.error).toMatch(/^not available on this store: RabbitMqStore\(/);
      expect(answer.body.error).toMatch(why);
    }
    const running = await app.post(`jobs/${app.ids.executing}/retry`);
    expect([running.status, running.body.code]).toEqual([409, 'not_applicable']);
    expect((await app.get('jobs?state=discarded&queue=nowhere')).body.code).toBe('unknown_queue');
  });

  it('without a broker inspector, says how to add one instead of showing empty queues', async () => {
    const broker = await app.get('broker', 'bare');
    expect([broker.status, broker.body.code]).toEqual([501, 'not_available']);
    expect(broker.body.error).toMatch(/rabbitMqInspector\(store\)/);
    const dead = await app.get('jobs?state=discarded', 'bare');
    expect(dead.status).toBe(501);
    const executing = await app.get('jobs?state=executing', 'bare');
    expect(executing.body.jobs.map((job: Job) => job.id)).toEqual([app.ids.executing]);
    const page = (await app.get('page', 'bare')).body;
    const note = page.blocks.find((b: { id?: string }) => b.id === 'broker');
    expect(note.text).toMatch(/^Queue depths and dead letters: not available on this store: /);
  });

  it('describes its pages: queues, executing with PIDs, what is not available; dead letters on request', async () => {
    const home = (await app.get('page')).body;
    const block = (page: { blocks: { id?: string }[] }, id: string) =>
      page.blocks.find((b) => b.id === id) as any;
    expect(home.title).toBe(`Jobs in ${app.store.description}`);
    const queues = block(home, 'queues');
    expect(queues.rows[0].map((cell: { text: string }) => cell.text)).toEqual([
      'mail',
      '0',
      'not available',
      '1',
      'not available',
      expect.stringMatching(/^\d+$/),
      '',
    ]);
    expect(queues.rows[0][5].link).toEqual(['dead', 'mail']);
    const executing = block(home, 'executing');
    expect(executing.rows[0][0]).toMatchObject({ text: app.ids.executing });
    expect(executing.rows[0][6].pid).toMatch(/^#PID</);
    const cards = block(home, 'totals').cards;
    expect(cards.find((c: { label: string }) => c.label === 'in flight (unacked)').value.text).toBe(
      'not available',
    );
    const missing = block(home, 'not-available').rows.map(
      (row: { text: string }[]) => row[0]?.text,
    );
    expect(missing).toEqual(expect.arrayContaining(['completed jobs, throughput', 'cancel']));
    const dead = (await app.get('page?at=dead/mail')).body;
    expect(dead.refresh).toBe(0);
    const rows = block(dead, 'dead-0').rows;
    expect(rows.map((row: { text: string }[]) => row[0]?.text)).toContain(app.ids.hostile);
    const actions = rows[0][5].actions.map((a: { label: string }) => a.label);
    expect(actions).toEqual(['retry', 'discard']);
    const job = (await app.get(`page?at=job/${app.ids.hostile}`)).body;
    expect(block(job, 'facts').facts[0][1].text).toBe('discarded');
    expect(job.refresh).toBe(0);
    const completed = await app.get('page?at=state/completed');
    expect([completed.status, completed.body.code]).toEqual([501, 'not_available']);
  });
});

describe('jobsView(store, { broker })', () => {
  it('refuses a broker inspector for a store that answers queries itself, where it would do nothing', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    const broker = rabbitMqInspector(app.store);
    try {
      expect(() => jobsView(sqlite, { broker })).toThrow(
        /`jobsView options\.broker` to be absent: a broker inspector is for a store that keeps no index/,
      );
      expect(() => jobsView(app.store, { broker: {} as never })).toThrow(/a broker inspector/);
    } finally {
      await broker.close();
      await sqlite.close();
    }
  });
});

describe('jobsView(rabbitMqStore) with the broker unreachable', () => {
  it('answers 503 store_unavailable naming the store for the depths and the dead letters; the page says so and shows the rest', async () => {
    const store = new RabbitMqStore({ url: 'amqp://guest:guest@127.0.0.1:9', prefix: 'gone' });
    const broker = rabbitMqInspector(store, { timeout: 500 });
    const runtime = new Runtime();
    const observer = await startObserver(runtime, {
      token: TOKEN,
      views: [jobsView(store, { broker })],
    });
    try {
      for (const path of ['broker', 'jobs?state=discarded']) {
        const res = await fetch(`${observer.url}/api/views/jobs/${path}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await res.json()) as { code: string; error: string };
        expect([path, res.status, body.code]).toEqual([path, 503, 'store_unavailable']);
        expect(body.error).toMatch(/in RabbitMqStore\(amqp:\/\/guest:\*\*\*@127\.0\.0\.1:9\)/);
      }
      // The page still shows what this process knows, and says the broker is unreachable.
      const res = await fetch(`${observer.url}/api/views/jobs/page`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const page = (await res.json()) as { blocks: { id?: string; text?: string }[] };
      expect(res.status).toBe(200);
      expect(page.blocks.find((b) => b.id === 'broker')?.text).toMatch(
        /^Queue depths: queues failed in RabbitMqStore\(/,
      );
      expect(page.blocks.map((b) => b.id)).toContain('executing');
    } finally {
      await observer.close();
      await runtime.stop();
      await broker.close();
      await store.close();
    }
  });
});

async function untilHolding(list: unknown[], count: number): Promise<void> {
  while (list.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
}
