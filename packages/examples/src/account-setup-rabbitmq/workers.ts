import { defineWorker, type ErrorDecision, type Worker } from '@actorkit/jobs';
import { type SetupDeps, steps } from '../account-setup/steps.js';
import {
  SETUP_QUEUE,
  type SetupArgs,
  type SetupRetry,
  workerNames,
} from '../account-setup-durable/workers.js';
import type { SetupStep, User } from '../db/repo.js';
import { ServiceError } from '../services/http-client.js';

export { SETUP_QUEUE, type SetupArgs, type SetupRetry, workerNames };

/** Which column says a step is done: a step that finds it set has nothing left to do. */
const doneBy: Record<SetupStep, (user: User) => boolean> = {
  crm: (user) => user.crmId !== null,
  fulfillment: (user) => user.fulfillmentCenterId !== null,
};

/**
 * The two account-setup steps as durable workers for the RabbitMQ store: the same names,
 * queue, retries and idempotence as the SQLite variant's (`../account-setup-durable/
 * workers.ts`), so a job enqueued by either runs on both. One thing differs: RabbitMQ
 * cannot list the jobs it discarded with their users (it has no index of its messages;
 * a discarded job is a message in the dead-letter queue), so a step that gives up
 * writes a `setup_failures` row first, before the broker hears of the discard. A kill
 * between the two runs the attempt again, and the row is not written twice (one per
 * user and step, none for a step that is done).
 *
 * A 4xx answer is discarded at once; anything else retried with backoff until
 * `maxAttempts`. On RabbitMQ a job whose worker process was killed comes back with the
 * same attempt number (only recorded outcomes count), so a kill does not spend an attempt.
 *
 * @example
 * const workers = rabbitSetupWorkers({ repo, crmUrl, fulfillmentUrl });
 * await Queue.start({ runtime, store, queue: SETUP_QUEUE, workers: Object.values(workers) });
 */
export function rabbitSetupWorkers(
  deps: SetupDeps,
  retry: SetupRetry = {},
): Record<SetupStep, Worker<SetupArgs>> {
  const maxAttempts = retry.maxAttempts ?? 6;
  const worker = (step: SetupStep) =>
    defineWorker<SetupArgs>({
      name: workerNames[step],
      queue: SETUP_QUEUE,
      maxAttempts,
      backoff: retry.backoff ?? { initial: 200, factor: 2, max: 3000, jitter: 0.2 },
      onError: decide,
      async perform({ userId }, ctx) {
        const user = deps.repo.getUser(userId);
        // The user row commits before its outbox rows are published: a job without its user is a bug.
        if (user === undefined) throw new TypeError(`No user ${userId} for job ${ctx.job.id}.`);
        if (doneBy[step](user)) return;
        try {
          await steps[step](user, deps, ctx.signal);
        } catch (error) {
          // A step stopped by a shutdown goes back to the broker without spending an attempt.
          const givesUp = decide(error) === 'discard' || ctx.attempt >= maxAttempts;
          if (givesUp && !ctx.signal.aborted) {
            const why = error instanceof Error ? error.message : String(error);
            deps.repo.recordSetupFailure(
              userId,
              step,
              `${why} (attempt ${ctx.attempt} of ${maxAttempts}, job ${ctx.job.id})`,
            );
          }
          throw error;
        }
      },
    });
  return { crm: worker('crm'), fulfillment: worker('fulfillment') };
}

/** A 4xx answer or a bug is discarded at once; a 5xx or a dropped connection retried. */
function decide(error: unknown): ErrorDecision {
  if (error instanceof TypeError) return 'discard';
  if (ServiceError.is(error) && error.permanent) return 'discard';
  return 'retry';
}
