/**
 * The errors of the RabbitMQ store. Each is a `StoreUnavailableError` (the queue's
 * producer and every caller that handles a store outage handle these the same way), with
 * what it adds: whether the job may have reached the broker after all.
 */
import { describeCause, StoreUnavailableError } from '../errors.js';

/**
 * The broker could not be reached within the store's `unavailableTimeout` (it is down,
 * restarting, or the URL is wrong): nothing was published. Retry later, or tell your
 * caller the work was not accepted.
 */
export class BrokerUnavailableError extends StoreUnavailableError {
  constructor(operation: string, where: string, waited: number, cause: unknown) {
    super(operation, where, cause);
    this.message = `${operation} failed in ${where}: no connection to the broker within ${waited} ms (${describeCause(cause)}). Nothing was published; retry later, or raise unavailableTimeout to wait out longer broker restarts.`;
  }

  static override is(value: unknown): value is BrokerUnavailableError {
    return value instanceof BrokerUnavailableError;
  }
}

/**
 * A publish was not confirmed by the broker: it refused it (a nack: the queue is over
 * its length limit, or a quorum queue lost its majority), the connection closed before
 * the confirm came, or `confirmTimeout` passed. `maybePublished` is true when the broker
 * may have taken it all the same (the connection closed, or the confirm was late): an
 * enqueue again may then run the job twice, so key its side effects by job id.
 * `confirmed` lists the ids of the batch's jobs that were confirmed (those are enqueued).
 */
export class PublishNotConfirmedError extends StoreUnavailableError {
  constructor(
    operation: string,
    where: string,
    readonly maybePublished: boolean,
    readonly confirmed: readonly string[],
    cause: unknown,
  ) {
    super(operation, where, cause);
    this.message = `${operation} failed in ${where}: the broker did not confirm the publish (${describeCause(cause)}). ${
      maybePublished
        ? 'It may have been enqueued all the same; if you enqueue it again, the job may run twice: key its side effects by job id.'
        : 'It was not enqueued; retry later.'
    }${confirmed.length > 0 ? ` ${confirmed.length} job(s) of the batch were confirmed: ${confirmed.join(', ')}.` : ''}`;
  }

  static override is(value: unknown): value is PublishNotConfirmedError {
    return value instanceof PublishNotConfirmedError;
  }
}

/**
 * The connection's write buffer stayed full (publish returned false and no `drain` came)
 * for `drainTimeout` ms: the broker reads slower than jobs are enqueued, or it blocked
 * publishers (a memory or disk alarm). Nothing more was published; slow the producer
 * down, or raise `drainTimeout`.
 */
export class PublishBackpressureError extends StoreUnavailableError {
  constructor(
    operation: string,
    where: string,
    waited: number,
    readonly confirmed: readonly string[],
  ) {
    super(operation, where, new Error(`no drain within ${waited} ms`));
    this.message = `${operation} failed in ${where}: the connection's write buffer stayed full for ${waited} ms (the broker is slow or blocked publishers: a memory or disk alarm). The remaining jobs were not published${confirmed.length > 0 ? `; ${confirmed.length} job(s) of the batch were confirmed: ${confirmed.join(', ')}` : ''}. Enqueue slower, or raise drainTimeout.`;
  }

  static override is(value: unknown): value is PublishBackpressureError {
    return value instanceof PublishBackpressureError;
  }
}

/**
 * The broker blocks publishers (a resource alarm: it is low on memory or disk, and sent
 * `connection.blocked`) and did not unblock within the store's `blockedTimeout`. A blocked
 * broker stops reading from publishing connections, so nothing enqueued meanwhile is
 * confirmed. `maybePublished` is false when nothing of the batch was written (it was
 * blocked before); true when messages were written before the block was known (RabbitMQ
 * blocks a connection at its first publish during the alarm): the broker reads them once
 * the alarm clears, so they may be enqueued all the same. Consumers go on (they use a
 * connection of their own). Free memory or disk on the broker, or raise `blockedTimeout`.
 */
export class PublisherBlockedError extends PublishNotConfirmedError {
  constructor(
    operation: string,
    where: string,
    readonly waited: number,
    readonly reason: string,
    maybePublished: boolean,
    confirmed: readonly string[],
  ) {
    super(
      operation,
      where,
      maybePublished,
      confirmed,
      new Error(`the broker blocks publishers: ${reason}`),
    );
    this.message = `${operation} failed in ${where}: the broker blocks publishers (${reason}: a memory or disk alarm) and did not unblock within ${waited} ms. ${
      maybePublished
        ? 'What was written before the block may be enqueued all the same once the alarm clears; if you enqueue it again, the job may run twice: key its side effects by job id.'
        : 'Nothing was published; retry later.'
    }${confirmed.length > 0 ? ` ${confirmed.length} job(s) of the batch were confirmed: ${confirmed.join(', ')}.` : ''} Free memory or disk on the broker, or raise blockedTimeout.`;
  }

  static override is(value: unknown): value is PublisherBlockedError {
    return value instanceof PublisherBlockedError;
  }
}
