/**
 * What the Jobs view reads from a store that keeps no index of its jobs (a broker: the
 * RabbitMQ store, `capabilities.query === false`), through a `BrokerInspector` given as
 * `jobsView(store, { broker })`: each queue's depths and consumers, and its dead letters,
 * which it can retry (back to their work queue) or discard. The view imports nothing of
 * the broker's client: `rabbitMqInspector(store)` of `@actorkit/jobs/rabbitmq` is the
 * implementation, and this file only describes what it answers.
 *
 * A broker counts messages, not jobs by state: there is no count of completed jobs (they
 * were acked away), and "scheduled" and "retryable" jobs wait in the same delay queues.
 * Every figure an inspector cannot give is `null` with its reason in `notes`, never 0.
 */
import { JobsError } from './errors.js';
import type { Job } from './job.js';

/** One job queue as the broker sees it. */
export interface BrokerQueue {
  /** The job queue's name (`mail`). */
  queue: string;
  /** The broker's queue holding its jobs that are due (`actorkit.jobs.mail`). */
  workQueue: string;
  /** Messages ready for delivery: jobs due and not yet taken by a consumer. */
  ready: number;
  /** Messages delivered and not yet acked: jobs in flight. `null` when the inspector cannot tell. */
  unacked: number | null;
  /** Consumers of the work queue (one per process that runs the queue). */
  consumers: number;
  /** Jobs waiting in delay queues (scheduled, or retrying after a backoff): `null` when unknown. */
  delayed: number | null;
  /** The delay queues that exist, by delay in ms, with their depths: `null` when unknown. */
  delayLevels: { ms: number; messages: number }[] | null;
  /** Messages in the dead-letter queue: jobs discarded, or dead-lettered by the broker as poison. */
  dead: number;
  /** The dead-letter queue's name. */
  deadLetterQueue: string;
}

/** What `BrokerInspector.queues` answers: each queue, and what could not be told and why. */
export interface BrokerQueues {
  queues: BrokerQueue[];
  /** Whether `queues` is every queue of the store on the broker (the management API listed them), or only those named. */
  complete: boolean;
  /** Why some figures are `null` (e.g. "unacked: needs the management API"), each a sentence. */
  notes: string[];
}

/** A page of one queue's dead letters, in the dead-letter queue's order (oldest first). */
export interface DeadLetters {
  queue: string;
  /** Messages in the dead-letter queue when it was read. */
  total: number;
  /** The first `limit` dead letters as jobs in state `discarded`. */
  jobs: Job[];
  /** Messages that are not jobs of this store (left where they are). */
  unreadable: number;
  /** Copies of one job left by a pass that was interrupted, removed by this one. */
  duplicatesRemoved: number;
}

/**
 * What a broker can tell and do for the Jobs view. Every method may reject with
 * `StoreUnavailableError` (the broker is unreachable, or another process is passing
 * through the same dead-letter queue: retry), and the ones naming a job with
 * `JobNotFoundError` when no dead letter has that id.
 */
export interface BrokerInspector {
  /** Names the broker in messages (`RabbitMqStore(amqp://…)`). */
  readonly description: string;
  /** Depths and consumers of the store's queues, `known` (the queues of this process) among them. */
  queues(known?: readonly string[]): Promise<BrokerQueues>;
  /** The first `limit` dead letters of `queue`, without losing or reordering any. */
  deadLetters(queue: string, limit: number): Promise<DeadLetters>;
  /** The dead letter with this id (in any queue, `known` among them), or undefined. */
  findDeadLetter(id: string, known?: readonly string[]): Promise<Job | undefined>;
  /** Moves dead letter `id` back to its work queue (confirmed), attempt history kept; resolves with it as `available`. */
  retryDeadLetter(id: string, known?: readonly string[]): Promise<Job>;
  /** Moves every dead letter (of `queue`, of `worker`) back; resolves with how many. */
  retryDeadLetters(
    filter: { queue?: string; worker?: string },
    known?: readonly string[],
  ): Promise<number>;
  /** Removes dead letter `id` for good (acks it away); resolves with it as it was. */
  discardDeadLetter(id: string, known?: readonly string[]): Promise<Job>;
  /** Closes its connection. */
  close(): Promise<void>;
}

/** True if `value` has the methods of a `BrokerInspector`. */
export function isBrokerInspector(value: unknown): value is BrokerInspector {
  const v = value as Partial<BrokerInspector> | null;
  return (
    typeof v?.queues === 'function' &&
    typeof v.deadLetters === 'function' &&
    typeof v.findDeadLetter === 'function' &&
    typeof v.retryDeadLetter === 'function' &&
    typeof v.retryDeadLetters === 'function' &&
    typeof v.discardDeadLetter === 'function'
  );
}

/** No queue of this name exists on the broker: no job was ever enqueued to it, or the name is wrong. */
export class UnknownQueueError extends JobsError {
  constructor(
    readonly queue: string,
    where: string,
  ) {
    super(
      'UNKNOWN_QUEUE',
      `no queue ${JSON.stringify(queue)} in ${where}: it is declared by its first enqueue or the first start of its Queue, so none ran yet, or the name is wrong.`,
    );
  }

  static override is(value: unknown): value is UnknownQueueError {
    return value instanceof UnknownQueueError;
  }
}
