/**
 * @internal The manual actions on one job (retry, cancel, discard) with the rules the CLI
 * and the Jobs view share: which states each applies to, and refusing (changing nothing)
 * when the job is in another state, or changed state meanwhile.
 */
import { JobNotFoundError } from './errors.js';
import type { Job, JobState } from './job.js';
import type { Store } from './store.js';

/** The state each action leads to, and the states it applies to. */
export const JOB_ACTIONS = {
  retry: { to: 'available', from: ['scheduled', 'retryable', 'discarded', 'cancelled'] },
  cancel: { to: 'cancelled', from: ['scheduled', 'available', 'executing', 'retryable'] },
  discard: { to: 'discarded', from: ['scheduled', 'available', 'executing', 'retryable'] },
} as const satisfies Record<string, { to: JobState; from: readonly JobState[] }>;

/** A manual action on a job. */
export type JobAction = keyof typeof JOB_ACTIONS;

/** True for `retry`, `cancel` and `discard`. */
export function isJobAction(value: unknown): value is JobAction {
  return value === 'retry' || value === 'cancel' || value === 'discard';
}

/** The actions that apply to a job in `state`. */
export function actionsFor(state: JobState): JobAction[] {
  return (Object.keys(JOB_ACTIONS) as JobAction[]).filter((action) =>
    (JOB_ACTIONS[action].from as readonly JobState[]).includes(state),
  );
}

/** An action that does not apply to the job as it is: nothing was changed. */
export class JobActionRefusedError extends Error {
  constructor(
    message: string,
    readonly job: Job,
  ) {
    super(message);
    this.name = 'JobActionRefusedError';
  }
}

/**
 * Applies `action` to job `id`: rejects with `JobNotFoundError` when there is no such job,
 * and with `JobActionRefusedError` when the job is in a state the action does not apply
 * to (or left it meanwhile). Resolves with the job before and after.
 */
export async function applyJobAction(
  store: Store,
  action: JobAction,
  id: string,
): Promise<{ before: Job; after: Job }> {
  const before = await store.get(id);
  if (before === undefined) throw new JobNotFoundError(id, store.description);
  const { to, from } = JOB_ACTIONS[action];
  if (!(from as readonly JobState[]).includes(before.state)) {
    throw new JobActionRefusedError(
      `job ${id} is ${before.state}: ${action} applies to a job that is ${from.join(', ')}.`,
      before,
    );
  }
  const method = { retry: 'retryJob', cancel: 'cancelJob', discard: 'discardJob' } as const;
  const after = await store[method[action]](id);
  if (after.state !== to) {
    throw new JobActionRefusedError(
      `job ${id} became ${after.state} meanwhile; nothing was changed.`,
      after,
    );
  }
  return { before, after };
}
