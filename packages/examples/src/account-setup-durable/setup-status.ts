import { type AttemptError, JOB_STATES, type Job, type JobState, type Store } from '@actorkit/jobs';
import type { Repo, SetupStep } from '../db/repo.js';
import { SETUP_QUEUE, type SetupArgs, workerNames } from './workers.js';

/** A setup step whose job was discarded: who, which step, and every attempt's error. */
export interface DiscardedSetup {
  jobId: string;
  userId: number;
  /** The user's name, or undefined if the row is gone. */
  name: string | undefined;
  step: SetupStep;
  attempts: number;
  /** Every failed attempt, oldest first (`kind: 'rescued'` for one its process died in). */
  errors: AttemptError[];
}

/** Where the durable account setup stands, read from the database. */
export interface SetupStatus {
  /** Users in the database. */
  users: number;
  /** Users whose two steps are done (`crm_id` and `fulfillment_center_id` set). */
  setUp: number;
  /** The setup queue's jobs by state. */
  jobs: Record<JobState, number>;
  /** Jobs not yet final: scheduled, available, executing or retryable. */
  pending: number;
  discarded: DiscardedSetup[];
}

const steps = Object.fromEntries(
  Object.entries(workerNames).map(([step, worker]) => [worker, step as SetupStep]),
) as Record<string, SetupStep>;

/**
 * Reads where the setup stands from the store and the users table: what the live
 * progress view, the summary and `GET /setup-failures` show. Works from any process
 * that opens the database file, the application's or an operator's, running or not.
 *
 * @example
 * const status = await readSetupStatus(store, repo);
 * console.log(`${status.setUp}/${status.users} set up, ${status.discarded.length} discarded`);
 */
export async function readSetupStatus(store: Store, repo: Repo): Promise<SetupStatus> {
  const counts = (await store.counts()).find((c) => c.queue === SETUP_QUEUE)?.counts;
  const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, counts?.[s] ?? 0])) as Record<
    JobState,
    number
  >;
  const users = repo.listUsers();
  return {
    users: users.length,
    setUp: users.filter((u) => u.crmId !== null && u.fulfillmentCenterId !== null).length,
    jobs,
    pending: jobs.scheduled + jobs.available + jobs.executing + jobs.retryable,
    discarded: await listDiscarded(store, repo),
  };
}

/** Every discarded setup job, oldest first, with its user and its errors. */
export async function listDiscarded(store: Store, repo: Repo): Promise<DiscardedSetup[]> {
  const discarded: Job[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.list({ state: 'discarded', queue: SETUP_QUEUE, after, limit: 100 });
    discarded.push(...page);
    if (page.length < 100) break;
    after = page.at(-1)!.id;
  }
  return discarded.map((job) => {
    const { userId } = job.args as SetupArgs;
    return {
      jobId: job.id,
      userId,
      name: repo.getUser(userId)?.name,
      step: steps[job.worker] ?? (job.worker as SetupStep),
      attempts: job.attempt,
      errors: job.errors,
    };
  });
}
