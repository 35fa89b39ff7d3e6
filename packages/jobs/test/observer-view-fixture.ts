// A running node for the Jobs view's tests (API, browser, CLI against an observer): a real
// runtime, a real queue on a SQLite store, a real observer over HTTP, and jobs in each
// state the view shows: completed, executing (held by a gate), retryable, discarded (two
// failed attempts), and one whose args are hostile.
import { Runtime } from '@actorkit/core';
import { type Observer, startObserver } from '@actorkit/observer';
import { waitFor } from '@actorkit/test-support';
import { enqueue } from '../src/enqueue.js';
import type { JobState } from '../src/job.js';
import { type JobsViewOptions, jobsView } from '../src/observer-view.js';
import { Queue } from '../src/queue.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { defineWorker } from '../src/worker.js';

export const TOKEN = 'jobs-view-token-1234';

/** The args of the hostile job: markup, a secret, control and bidi characters, a long string. */
export const HOSTILE_ARGS = {
  name: '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>',
  password: 'hunter2',
  nested: { apiKey: 'sk-live-123', note: '\u202egnp.exe\u0000\u001b[31m' },
  long: 'x'.repeat(50_000),
};

export interface JobsApp {
  runtime: Runtime;
  store: SqliteStore;
  observer: Observer;
  ids: {
    completed: string;
    executing: string;
    retryable: string;
    discarded: string;
    hostile: string;
  };
  /** Lets the executing job finish. */
  release(): void;
  /** Makes charge-card succeed from now on (it fails until then). */
  heal(): void;
  /** Waits until job `id` is in `state`. */
  until(id: string, state: JobState): Promise<void>;
  close(): Promise<void>;
}

/** Starts the node, with `options` for the view; resolves once every job is in its state. */
export async function startJobsApp(options: JobsViewOptions = {}): Promise<JobsApp> {
  const runtime = new Runtime();
  const store = new SqliteStore({ path: ':memory:' });
  let failing = true;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const SendWelcome = defineWorker({
    name: 'send-welcome',
    queue: 'mail',
    perform: async (_args: Record<string, unknown>) => {},
  });
  const Slow = defineWorker({
    name: 'slow-export',
    queue: 'mail',
    perform: async (_args: { n: number }) => gate,
  });
  const ChargeCard = defineWorker({
    name: 'charge-card',
    queue: 'mail',
    maxAttempts: 2,
    backoff: () => 0,
    perform: async (_args: { orderId: string }, ctx) => {
      if (!failing) return;
      throw new Error(`attempt ${ctx.attempt}: card declined <b>by the bank</b>`);
    },
  });
  const Flaky = defineWorker({
    name: 'flaky-sync',
    queue: 'mail',
    maxAttempts: 5,
    backoff: () => 3_600_000,
    perform: async (_args: { account: string }) => {
      throw new TypeError('upstream 502');
    },
  });
  await Queue.start({
    store,
    runtime,
    queue: 'mail',
    node: 'view-test',
    workers: [SendWelcome, Slow, ChargeCard, Flaky],
    concurrency: 5,
    shutdownGrace: 50,
  });
  const observer = await startObserver(runtime, {
    token: TOKEN,
    views: [jobsView(store, options)],
  });
  const until = (id: string, state: JobState) =>
    waitFor(async () => (await store.get(id))?.state === state, {
      what: `job ${id} to be ${state}`,
    }).then(() => {});
  const ids = {
    completed: (await enqueue(store, SendWelcome, { userId: 1 })).job.id,
    executing: (await enqueue(store, Slow, { n: 1 })).job.id,
    retryable: (await enqueue(store, Flaky, { account: 'acme' })).job.id,
    discarded: (await enqueue(store, ChargeCard, { orderId: 'A-1' })).job.id,
    hostile: (await enqueue(store, SendWelcome, HOSTILE_ARGS)).job.id,
  };
  await until(ids.completed, 'completed');
  await until(ids.executing, 'executing');
  await until(ids.retryable, 'retryable');
  await until(ids.discarded, 'discarded');
  await until(ids.hostile, 'completed');
  return {
    runtime,
    store,
    observer,
    ids,
    release,
    heal: () => {
      failing = false;
    },
    until,
    close: async () => {
      release();
      await observer.close();
      await runtime.stop({ timeout: 5000 });
      await store.close();
    },
  };
}

/** A GET of the Jobs view's route `path`, with the token unless `token` says otherwise (null: none). */
export async function getView(
  observer: Observer,
  path: string,
  token: string | null = TOKEN,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${observer.url}/api/views/jobs/${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

/** A POST to the Jobs view's route `path`, with the token unless `token` says otherwise (null: none). */
export async function postView(
  observer: Observer,
  path: string,
  body: unknown = {},
  token: string | null = TOKEN,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${observer.url}/api/views/jobs/${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
