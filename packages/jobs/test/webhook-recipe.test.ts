// The webhook-delivery recipe of docs/coming-from-bullmq.md, run against real HTTP servers
// on 127.0.0.1. The guide's code blocks are the `#region guide:*` parts of this file (the
// last test checks they match), so the recipe a reader copies is the one tested here.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime, VirtualClock } from '@actorkit/core';
// #region guide:imports
import { type ChildSpec, StateMachine, Supervisor } from '@actorkit/genserver';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { defineWorker, enqueue, Queue, type SqliteStore } from '../src/index.js';
// #endregion
import { deferred, memoryStore, nextReport, stopRuntimes, virtualRuntime } from './support.js';

// #region guide:breaker
/** Opens after 3 failures in a row; after 30 s lets deliveries try again (half open). */
const circuitBreaker = setup({
  types: {
    context: {} as { failures: number },
    events: {} as { type: 'success' } | { type: 'failure' },
  },
  guards: { lastStraw: ({ context }) => context.failures + 1 >= 3 },
}).createMachine({
  id: 'circuit-breaker',
  context: { failures: 0 },
  initial: 'closed',
  states: {
    closed: {
      on: {
        success: { actions: assign({ failures: 0 }) },
        failure: [
          { guard: 'lastStraw', target: 'open' },
          { actions: assign({ failures: ({ context }) => context.failures + 1 }) },
        ],
      },
    },
    // Outcomes of deliveries still in flight when it opened change nothing here.
    open: { entry: assign({ failures: 0 }), after: { 30000: 'halfOpen' } },
    halfOpen: { on: { success: 'closed', failure: 'open' } },
  },
});

const breakerName = (url: string) => `breaker:${new URL(url).host}`;
// #endregion

// #region guide:worker
/** The host's breaker is open: the job waits (a snooze, not an attempt). */
class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
}

/** The endpoint refused the event for good (4xx other than 408 and 429). */
class RejectedError extends Error {
  override name = 'RejectedError';
}

interface Delivery {
  url: string;
  event: { id: string; type: string; data: unknown };
}

const DeliverWebhook = defineWorker({
  name: 'deliver-webhook',
  maxAttempts: 12,
  backoff: { initial: 1000, factor: 2, max: 3_600_000, jitter: 0.2 },
  timeout: 10_000, // ctx.signal aborts the request past it
  onError(error) {
    if (error instanceof CircuitOpenError) return { snooze: 5000 };
    if (error instanceof RejectedError) return 'discard';
    return 'retry';
  },
  async perform({ url, event }: Delivery, ctx) {
    const breaker = breakerName(url);
    const at = { runtime: ctx.runtime };
    const { value } = await StateMachine.getSnapshot<typeof circuitBreaker>(breaker, at);
    if (value === 'open') throw new CircuitOpenError(`${breaker} is open`);
    const outcome = (type: 'success' | 'failure') =>
      StateMachine.send<typeof circuitBreaker>(breaker, { type }, at);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': ctx.job.id },
        body: JSON.stringify(event),
        signal: ctx.signal,
      });
    } catch (error) {
      outcome('failure');
      throw error;
    }
    await response.body?.cancel();
    const transient = response.status >= 500 || [408, 429].includes(response.status);
    outcome(transient ? 'failure' : 'success');
    if (transient) throw new Error(`${url} answered ${response.status}`);
    if (response.status >= 400) throw new RejectedError(`${url} answered ${response.status}`);
  },
});
// #endregion

// #region guide:tree
/** Per host: its breaker, and a queue of its own whose concurrency is the host's limit. */
function webhookChildren(store: SqliteStore, hosts: string[], node: string): ChildSpec[] {
  return hosts.flatMap((host) => [
    StateMachine.childSpec(circuitBreaker, { id: `breaker:${host}`, name: `breaker:${host}` }),
    Queue.childSpec({
      store,
      queue: `webhooks:${host}`,
      node, // this process's stable name; the queue's node is `${node}/${queue}`
      workers: [DeliverWebhook],
      concurrency: 2,
    }),
  ]);
}

/** Enqueues one delivery; the same event to the same URL is enqueued once. */
function deliver(store: SqliteStore, url: string, event: Delivery['event']) {
  return enqueue(
    store,
    DeliverWebhook,
    { url, event },
    { queue: `webhooks:${new URL(url).host}`, key: `${url}#${event.id}` },
  );
}
// #endregion

/** A real HTTP endpoint on 127.0.0.1 that answers what `answer` says, recording each request. */
interface Endpoint {
  url: string;
  host: string;
  requests: { headers: IncomingHttpHeaders; body: unknown }[];
  inFlight: number;
  maxInFlight: number;
  /** The next status to answer, or 'hold' to keep the response until `release()`. */
  answer: () => number | 'hold';
  release(): void;
  /** Resolves once `n` requests have arrived. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

const endpoints: Endpoint[] = [];

async function endpoint(answer: Endpoint['answer']): Promise<Endpoint> {
  const held: ServerResponse[] = [];
  const waiting: { n: number; done: () => void }[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => void (text += chunk.toString()));
    request.on('end', () => {
      ep.requests.push({ headers: request.headers, body: JSON.parse(text) });
      ep.inFlight++;
      ep.maxInFlight = Math.max(ep.maxInFlight, ep.inFlight);
      response.on('finish', () => void ep.inFlight--);
      const status = ep.answer();
      if (status === 'hold') held.push(response);
      else response.writeHead(status).end();
      for (const w of waiting.filter((w) => ep.requests.length >= w.n)) w.done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const ep: Endpoint = {
    url: `http://127.0.0.1:${port}/hooks`,
    host: `127.0.0.1:${port}`,
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    answer,
    release: () => {
      for (const response of held.splice(0)) response.writeHead(200).end();
    },
    received: (n) =>
      ep.requests.length >= n
        ? Promise.resolve()
        : new Promise((done) => waiting.push({ n, done })),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  endpoints.push(ep);
  return ep;
}

afterEach(async () => {
  await stopRuntimes({ timeout: 0 });
  await Promise.all(endpoints.splice(0).map((ep) => ep.close()));
});

async function startRecipe(hosts: string[]) {
  const { runtime, clock } = virtualRuntime();
  const store = memoryStore(clock);
  await Supervisor.start(webhookChildren(store, hosts, 'app'), { runtime });
  return { runtime, clock, store };
}

/**
 * Resolves with the job's next report of `events`, moving the clock to when the job is due
 * and on by 100 ms steps until its attempt starts (at the latest at the queue's next poll).
 */
async function nextAttempt(
  runtime: Runtime,
  clock: VirtualClock,
  store: SqliteStore,
  jobId: string,
  events: string[] = ['stop', 'exception'],
) {
  const next = nextReport(runtime, (r) => r.jobId === jobId && events.includes(r.event));
  let started = false;
  void nextReport(runtime, (r) => r.jobId === jobId && r.event === 'start').then(() => {
    started = true;
  });
  const job = await store.get(jobId);
  await clock.advance(Math.max(0, Math.ceil(job!.runAt - clock.now())));
  while (!started) await clock.advance(100);
  return next;
}

const anEvent = (id: string) => ({ id, type: 'invoice.paid', data: { amount: 42 } });

describe('webhook delivery recipe', () => {
  it('POSTs the event once, with the job id as idempotency key, and completes the job', async () => {
    const hooks = await endpoint(() => 200);
    const { runtime, clock } = virtualRuntime();
    const store = memoryStore(clock);
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    // #region guide:start
    await Supervisor.start(webhookChildren(store, [hooks.host], 'api-1'), { runtime });
    const event = { id: 'evt_1', type: 'invoice.paid', data: { amount: 42 } };
    const { job } = await deliver(store, hooks.url, event);
    // #endregion
    const again = await deliver(store, hooks.url, event);
    await stopped;
    expect(again).toMatchObject({ inserted: false, job: { id: job.id } });
    expect(hooks.requests).toEqual([
      {
        headers: expect.objectContaining({ 'idempotency-key': job.id }),
        body: event,
      },
    ]);
    expect(await store.get(job.id)).toMatchObject({ state: 'completed', attempt: 1 });
  });

  it('keeps each host to 2 deliveries at once, while other hosts go on', async () => {
    const slow = await endpoint(() => 'hold');
    const fast = await endpoint(() => 200);
    const { runtime, store } = await startRecipe([slow.host, fast.host]);
    const done = { [slow.host]: 0, [fast.host]: 0 };
    const all = deferred();
    const fastDone = deferred();
    runtime.events.on('report', (r: { type?: string; event?: string; queue?: string }) => {
      if (r.type !== 'job' || r.event !== 'stop') return;
      const host = r.queue!.slice('webhooks:'.length);
      done[host]!++;
      if (done[fast.host] === 3) fastDone.resolve();
      if (done[slow.host] === 5 && done[fast.host] === 3) all.resolve();
    });
    for (let i = 0; i < 5; i++) await deliver(store, slow.url, anEvent(`slow_${i}`));
    for (let i = 0; i < 3; i++) await deliver(store, fast.url, anEvent(`fast_${i}`));
    await fastDone.promise;
    await slow.received(2);
    expect(slow.inFlight).toBe(2);
    slow.answer = () => 200;
    slow.release();
    await all.promise;
    expect(slow.requests).toHaveLength(5);
    expect(slow.maxInFlight).toBe(2);
  });

  it('opens the host breaker after 3 failures, snoozes deliveries without calling the host, and closes after a success half open', async () => {
    let calls = 0;
    const flaky = await endpoint(() => (++calls <= 3 ? 503 : 200));
    const { runtime, clock, store } = await startRecipe([flaky.host]);
    const breaker = { runtime };
    const firstTry = nextReport(runtime, (r) => r.event === 'exception');
    const { job } = await deliver(store, flaky.url, anEvent('evt_2'));
    expect(await firstTry).toMatchObject({ attempt: 1, decision: 'retry' });
    for (const attempt of [2, 3]) {
      expect(await nextAttempt(runtime, clock, store, job.id)).toMatchObject({
        attempt,
        decision: 'retry',
      });
    }
    const opened = clock.now();
    expect((await StateMachine.getSnapshot(breakerName(flaky.url), breaker)).value).toBe('open');
    // While open: the job is snoozed, the host is not called, no attempt is spent.
    let report = await nextAttempt(runtime, clock, store, job.id);
    expect(report).toMatchObject({ event: 'exception', decision: 'snooze' });
    while (report.event !== 'stop') {
      if (clock.now() < opened + 30_000) expect(flaky.requests).toHaveLength(3);
      report = await nextAttempt(runtime, clock, store, job.id);
    }
    expect(clock.now()).toBeGreaterThanOrEqual(opened + 30_000);
    expect(flaky.requests).toHaveLength(4);
    expect((await StateMachine.getSnapshot(breakerName(flaky.url), breaker)).value).toBe('closed');
    const delivered = await store.get(job.id);
    expect(delivered).toMatchObject({ state: 'completed', attempt: 4 });
    expect(delivered!.errors.map((e) => e.message)).toEqual([
      `${flaky.url} answered 503`,
      `${flaky.url} answered 503`,
      `${flaky.url} answered 503`,
    ]);
  });

  it('discards a delivery the endpoint refuses for good, keeping the error, and delivers it when retried by hand', async () => {
    let status = 410;
    const gone = await endpoint(() => status);
    const { runtime, clock, store } = await startRecipe([gone.host]);
    const discarded = nextReport(runtime, (r) => r.event === 'discard');
    const { job } = await deliver(store, gone.url, anEvent('evt_3'));
    await discarded;
    const dead = await store.get(job.id);
    expect(dead).toMatchObject({ state: 'discarded', attempt: 1 });
    expect(dead!.errors.map((e) => e.message)).toEqual([`${gone.url} answered 410`]);
    status = 204;
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await store.retryJob(job.id);
    await clock.advance(1000); // the queue's next poll (pollInterval) finds it
    await stopped;
    expect(await store.get(job.id)).toMatchObject({ state: 'completed' });
    expect(gone.requests).toHaveLength(2);
  });

  it('is the code of docs/coming-from-bullmq.md', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const guide = readFileSync(new URL('../docs/coming-from-bullmq.md', import.meta.url), 'utf8');
    const regions = new Map(
      [...source.matchAll(/( *)\/\/ #region guide:(\w+)\n([\s\S]*?) *\/\/ #endregion\n/g)].map(
        ([, indent, name, code]) => [
          name!,
          code!
            .replace(new RegExp(`^${indent}`, 'gm'), '')
            .replaceAll("'../src/index.js'", "'@actorkit/jobs'")
            // The formatter sorts the test's own import into the region.
            .replace(/^import .* from 'vitest';\n/m, ''),
        ],
      ),
    );
    const blocks = new Map(
      [...guide.matchAll(/<!-- recipe:(\w+) -->\n```ts\n([\s\S]*?)```\n/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    expect([...guide.matchAll(/```\w*\n/g)]).toHaveLength(2 * blocks.size); // no unchecked code
    expect([...blocks.keys()].sort()).toEqual([...regions.keys()].sort());
    for (const [name, code] of regions) expect(blocks.get(name), name).toBe(code);
  });
});
