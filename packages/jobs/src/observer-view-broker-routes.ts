/**
 * @internal The Jobs view's routes for a store that keeps no index of its jobs (a broker:
 * `capabilities.query` false). The same paths as for a queryable store, so the CLI and
 * other clients work unchanged where the broker can answer, and a typed error where it
 * cannot: 501 `not_available` naming the limitation, never an empty list that reads as
 * "none".
 *
 * - `GET jobs?state=executing`: the attempts running in this process (from its producers);
 *   `state=discarded`: the dead letters (of `queue`, or every queue); other states 501.
 * - `GET jobs/:id`: a job executing here, or a dead letter; else 404 saying where it looked.
 * - `POST jobs/:id/retry`: a dead letter back to its work queue; `discard`: a dead letter
 *   removed for good; `cancel` 501.
 * - `POST retry` `{ queue?, worker? }`: every dead letter (of a queue, a worker) back.
 * - `GET broker`: each queue's depths and consumers, with what could not be told.
 * - `GET counts`, `GET queues`: 501 (a broker counts messages, not jobs by state).
 */
import type { ViewRequest, ViewRoute } from '@actorkit/observer';
import { isJobAction } from './cli-actions.js';
import { JobNotFoundError } from './errors.js';
import type { Job, JobState } from './job.js';
import type { JobsViewState } from './observer-view.js';
import type { BrokerInspector } from './observer-view-broker.js';
import { runningHere, shownJob } from './observer-view-data.js';
import { bodyText, guard, jobQuery, notAvailable, stateList } from './observer-view-http.js';

/** Why a store without queries cannot answer each kind of question, for 501 answers and the page. */
export function limits(description: string) {
  return {
    counts: `${description} keeps no count of jobs by state: a broker counts messages per queue (completed jobs were acked away; scheduled and retrying jobs wait in the same delay queues). GET broker answers what it counts.`,
    completed: `${description} keeps nothing of completed jobs: the broker acks them away.`,
    waiting: (state: string) =>
      `${description} cannot list ${state} jobs: they are messages in a queue, which a broker does not let anyone read without taking them (only dead letters are read, by moving them through).`,
    cancel: `${description} cannot cancel a queued job: a broker cannot find a queued message by id (the job runs, or is discarded by its worker).`,
    discardRunning: `${description} cannot discard a job that is not a dead letter: a broker cannot find a queued message by id; an executing job's worker decides its outcome.`,
    retryWaiting: `${description} cannot retry retryable or scheduled jobs early: they wait in delay queues and come back by themselves when due. Only dead letters are retried.`,
    noInspector: `${description} is a broker: its queue depths and dead letters need a broker inspector, jobsView(store, { broker: rabbitMqInspector(store) }) (from @actorkit/jobs/rabbitmq).`,
    lookup: `a broker finds a job by id only among its dead letters and the jobs executing in this process`,
  };
}

/** The routes of the view on a store without queries. */
export function brokerRoutes(view: JobsViewState): ViewRoute[] {
  const why = limits(view.store.description);
  const route = (
    method: 'GET' | 'POST',
    path: string,
    handle: (r: ViewRequest) => Promise<unknown>,
  ): ViewRoute => ({ method, path, handle: (r) => guard(r, () => handle(r)) });
  return [
    route('GET', 'counts', async (r) => {
      throw notAvailable(r, why.counts);
    }),
    route('GET', 'queues', async (r) => {
      throw notAvailable(r, why.counts);
    }),
    route('GET', 'broker', async (r) => {
      const broker = inspector(view, r);
      const here = await runningHere(view.store, r.runtime);
      return {
        store: view.store.description,
        ...(await broker.queues(here.queues)),
        executingHere: here.attempts.length,
      };
    }),
    route('GET', 'jobs', (r) => listJobs(view, r)),
    route('GET', 'jobs/:id', async (r) => {
      const found = await findJob(view, r, r.params.id as string);
      return { job: shownJob(view.redact, found.job), pid: found.pid ?? null };
    }),
    route('POST', 'jobs/:id/:action', (r) => act(view, r)),
    route('POST', 'retry', async (r) => {
      const queue = bodyText(r, 'queue');
      const worker = bodyText(r, 'worker');
      if (r.body.states !== undefined) {
        const states = stateList(r, r.body.states, 'states');
        if (states.some((s) => s !== 'discarded')) throw notAvailable(r, why.retryWaiting);
      }
      const here = await runningHere(view.store, r.runtime);
      const retried = await inspector(view, r).retryDeadLetters({ queue, worker }, here.queues);
      const of = [queue && `queue ${queue}`, worker && `worker ${worker}`].filter(Boolean);
      return {
        retried,
        message: `retried ${retried} dead letters${of.length > 0 ? ` of ${of.join(', ')}` : ''}.`,
      };
    }),
  ];
}

/** The view's broker inspector, or a 501 saying how to give one. */
export function inspector(view: JobsViewState, r: ViewRequest): BrokerInspector {
  if (view.broker === undefined) {
    throw notAvailable(r, limits(view.store.description).noInspector);
  }
  return view.broker;
}

async function listJobs(view: JobsViewState, r: ViewRequest) {
  const why = limits(view.store.description);
  const query = jobQuery(r);
  const states: JobState[] = query.state ?? [];
  if (states.length === 0) {
    throw notAvailable(
      r,
      `${view.store.description} cannot list every job; ask for state=executing (this process's attempts) or state=discarded (the dead letters).`,
    );
  }
  for (const state of states) {
    if (state === 'completed') throw notAvailable(r, why.completed);
    if (state !== 'executing' && state !== 'discarded') throw notAvailable(r, why.waiting(state));
  }
  const jobs: Job[] = [];
  const notes: string[] = [];
  const here = await runningHere(view.store, r.runtime);
  if (states.includes('executing')) jobs.push(...here.attempts.map((a) => a.job));
  if (states.includes('discarded')) {
    const broker = inspector(view, r);
    let queues = query.queue === undefined ? undefined : [query.queue];
    if (queues === undefined) {
      const known = await broker.queues(here.queues);
      queues = known.queues.map((q) => q.queue);
      if (!known.complete) notes.push(partialQueues(queues));
    }
    // `after` pages on in the listing's order (dead letters in their queue's order), and a
    // worker filter applies before the limit: both need every dead letter read.
    const whole = query.after !== undefined || query.worker !== undefined;
    const wanted = query.limit + (whole ? 1_000_000 : 0);
    for (const queue of queues) {
      jobs.push(...(await broker.deadLetters(queue, wanted)).jobs);
    }
  }
  let listed = jobs.filter(
    (job) =>
      (query.queue === undefined || job.queue === query.queue) &&
      (query.worker === undefined || job.worker === query.worker),
  );
  if (query.after !== undefined) {
    const at = listed.findIndex((job) => job.id === query.after);
    listed = at < 0 ? [] : listed.slice(at + 1);
  }
  const shown = listed.slice(0, query.limit).map((job) => shownJob(view.redact, job));
  return notes.length === 0 ? { jobs: shown } : { jobs: shown, notes };
}

/** The note on dead letters of "every queue" when the broker could not list its queues. */
export function partialQueues(queues: readonly string[]): string {
  const which = queues.length === 0 ? 'none is known' : `only ${queues.join(', ')}`;
  return `dead letters of the queues this process runs or the inspector was given (${which}): without the management API a broker cannot list its queues (pass managementUrl, or queues, to rabbitMqInspector).`;
}

/** Job `id`: executing in this process, else a dead letter; a 404 saying where it looked. */
export async function findJob(
  view: JobsViewState,
  r: ViewRequest,
  id: string,
): Promise<{ job: Job; pid?: string }> {
  const here = await runningHere(view.store, r.runtime);
  const running = here.attempts.find((a) => a.job.id === id);
  if (running !== undefined) {
    return {
      job: running.job,
      pid: running.pid === undefined ? undefined : String(running.pid),
    };
  }
  const dead = await inspector(view, r).findDeadLetter(id, here.queues);
  if (dead !== undefined) return { job: dead };
  throw new JobNotFoundError(
    id,
    `${view.store.description} (${limits(view.store.description).lookup})`,
  );
}

async function act(view: JobsViewState, r: ViewRequest) {
  const { id, action } = r.params as { id: string; action: string };
  const why = limits(view.store.description);
  if (!isJobAction(action)) {
    throw r.error(
      404,
      'unknown_action',
      `Unknown job action ${JSON.stringify(action)}; expected retry, cancel or discard.`,
    );
  }
  if (action === 'cancel') throw notAvailable(r, why.cancel);
  const broker = inspector(view, r);
  const here = await runningHere(view.store, r.runtime);
  if (here.attempts.some((a) => a.job.id === id)) {
    if (action === 'discard') throw notAvailable(r, why.discardRunning);
    throw r.error(
      409,
      'not_applicable',
      `job ${id} is executing: retry applies to a dead letter (a job that is discarded).`,
    );
  }
  if (action === 'retry') {
    const job = await broker.retryDeadLetter(id, here.queues);
    return {
      job: shownJob(view.redact, job),
      before: 'discarded',
      message: `job ${id}: discarded -> available (moved from the dead-letter queue back to queue ${job.queue})`,
    };
  }
  const job = await broker.discardDeadLetter(id, here.queues);
  return {
    job: shownJob(view.redact, job),
    before: 'discarded',
    message: `job ${id}: discarded -> removed from the dead-letter queue of ${job.queue}`,
  };
}
