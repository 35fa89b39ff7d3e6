/**
 * @internal What the Jobs view's routes share: reading the query and body of a request,
 * and turning the store's errors into the observer's typed HTTP errors: 404 (no such job
 * or queue), 409 (the action does not apply), 501 (the store cannot do it), 503 (the
 * store is unavailable).
 */
import type { ViewRequest } from '@actorkit/observer';
import { JobActionRefusedError } from './cli-actions.js';
import { JobNotFoundError, StoreUnavailableError, UnsupportedCapabilityError } from './errors.js';
import { JOB_STATES, type JobState } from './job.js';
import { UnknownQueueError } from './observer-view-broker.js';
import type { JobQuery } from './store.js';

/** The `jobs` route's query: `state`, `queue`, `worker`, `limit` (1 to 1,000; 100), `after`. */
export function jobQuery(r: ViewRequest): JobQuery & { limit: number; state?: JobState[] } {
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

/** `value` (one state or a list) as job states; a 400 for anything else. */
export function stateList(r: ViewRequest, value: unknown, name: string): JobState[] {
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

/** The body's `name` field: a string or absent; a 400 for anything else. */
export function bodyText(r: ViewRequest, name: string): string | undefined {
  const v = r.body[name];
  if (v === undefined || typeof v === 'string') return v;
  throw r.error(400, 'bad_body', `Expected \`${name}\` to be a string, got ${typeof v}.`);
}

/** The 501 a store answers for what it cannot do: `not available on this store: <why>`. */
export function notAvailable(r: ViewRequest, why: string): Error {
  return r.error(501, 'not_available', `not available on this store: ${why}`);
}

/** Runs a route: the store's errors become 404, 409, 501 and 503 answers. */
export async function guard<T>(r: ViewRequest, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof JobNotFoundError) throw r.error(404, 'job_not_found', error.message);
    if (error instanceof UnknownQueueError) throw r.error(404, 'unknown_queue', error.message);
    if (error instanceof JobActionRefusedError) throw r.error(409, 'not_applicable', error.message);
    if (error instanceof UnsupportedCapabilityError) throw notAvailable(r, error.message);
    if (error instanceof StoreUnavailableError)
      throw r.error(503, 'store_unavailable', error.message);
    throw error;
  }
}
