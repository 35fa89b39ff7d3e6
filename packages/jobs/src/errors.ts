import { ActorkitError } from '@actorkit/core';

/** The base class of the errors `@actorkit/jobs` throws; `code` is stable for programs to test. */
export class JobsError extends ActorkitError {
  static override is(value: unknown): value is JobsError {
    return value instanceof JobsError;
  }
}

/**
 * A store refused a write because its caller no longer holds what it claimed to hold: an
 * attempt whose job was rescued, retried or cancelled meanwhile ({@link StaleAttemptError}),
 * or a node whose lease lapsed or was taken over ({@link LeaseLostError}). Fencing is what
 * keeps a zombie (a paused or partitioned worker that comes back) from overwriting the
 * work of its successor. The write did nothing; the caller should stop, not retry.
 */
export class FencedError extends JobsError {
  static override is(value: unknown): value is FencedError {
    return value instanceof FencedError;
  }
}

/**
 * An attempt's token is stale: the job is no longer executing under this token (it was
 * rescued after its node's lease lapsed, cancelled, or retried by hand), so completing,
 * failing or snoozing it was rejected. The job's current state is in the store.
 */
export class StaleAttemptError extends FencedError {
  constructor(
    readonly jobId: string,
    readonly token: number,
    where: string,
  ) {
    super(
      'STALE_ATTEMPT',
      `attempt token ${token} of job ${jobId} is stale in ${where}: the job was rescued, cancelled or retried since this attempt claimed it, so this result was not recorded. Make the job's side effects idempotent (keyed by job id): the rescued attempt redoes them.`,
    );
  }

  static override is(value: unknown): value is StaleAttemptError {
    return value instanceof StaleAttemptError;
  }
}

/**
 * A node's lease is gone: it lapsed and another node rescued its jobs, or a newer
 * incarnation of the same node name registered. The node must stop its attempts (their
 * results would be rejected) and register again before it claims more work.
 */
export class LeaseLostError extends FencedError {
  constructor(
    readonly node: string,
    where: string,
  ) {
    super(
      'LEASE_LOST',
      `node ${node} no longer holds its lease in ${where}: it lapsed (no heartbeat within the lease) and its jobs were rescued, or another process registered the same node name. Give each live process its own node name, and a lease longer than the longest pause of its event loop.`,
    );
  }

  static override is(value: unknown): value is LeaseLostError {
    return value instanceof LeaseLostError;
  }
}

/**
 * The store could not be reached or written: the database is locked beyond its busy
 * timeout, closed, read-only, or its disk failed. Nothing was recorded; the operation may
 * be retried later. `cause` is the driver's error.
 */
export class StoreUnavailableError extends JobsError {
  constructor(
    readonly operation: string,
    where: string,
    override readonly cause: unknown,
  ) {
    super(
      'STORE_UNAVAILABLE',
      `${operation} failed in ${where}: ${describeCause(cause)}. Nothing was recorded; retry later, or raise busyTimeout if other writers hold the database for long.`,
    );
  }

  static override is(value: unknown): value is StoreUnavailableError {
    return value instanceof StoreUnavailableError;
  }
}

/**
 * A store was asked for a guarantee it cannot give: `durability: 'machine'` from an
 * in-memory database, several processes on `:memory:`, … Raised when the store or
 * queue is configured, never later.
 */
export class UnsupportedCapabilityError extends JobsError {
  constructor(capability: string, wanted: unknown, got: unknown, where: string) {
    super(
      'UNSUPPORTED_CAPABILITY',
      `${where} cannot give ${capability} = ${String(wanted)} (it gives ${String(got)}). Choose a store that can, or relax the requirement.`,
    );
  }

  static override is(value: unknown): value is UnsupportedCapabilityError {
    return value instanceof UnsupportedCapabilityError;
  }
}

/** No job has this id in the store (it never existed, or was pruned). */
export class JobNotFoundError extends JobsError {
  constructor(
    readonly jobId: string,
    where: string,
  ) {
    super(
      'JOB_NOT_FOUND',
      `no job ${jobId} in ${where}; it never existed or was pruned after its retention.`,
    );
  }

  static override is(value: unknown): value is JobNotFoundError {
    return value instanceof JobNotFoundError;
  }
}

/**
 * A job names a worker the queue does not know: it was enqueued by a newer release, or
 * the worker is missing from the queue's `workers`. Recorded as the attempt's error;
 * the job is retried with backoff, so deploying the worker lets it run.
 */
export class UnknownWorkerError extends JobsError {
  constructor(
    readonly worker: string,
    queue: string,
    known: readonly string[],
  ) {
    super(
      'UNKNOWN_WORKER',
      `queue ${queue} has no worker ${JSON.stringify(worker)} (it knows ${known.map((k) => JSON.stringify(k)).join(', ') || 'none'}). Add the worker to the queue's workers.`,
    );
  }

  static override is(value: unknown): value is UnknownWorkerError {
    return value instanceof UnknownWorkerError;
  }
}

/** An attempt ran longer than its worker's `timeout`; it was stopped and counts as failed. */
export class JobTimeoutError extends JobsError {
  constructor(
    readonly jobId: string,
    readonly timeout: number,
  ) {
    super(
      'JOB_TIMEOUT',
      `job ${jobId} ran longer than its timeout of ${timeout} ms and was stopped (its ctx.signal aborted). Raise the worker's timeout, or make the work honour ctx.signal sooner.`,
    );
  }

  static override is(value: unknown): value is JobTimeoutError {
    return value instanceof JobTimeoutError;
  }
}

/** Formats what a driver threw for a message; never throws. */
export function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `${typeof code === 'string' ? `${code}: ` : ''}${cause.message}`;
    }
    return String(cause);
  } catch {
    return 'an error that could not be formatted';
  }
}
