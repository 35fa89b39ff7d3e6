/**
 * @internal Where the `actorkit-jobs` CLI reads and acts: a store on a database file, or a
 * running observer's Jobs view over HTTP. Both give the same jobs, so the CLI prints the
 * same output either way.
 */
import { applyJobAction, type JobAction } from './cli-actions.js';
import { JobNotFoundError } from './errors.js';
import type { Job, JobState } from './job.js';
import type { BrokerQueues } from './observer-view-broker.js';
import type { JobQuery, QueueCounts, RetryFilter, Store } from './store.js';

/** What a Jobs view on a broker answers for `GET broker`: depths per queue, and what it cannot tell. */
export interface BrokerAnswer extends BrokerQueues {
  store: string;
  /** Attempts executing in the observer's process (none when the CLI reads the broker itself). */
  executingHere?: number;
}

/** What the CLI needs of where the jobs are. */
export interface CliBackend {
  /** Jobs matching `query`; `notes` say what the list may leave out (a broker that could not list its queues). */
  list(query: JobQuery): Promise<{ jobs: Job[]; notes?: string[] }>;
  counts(): Promise<QueueCounts[]>;
  /** The job, or a rejection saying there is none. */
  get(id: string): Promise<Job>;
  /** Applies `action`; rejects (changing nothing) when it does not apply. `message` says what happened, when the view words it. */
  act(action: JobAction, id: string): Promise<{ before: JobState; after: Job; message?: string }>;
  retryAll(filter: RetryFilter): Promise<number>;
  /** The queues' depths, where the jobs are on a broker (an observer's Jobs view of a RabbitMQ store). */
  broker?(): Promise<BrokerAnswer>;
}

/** The CLI could not do what it was asked (exit code 1); the message says why, `code` is the observer's error code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The jobs of `store` (a database file the CLI opened). */
export function storeBackend(store: Store): CliBackend {
  return {
    list: async (query) => ({ jobs: await store.list(query) }),
    counts: () => store.counts(),
    get: async (id) => {
      const job = await store.get(id);
      if (job === undefined) throw new JobNotFoundError(id, store.description);
      return job;
    },
    act: async (action, id) => {
      const { before, after } = await applyJobAction(store, action, id);
      return { before: before.state, after };
    },
    retryAll: (filter) => store.retryAll(filter),
  };
}

/** Where a running observer is, and what to present to it. */
export interface ObserverTarget {
  /** Its base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  token: string;
  /** The Jobs view's id. @default 'jobs' */
  view: string;
}

/**
 * The jobs a running observer's Jobs view serves (`GET`/`POST /api/views/<view>/…`, the
 * token as `Authorization: Bearer`). Args come as the view's `redact` hook shows them.
 * An answer other than 2xx rejects with `CliFailure` carrying the observer's message.
 */
export function observerBackend(target: ObserverTarget): CliBackend {
  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    request(target, method, path, body);
  return {
    list: async (query) => {
      // The view answers at most 1,000 jobs a request: page on by id up to the limit.
      const limit = query.limit ?? 100;
      const jobs: Job[] = [];
      const notes = new Set<string>();
      let after = query.after;
      while (jobs.length < limit) {
        const q = new URLSearchParams();
        if (query.state !== undefined) q.set('state', [query.state].flat().join(','));
        if (query.queue !== undefined) q.set('queue', query.queue);
        if (query.worker !== undefined) q.set('worker', query.worker);
        if (after !== undefined) q.set('after', after);
        const page = Math.min(limit - jobs.length, 1000);
        q.set('limit', String(page));
        const answer = (await call('GET', `jobs?${q}`)) as { jobs: Job[]; notes?: unknown };
        const got = answer.jobs;
        jobs.push(...got);
        if (Array.isArray(answer.notes)) for (const note of answer.notes) notes.add(String(note));
        if (got.length < page) break;
        after = got.at(-1)?.id;
      }
      return { jobs, notes: [...notes] };
    },
    counts: async () => ((await call('GET', 'counts')) as { counts: QueueCounts[] }).counts,
    get: async (id) => ((await call('GET', `jobs/${encodeURIComponent(id)}`)) as { job: Job }).job,
    act: async (action, id) => {
      const answer = (await call('POST', `jobs/${encodeURIComponent(id)}/${action}`)) as {
        job: Job;
        before: JobState;
        message?: unknown;
      };
      const message = typeof answer.message === 'string' ? answer.message : undefined;
      return { before: answer.before, after: answer.job, message };
    },
    retryAll: async (filter) =>
      ((await call('POST', 'retry', filter)) as { retried: number }).retried,
    broker: async () => (await call('GET', 'broker')) as BrokerAnswer,
  };
}

async function request(
  target: ObserverTarget,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
): Promise<unknown> {
  const base = target.url.replace(/\/+$/, '');
  const url = `${base}/api/views/${encodeURIComponent(target.view)}/${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as Error).message;
    throw new CliFailure(`cannot reach the observer at ${base}: ${String(cause)}.`);
  }
  let answer: { error?: unknown; code?: unknown } | undefined;
  try {
    answer = (await response.json()) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (response.ok && answer !== undefined) return answer;
  if (answer?.code === 'unknown_view') {
    throw new CliFailure(
      `the observer at ${base} has no view ${JSON.stringify(target.view)}: start it with views: [jobsView(store)] (or pass --view <id>).`,
    );
  }
  const message = typeof answer?.error === 'string' ? answer.error : `HTTP ${response.status}`;
  throw new CliFailure(message, typeof answer?.code === 'string' ? answer.code : undefined);
}
