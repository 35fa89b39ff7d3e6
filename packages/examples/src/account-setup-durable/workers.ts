import { type Backoff, defineWorker, type ErrorDecision, type Worker } from '@actorkit/jobs';
import { type SetupDeps, steps } from '../account-setup/steps.js';
import type { SetupStep, User } from '../db/repo.js';
import { ServiceError } from '../services/http-client.js';

/** What a setup job carries: only the user's id; the row is read when the job runs. */
export interface SetupArgs {
  userId: number;
}

/** The retry policy of the setup jobs. */
export interface SetupRetry {
  /** Attempts per step (a kill of the application counts as one) before the job is discarded. @default 6 */
  maxAttempts?: number;
  /** The wait between attempts. @default { initial: 200, factor: 2, max: 3000, jitter: 0.2 } */
  backoff?: Backoff;
}

/** The queue the setup jobs run in. */
export const SETUP_QUEUE = 'account-setup';

/** The worker names, stored with each job: stable across releases. */
export const workerNames: Record<SetupStep, string> = {
  crm: 'account-setup.crm',
  fulfillment: 'account-setup.fulfillment',
};

/** Which column says a step is done: a step that finds it set has nothing left to do. */
const doneBy: Record<SetupStep, (user: User) => boolean> = {
  crm: (user) => user.crmId !== null,
  fulfillment: (user) => user.fulfillmentCenterId !== null,
};

/**
 * The two account-setup steps of scenario 1 (`steps.ts`, unchanged) as durable workers,
 * one per step, in the queue `account-setup`. A job is at least once: an application
 * killed after the CRM answered but before the job was recorded completed runs the step
 * again. So each step is idempotent:
 *
 * - it looks before it creates: a user row whose `crm_id` (or `fulfillment_center_id`)
 *   is already set was done by an earlier attempt, and the job completes without a call;
 * - in the window between the service's answer and that row's update, the services
 *   themselves make a repeat harmless: the CRM is idempotent by email (the same contact
 *   comes back), and the nearest center is a lookup.
 *
 * A 4xx answer (an address no service can place) is discarded at once: no retry can fix
 * it. Anything else is retried with `backoff` until `maxAttempts`, then discarded, with
 * every attempt's error kept on the job.
 *
 * @example
 * const workers = setupWorkers({ repo, crmUrl, fulfillmentUrl }, { maxAttempts: 6 });
 * Queue.childSpec({ store, queue: SETUP_QUEUE, workers: Object.values(workers) });
 */
export function setupWorkers(
  deps: SetupDeps,
  retry: SetupRetry = {},
): Record<SetupStep, Worker<SetupArgs>> {
  const worker = (step: SetupStep) =>
    defineWorker<SetupArgs>({
      name: workerNames[step],
      queue: SETUP_QUEUE,
      maxAttempts: retry.maxAttempts ?? 6,
      backoff: retry.backoff ?? { initial: 200, factor: 2, max: 3000, jitter: 0.2 },
      onError,
      async perform({ userId }, ctx) {
        const user = deps.repo.getUser(userId);
        // The user and its jobs commit together: a job without its user is a bug.
        if (user === undefined) throw new TypeError(`No user ${userId} for job ${ctx.job.id}.`);
        if (doneBy[step](user)) return;
        await steps[step](user, deps, ctx.signal);
      },
    });
  return { crm: worker('crm'), fulfillment: worker('fulfillment') };
}

/** A 4xx answer or a bug is discarded at once; a 5xx or a dropped connection retried. */
function onError(error: unknown): ErrorDecision {
  if (error instanceof TypeError) return 'discard';
  if (ServiceError.is(error) && error.permanent) return 'discard';
  return 'retry';
}
