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
import { applyJobAction, isJobAction, JobActionRefusedError } from './cli-actions.js';
import { JobNotFoundError, StoreUnavailableError } from './errors.js';
import { JOB_STATES, type JobState } from './job.js';
import {
  executingPids,
  type RedactArgs,
  redactSecrets,
  shownJob,
  ThroughputHistory,
} from './observer-view-data.js';
import { renderJobsPage } from './observer-view-pages.js';
import { checkOptions, type OptionCheck } from './options.js';
import type { Store } from './store.js';

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
}

/** What the view's code shares: the store, the hook, and the throughput samples. */
export interface JobsViewState {
  store: Store;
  redact: RedactArgs;
  history: ThroughputHistory;
}

const CHECKS: Record<string, OptionCheck> = {
  redact: (v) => (typeof v === 'function' ? undefined : 'a function (args, job) => shown'),
  id: (v) => (typeof v === 'string' ? undefined : 'a string'),
  title: (v) => (typeof v === 'string' ? undefined : 'a string'),
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
 * Throws `InvalidArgumentError` for an unknown option or a value of the wrong type.
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
  const state: JobsViewState = {
    store,
    redact: options.redact ?? redactSecrets,
    history: new ThroughputHistory(),
  };
  return {
    id: options.id ?? 'jobs',
    title: options.title ?? 'Jobs',
    routes: routes(state),
    render: (request) => guard(request, () => renderJobsPage(state, request)),
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
  const { queue, worker, states } = r.body;
  const text = (v: unknown, name: string) => {
    if (v === undefined || typeof v === 'string') return v;
    throw r.error(400, 'bad_body', `Expected \`${name}\` to be a string, got ${typeof v}.`);
  };
  const chosen = states === undefined ? undefined : stateList(r, states, 'states');
  const retried = await view.store.retryAll({
    queue: text(queue, 'queue'),
    worker: text(worker, 'worker'),
    states: chosen,
  });
  const which = (chosen ?? ['discarded', 'retryable']).join(' and ');
  const of = [queue && `queue ${queue}`, worker && `worker ${worker}`].filter(Boolean).join(', ');
  return { retried, message: `retried ${retried} ${which} jobs${of ? ` of ${of}` : ''}.` };
}

function jobQuery(r: ViewRequest) {
  const q = r.query;
  const limitText = q.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw r.error(
      400,
      'bad_query',
      `Expected \`limit\` to be an integer from 1 to 1000, got ${JSON.stringify(limitText)}.`,
    );
  }
  const state = q.get('state');
  const after = q.get('after');
  return {
    state: state === null ? undefined : stateList(r, state.split(','), 'state'),
    queue: q.get('queue') ?? undefined,
    worker: q.get('worker') ?? undefined,
    limit,
    after: after ?? undefined,
  };
}

function stateList(r: ViewRequest, value: unknown, name: string): JobState[] {
  const list = Array.isArray(value) ? value : [value];
  for (const s of list) {
    if (!JOB_STATES.includes(s as JobState)) {
      throw r.error(
        400,
        'bad_state',
        `Expected \`${name}\` among ${JOB_STATES.join(', ')}, got ${JSON.stringify(s)}.`,
      );
    }
  }
  return list as JobState[];
}

/** Runs a route: the store's errors become 404 (no such job), 409 (refused), 503 (store unavailable). */
async function guard<T>(r: ViewRequest, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof JobNotFoundError) throw r.error(404, 'job_not_found', error.message);
    if (error instanceof JobActionRefusedError) throw r.error(409, 'not_applicable', error.message);
    if (error instanceof StoreUnavailableError)
      throw r.error(503, 'store_unavailable', error.message);
    throw error;
  }
}
