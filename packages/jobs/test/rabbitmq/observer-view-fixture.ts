// A running node for the Jobs view's tests on RabbitMQ (API, page, CLI against the
// observer): a real runtime, a real queue on a RabbitMqStore on the run's private broker,
// a real observer over HTTP, and jobs in each state a broker can show: executing (held by
// a gate), dead letters (two failed attempts; one attempt; hostile args), one scheduled
// an hour ahead (in a delay queue) and one completed.
import { Runtime } from '@actorkit/core';
import { type Observer, startObserver } from '@actorkit/observer';
import { waitFor } from '@actorkit/test-support';
import { enqueue } from '../../src/enqueue.js';
import { jobsView } from '../../src/observer-view.js';
import { Queue } from '../../src/queue.js';
import { RabbitMqStore } from '../../src/rabbitmq/index.js';
import { type RabbitMqInspectorOptions, rabbitMqInspector } from '../../src/rabbitmq/inspect.js';
import { isJobReport } from '../../src/report.js';
import { defineWorker } from '../../src/worker.js';
import { uniquePrefix, untilQueueHolds } from './support.js';

export const TOKEN = 'rabbit-view-token-1234';

export interface RabbitJobsApp {
  url: string;
  /** The store's name prefix. */
  prefix: string;
  runtime: Runtime;
  store: RabbitMqStore;
  observer: Observer;
  ids: { executing: string; declined: string; charge: string; hostile: string };
  /** Lets the executing job finish. */
  release(): void;
  /** Makes charge-card succeed from now on (it fails until then). */
  heal(): void;
  /** Resolves once job `id` completed (its worker resolved and the store acked it). */
  completed(id: string): Promise<void>;
  /** The attempts each job started, by job id (`start` reports), in order. */
  starts: Map<string, number[]>;
  /** GET of the view's route `path` (`view` 'jobs' has a broker inspector; 'bare' has none). */
  get(path: string, view?: string): Promise<{ status: number; body: any }>;
  /** POST to the view's route `path`. */
  post(path: string, body?: unknown, view?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts the node; resolves once every job is where the tests expect it. */
export async function startRabbitJobsApp(
  url: string,
  inspectorOptions: RabbitMqInspectorOptions = {},
): Promise<RabbitJobsApp> {
  const runtime = new Runtime();
  const prefix = uniquePrefix();
  const store = new RabbitMqStore({ url, prefix, delayResolution: 20 });
  const completed = new Set<string>();
  const starts = new Map<string, number[]>();
  runtime.events.on('report', (report) => {
    if (!isJobReport(report) || report.jobId === undefined) return;
    if (report.event === 'stop') completed.add(report.jobId);
    if (report.event === 'start') {
      starts.set(report.jobId, [...(starts.get(report.jobId) ?? []), report.attempt as number]);
    }
  });
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
  const Decline = defineWorker({
    name: 'decline',
    queue: 'mail',
    maxAttempts: 1,
    perform: async (_args: Record<string, unknown>) => {
      throw new TypeError('declined for good');
    },
  });
  await Queue.start({
    store,
    runtime,
    queue: 'mail',
    node: 'rabbit-view',
    workers: [SendWelcome, Slow, ChargeCard, Decline],
    concurrency: 5,
    shutdownGrace: 50,
  });
  const broker = rabbitMqInspector(store, inspectorOptions);
  const observer = await startObserver(runtime, {
    token: TOKEN,
    views: [jobsView(store, { broker }), jobsView(store, { id: 'bare', title: 'Bare jobs' })],
  });
  const ids = {
    executing: (await enqueue(store, Slow, { n: 1 })).job.id,
    charge: (await enqueue(store, ChargeCard, { orderId: 'A-1' })).job.id,
    declined: (await enqueue(store, Decline, { reason: 'none' })).job.id,
    hostile: (await enqueue(store, Decline, { name: '<script>x()</script>', password: 'hunter2' }))
      .job.id,
  };
  const welcome = (await enqueue(store, SendWelcome, { userId: 1 })).job.id;
  await enqueue(store, SendWelcome, { userId: 2 }, { delay: 3_600_000 });
  // The dead letters, one by one, so their order in the dead-letter queue is known.
  await untilQueueHolds(url, store.deadLetterQueue('mail'), 3);
  await waitFor(() => completed.has(welcome) && starts.has(ids.executing), {
    what: 'the welcome job to complete and the slow one to start',
  });
  const call = async (method: 'GET' | 'POST', path: string, body: unknown, view: string) => {
    const res = await fetch(`${observer.url}/api/views/${view}/${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    url,
    prefix,
    runtime,
    store,
    observer,
    ids,
    release,
    heal: () => {
      failing = false;
    },
    completed: (id) =>
      waitFor(() => completed.has(id), { what: `job ${id} to complete` }).then(() => {}),
    starts,
    get: (path, view = 'jobs') => call('GET', path, undefined, view),
    post: (path, body = {}, view = 'jobs') => call('POST', path, body, view),
    close: async () => {
      release();
      await observer.close();
      await runtime.stop({ timeout: 5000 });
      await broker.close();
      await store.close();
    },
  };
}
