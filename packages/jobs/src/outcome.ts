/**
 * @internal What the outcome of an ended attempt is: completed, requeued (a shutdown
 * stopped it), or failed, and then, by the worker's `onError` and its attempts left,
 * retried after the backoff, snoozed or discarded.
 */
import { ExitError, isCrash, type Pid, type Runtime } from '@actorkit/core';
import { attemptError } from './attempt-error.js';
import { JobTimeoutError } from './errors.js';
import { type ClaimedJob, dueTime } from './job.js';
import { backoffDelay, decisionCheck, type ErrorDecision } from './retry.js';
import type { Outcome, Store } from './store.js';
import type { Worker } from './worker.js';

/** @internal An attempt whose process ended (or that never started: an unknown worker). */
export interface EndedAttempt {
  job: ClaimedJob;
  worker: Worker | undefined;
  pid: Pid<any> | undefined;
  /** The process's exit reason. */
  reason: unknown;
  /** Why the producer stopped it, if it did. */
  stopping: 'shutdown' | 'timeout' | 'lost' | undefined;
}

/** @internal The outcome to record for `attempt`, run by `node` against `store`. */
export function outcomeOf(
  attempt: EndedAttempt,
  store: Store,
  node: string,
  runtime: Runtime,
): Outcome {
  const { job, worker, reason, stopping } = attempt;
  // The claimed job is its own attempt reference (it has the id and the token): no copy.
  const ref = job;
  if (stopping === 'shutdown') return { kind: 'requeue', attempt: ref };
  if (reason === 'normal' && stopping === undefined) return { kind: 'complete', attempt: ref };
  const error =
    stopping === 'timeout'
      ? new JobTimeoutError(job.id, worker!.timeout)
      : isCrash(reason)
        ? reason.error
        : new ExitError(reason, attempt.pid);
  const kind = isCrash(reason) ? 'error' : 'exit';
  const now = store.now();
  const entry = attemptError(error, kind, job.attempt, now, node, job.attemptedAt);
  const decision = decide(attempt, error, runtime);
  if (typeof decision === 'object') {
    return { kind: 'snooze', attempt: ref, runAt: dueTime(now + decision.snooze, now) };
  }
  if (decision === 'discard' || job.attempt >= job.maxAttempts) {
    return { kind: 'discard', attempt: ref, error: entry };
  }
  // A process that exited without crashing (killed from outside, a linked process's exit)
  // says nothing against the job: it goes back at once; a crash or timeout waits its backoff.
  const delay =
    kind === 'exit' && stopping === undefined
      ? 0
      : backoffDelay(job.backoff ?? worker?.backoff, job.attempt, error);
  return { kind: 'retry', attempt: ref, runAt: dueTime(now + delay, now), error: entry };
}

/** Asks the worker's `onError`; a throw or a wrong answer counts as `'retry'` and is reported. */
function decide(attempt: EndedAttempt, error: unknown, runtime: Runtime): ErrorDecision {
  const onError = attempt.worker?.onError;
  if (onError === undefined) return 'retry';
  try {
    const { attempt: n, maxAttempts } = attempt.job;
    const decision = onError(error, { attempt: n, maxAttempts });
    if (decisionCheck(decision) === undefined) return decision;
    throw new TypeError(
      `onError of worker ${attempt.job.worker} returned ${String(decision)}; expected 'retry', 'discard' or { snooze: ms }.`,
    );
  } catch (thrown) {
    if (runtime.events.has('report')) {
      runtime.events.emit('report', { type: 'watcher_error', error: thrown, reason: 'onError' });
    }
    return 'retry';
  }
}
