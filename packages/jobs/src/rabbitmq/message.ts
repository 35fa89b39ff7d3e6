/**
 * @internal A job as a RabbitMQ message. The body is what never changes (id, worker,
 * args, maxAttempts, insertion time, the job's own backoff if it has one), as JSON; the headers carry what each attempt
 * changes, so a discarded job reaches the dead-letter queue with its history readable in
 * any RabbitMQ tool:
 * - `x-actorkit-attempt`: attempts recorded so far (a retry, discard or failed attempt
 *   counts; a snooze or a shutdown requeue gives its attempt back);
 * - `x-actorkit-run-at`: when it may run, ms on the store's clock;
 * - `x-actorkit-errors`: every failed attempt's error (JSON of `AttemptError[]`);
 * - `x-actorkit-returns` (classic queues only): how often the job went back to its queue
 *   without an outcome (a quorum queue counts that itself, in `x-delivery-count`).
 * A new job that is due at once has none of them: their absence reads as attempt 0, no
 * errors and run at insertion, and every header costs the producer, the broker and the
 * consumer work per message (amqplib encodes and decodes header tables field by field).
 * Messages are persistent and mandatory (one no queue takes comes back as unroutable), with
 * the job id as `messageId`.
 */
import type { ConsumeMessage, Options } from 'amqplib';
import type { AttemptError, Job } from '../job.js';
import type { JobBackoff } from '../retry.js';

/** The headers the store writes. */
export const HEADER = {
  attempt: 'x-actorkit-attempt',
  runAt: 'x-actorkit-run-at',
  errors: 'x-actorkit-errors',
  returns: 'x-actorkit-returns',
} as const;

/** What a message's body holds. */
interface Body {
  id: string;
  worker: string;
  args: unknown;
  maxAttempts: number;
  insertedAt: number;
  /** The job's own backoff: only when it was enqueued with one. */
  backoff?: JobBackoff;
}

/** A job read from a message: its fields except state, node and attempt times. */
export interface MessageJob {
  id: string;
  queue: string;
  worker: string;
  args: unknown;
  maxAttempts: number;
  insertedAt: number;
  backoff?: JobBackoff;
  runAt: number;
  /** Attempts recorded so far. */
  attempts: number;
  errors: AttemptError[];
  /** Returns without an outcome counted so far (classic queues; absent is 0). */
  returns?: number;
}

/** The body of a new job's message. */
export function encodeBody(
  job: Pick<Job, 'id' | 'worker' | 'args' | 'maxAttempts' | 'insertedAt' | 'backoff'>,
): Buffer {
  const body: Body = {
    id: job.id,
    worker: job.worker,
    args: job.args,
    maxAttempts: job.maxAttempts,
    insertedAt: job.insertedAt,
  };
  if (job.backoff !== undefined) body.backoff = job.backoff;
  return Buffer.from(JSON.stringify(body));
}

/**
 * The publish options of a job's message with this attempt state: without headers when
 * they would only repeat the defaults `decodeMessage` reads (attempt 0, no errors, run at
 * `insertedAt`), so a retried, snoozed, scheduled or dead-lettered job keeps its history.
 */
export function publishOptions(
  id: string,
  runAt: number,
  attempts: number,
  errors: readonly AttemptError[],
  insertedAt: number,
  returns = 0,
): Options.Publish {
  if (attempts === 0 && errors.length === 0 && runAt === insertedAt && returns === 0) {
    return { persistent: true, mandatory: true, messageId: id, contentType: 'application/json' };
  }
  const headers: Record<string, unknown> = {
    [HEADER.attempt]: attempts,
    [HEADER.runAt]: runAt,
    [HEADER.errors]: JSON.stringify(errors),
  };
  if (returns > 0) headers[HEADER.returns] = returns;
  return {
    persistent: true,
    mandatory: true,
    messageId: id,
    contentType: 'application/json',
    headers,
  };
}

/** Reads a delivered message back into a job; throws if it is not one this store wrote. */
export function decodeMessage(
  queue: string,
  message: Pick<ConsumeMessage, 'content' | 'properties'>,
): MessageJob {
  const body = JSON.parse(message.content.toString()) as Body;
  const headers = message.properties.headers ?? {};
  const attempts = Number(headers[HEADER.attempt] ?? 0);
  const runAt = Number(headers[HEADER.runAt] ?? body.insertedAt);
  const written = headers[HEADER.errors];
  const errors = (written === undefined ? [] : JSON.parse(String(written))) as AttemptError[];
  const returns = Number(headers[HEADER.returns] ?? 0);
  if (
    typeof body?.id !== 'string' ||
    typeof body.worker !== 'string' ||
    !Number.isInteger(body.maxAttempts) ||
    !Number.isFinite(attempts) ||
    !Number.isFinite(runAt) ||
    !Number.isInteger(returns) ||
    !Array.isArray(errors)
  ) {
    throw new Error('not a job message of @actorkit/jobs');
  }
  const job: MessageJob = {
    id: body.id,
    queue,
    worker: body.worker,
    args: body.args,
    maxAttempts: body.maxAttempts,
    insertedAt: body.insertedAt,
    runAt,
    attempts,
    errors,
  };
  if (body.backoff !== undefined) job.backoff = body.backoff;
  if (returns > 0) job.returns = returns;
  return job;
}

/** The job as the store's API shows it. */
export function toJob(
  job: MessageJob,
  fields: Pick<Job, 'state' | 'attempt' | 'attemptedAt' | 'finishedAt' | 'node'>,
): Job {
  const shown: Job = {
    id: job.id,
    queue: job.queue,
    worker: job.worker,
    args: job.args,
    state: fields.state,
    priority: 0,
    attempt: fields.attempt,
    maxAttempts: job.maxAttempts,
    key: null,
    insertedAt: job.insertedAt,
    runAt: job.runAt,
    attemptedAt: fields.attemptedAt,
    finishedAt: fields.finishedAt,
    node: fields.node,
    errors: job.errors,
  };
  if (job.backoff !== undefined) shown.backoff = job.backoff;
  return shown;
}
