/**
 * The Jobs view of `@actorkit/observer`: a tab in the observer's dashboard and JSON routes
 * for the jobs of one store. It shows each queue's jobs by state with a throughput chart
 * (completed and failed per second), the executing jobs with the PID of their attempt
 * (a link to the observer's process page, for attempts running in the observer's
 * process), the retryable and discarded jobs with every attempt's error, and a page per
 * job; it retries, cancels and discards jobs, one or in bulk by queue or worker. Args are
 * shown through a redaction hook.
 *
 * It reads and writes through the `Store` interface only, so any store plugs in, and it
 * imports nothing of the observer at run time (its types only): this package works
 * without it.
 *
 * @example
 * import { startObserver } from '@actorkit/observer';
 * import { jobsView, SqliteStore } from '@actorkit/jobs';
 *
 * const store = new SqliteStore({ path: 'data/jobs.db' });
 * const observer = await startObserver(runtime, { views: [jobsView(store)] });
 * console.log(`${observer.dashboardUrl}#view/jobs`);
 */
import { InvalidArgumentError } from '@actorkit/core';
import type { ObserverView, ViewRequest, ViewRoute } from '@actorkit/observer';
import { applyJobAction, isJobAction } from './cli-actions.js';
import { JobNotFoundError } from './errors.js';
import { type BrokerInspector, isBrokerInspector } from './observer-view-broker.js';
import { renderBrokerPage } from './observer-view-broker-pages.js';
import { brokerRoutes } from './observer-view-broker-routes.js';
import {
  executingPids,
  type RedactArgs,
  redactSecrets,
  shownJob,
  ThroughputHistory,
} from './observer-view-data.js';
import { bodyText, guard, jobQuery, stateList } from './observer-view-http.js';
import { renderJobsPage } from './observer-view-pages.js';
import { checkOptions, type OptionCheck } from './options.js';
import { hasCapability, type Store } from './store.js';

export { type RedactArgs, redactSecrets } from './observer-view-data.js';

/** Options of {@link jobsView}. */
export interface JobsViewOptions {
  /**
   * What the view (pages and JSON) shows of a job's args: `redact(args, job)` returns it.
   * A hook that throws shows a note instead of the args.
   * @default redactSecrets: the args, with the values of keys naming secrets (password,
   * token, apiKey, secret, authorization, cookie, session, …) masked
   */
  redact?: RedactArgs;
  /** The view's id in URLs (`/api/views/<id>/…`, `#view/<id>`). @default 'jobs' */
  id?: string;
  /** The tab's title. @default 'Jobs' */
  title?: string;
  /**
   * For a store that keeps no index of its jobs (`RabbitMqStore`: `capabilities.query` is
   * false), what its broker can tell: queue depths, consumers and dead letters, which the
   * view can retry or discard. `rabbitMqInspector(store)` of `@actorkit/jobs/rabbitmq`.
   * @default none: the view shows the jobs executing in this process, and says that the
   * rest is not available
   */
  broker?: BrokerInspector;
}

/** What the view's code shares: the store, the hook, and the throughput samples. */
export interface JobsViewState {
  store: Store;
  redact: RedactArgs;
  history: ThroughputHistory;
  /** What the broker of a store without queries can tell, if given. */
  broker: BrokerInspector | undefined;
}

const CHECKS: Record<string, OptionCheck> = {
  redact: (v) => (typeof v === 'function' ? undefined : 'a function (args, job) => shown'),
  id: (v) => (typeof v === 'string' ? undefined : 'a string'),
  title: (v) => (typeof v === 'string' ? undefined : 'a string'),
  broker: (v) =>
    isBrokerInspector(v) ? undefined : 'a broker inspector (rabbitMqInspector(store))',
};

/**
 * The Jobs view of `store`, to pass to `startObserver(runtime, { views: [jobsView(store)] })`.
 * Its routes, under `/api/views/jobs/` (behind the observer's token like every read; the
 * POSTs need it from a header or the dashboard's own page):
 *
 * | route                              |                                                         |
 * | ---------------------------------- | ------------------------------------------------------- |
 * | `GET counts`                       | `{ counts }`: jobs per queue and state                  |
 * | `GET queues`                       | `{ queues }`: counts and throughput per queue           |
 * | `GET jobs?state=&queue=&worker=&limit=&after=` | `{ jobs }` in id order (limit 100, at most 1,000) |
 * | `GET jobs/:id`                     | `{ job, pid }` (`pid` while it runs in this process)    |
 * | `POST jobs/:id/retry` (`cancel`, `discard`) | `{ job, before, message }`; 409 if it does not apply |
 * | `POST retry` `{ queue?, worker?, states? }` | `{ retried, message }`: bulk retry (discarded and retryable by default) |
 *
 * On a store that keeps no index of its jobs (`RabbitMqStore`: `capabilities.query` is
 * false) the view shows what its broker can tell, through `options.broker`: `GET broker`
 * answers `{ store, queues, notes, executingHere }` (per queue: ready, unacked, consumers,
 * delayed, dead letters; `null` where the broker cannot tell, with the reason in `notes`);
 * `GET jobs?state=executing` lists this process's attempts and `state=discarded` the dead
 * letters; `GET jobs/:id` finds a job among those; `POST jobs/:id/retry` moves a dead letter
 * back to its work queue and `discard` removes it; `POST retry` retries every dead letter
 * (of a queue, a worker). Everything else (counts by state, completed or waiting jobs,
 * cancel) answers 501 `not_available` with `not available on this store: <why>`, and the
 * page says the same: never an empty list that would read as "none".
 *
 * Throws `InvalidArgumentError` for an unknown option or a value of the wrong type.
 *
 * @example
 * import { RabbitMqStore, rabbitMqInspector } from '@actorkit/jobs/rabbitmq';
 * const rabbit = new RabbitMqStore({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * const broker = rabbitMqInspector(rabbit, { managementUrl: 'http://127.0.0.1:15672' });
 * await startObserver(runtime, { views: [jobsView(rabbit, { broker })] });
 */
export function jobsView(store: Store, options: JobsViewOptions = {}): ObserverView {
  if (typeof (store as Partial<Store> | null)?.counts !== 'function') {
    throw new InvalidArgumentError(
      'jobsView store',
      'a job store (a Store, e.g. SqliteStore)',
      store,
    );
  }
  checkOptions(options, CHECKS, 'jobsView options');
  const queryable = hasCapability(store.capabilities, 'query');
  if (queryable && options.broker !== undefined) {
    throw new InvalidArgumentError(
      'jobsView options.broker',
      `absent: a broker inspector is for a store that keeps no index of its jobs (capabilities.query false, as RabbitMqStore), and ${store.description} answers every query itself`,
      options.broker,
    );
  }
  const state: JobsViewState = {
    store,
    redact: options.redact ?? redactSecrets,
    history: new ThroughputHistory(),
    broker: options.broker,
  };
  // A broker counts messages, not jobs by state: its own routes and pages say what it can tell.
  return {
    id: options.id ?? 'jobs',
    title: options.title ?? 'Jobs',
    routes: queryable ? routes(state) : brokerRoutes(state),
    render: (request) =>
      guard(request, () =>
        queryable ? renderJobsPage(state, request) : renderBrokerPage(state, request),
      ),
  };
}

function routes(view: JobsViewState): ViewRoute[] {
  const { store } = view;
  const read = (path: string, handle: (r: ViewRequest) => Promise<unknown>): ViewRoute => ({
    method: 'GET',
    path,
    handle: (r) => guard(r, () => handle(r)),
  });
  return [
    read('counts', async () => ({ counts: await store.counts() })),
    read('queues', async () => {
      const counts = await store.counts();
      view.history.add(store.now(), counts);
      return { queues: counts.map((c) => ({ ...c, throughput: view.history.of(c.queue) })) };
    }),
    read('jobs', async (r) => {
      const jobs = await store.list(jobQuery(r));
      return { jobs: jobs.map((job) => shownJob(view.redact, job)) };
    }),
    read('jobs/:id', async (r) => {
      const id = r.params.id as string;
      const job = await store.get(id);
      if (job === undefined) throw new JobNotFoundError(id, store.description);
      const running = job.state === 'executing' ? await executingPids(store, r.runtime) : undefined;
      const pid = running?.get(id);
      return {
        job: shownJob(view.redact, job),
        pid: pid !== undefined && pid.incarnation === job.node ? String(pid.pid) : null,
      };
    }),
    {
      method: 'POST',
      path: 'jobs/:id/:action',
      handle: (r) => guard(r, () => act(view, r)),
    },
    { method: 'POST', path: 'retry', handle: (r) => guard(r, () => retryAll(view, r)) },
  ];
}

async function act(view: JobsViewState, r: ViewRequest) {
  const { id, action } = r.params as { id: string; action: string };
  if (!isJobAction(action)) {
    throw r.error(
      404,
      'unknown_action',
      `Unknown job action ${JSON.stringify(action)}; expected retry, cancel or discard.`,
    );
  }
  const { before, after } = await applyJobAction(view.store, action, id);
  return {
    job: shownJob(view.redact, after),
    before: before.state,
    message: `job ${id}: ${before.state} -> ${after.state}`,
  };
}

async function retryAll(view: JobsViewState, r: ViewRequest) {
  const queue = bodyText(r, 'queue');
  const worker = bodyText(r, 'worker');
  const { states } = r.body;
  const chosen = states === undefined ? undefined : stateList(r, states, 'states');
  const retried = await view.store.retryAll({ queue, worker, states: chosen });
  const which = (chosen ?? ['discarded', 'retryable']).join(' and ');
  const of = [queue && `queue ${queue}`, worker && `worker ${worker}`].filter(Boolean).join(', ');
  return { retried, message: `retried ${retried} ${which} jobs${of ? ` of ${of}` : ''}.` };
}
