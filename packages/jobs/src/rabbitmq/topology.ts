/**
 * @internal The RabbitMQ objects behind one job queue `q`, all durable:
 * - `<prefix>.<q>`: the work queue, of the store's `queueType`. A quorum queue (replicated
 *   by Raft on a cluster, fsynced before the publisher confirm) dead-letters a message
 *   returned without an ack (its consumer's channel closed) more than `deliveryLimit`
 *   times, at least once. A classic queue (one node, fsynced before the confirm) counts no
 *   returns: the store counts them itself (see `RabbitMqStore`'s `queueType`).
 * - `<prefix>.dead` (a direct exchange) and `<prefix>.<q>.dead`: the dead-letter queue, of
 *   the same type, where discarded jobs go with their attempt history in headers.
 * - `<prefix>.<q>.delay.<ms>`: the delay levels, made when first used, quorum queues
 *   whatever the work queue's type: only a quorum queue dead-letters at least once (a
 *   classic queue's expiry would lose a delayed job to a broker crash at that moment). A message waits
 *   there `ms` (the queue's message TTL) and is dead-lettered back to the work queue; a job
 *   due later than the largest level that fits goes through several levels, so any delay
 *   is reached with one level per bit, never early and at most `delayResolution` late.
 *   (TTL + dead-lettering, not the delayed-message plugin.)
 */
import type { Options } from 'amqplib';

/** The type of a store's work and dead-letter queues. */
export type QueueType = 'quorum' | 'classic';

/** The names of one job queue's objects. */
export interface QueueNames {
  work: string;
  dead: string;
  deadExchange: string;
}

/** The names of queue `queue`'s objects under `prefix`. */
export function queueNames(prefix: string, queue: string): QueueNames {
  return {
    work: `${prefix}.${queue}`,
    dead: `${prefix}.${queue}.dead`,
    deadExchange: `${prefix}.dead`,
  };
}

/** The name of queue `queue`'s delay level of `ms`. */
export function delayQueueName(prefix: string, queue: string, ms: number): string {
  return `${prefix}.${queue}.delay.${ms}`;
}

const QUORUM = {
  'x-queue-type': 'quorum',
  // At-least-once dead-lettering (RabbitMQ 3.10+) requires reject-publish overflow.
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
};

/** The work queue's declaration. */
export function workQueueOptions(
  names: QueueNames,
  queue: string,
  deliveryLimit: number,
  type: QueueType = 'quorum',
): Options.AssertQueue {
  if (type === 'classic') {
    return {
      durable: true,
      arguments: {
        'x-queue-type': 'classic',
        // Only for what the store cannot read (a nack without requeue): no delivery limit here.
        'x-dead-letter-exchange': names.deadExchange,
        'x-dead-letter-routing-key': queue,
      },
    };
  }
  return {
    durable: true,
    arguments: {
      ...QUORUM,
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': names.deadExchange,
      'x-dead-letter-routing-key': queue,
    },
  };
}

/** The dead-letter queue's declaration (it keeps what reaches it until someone takes it). */
export function deadQueueOptions(type: QueueType = 'quorum'): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': type } };
}

/** A delay level's declaration: messages wait `ms`, then go back to the work queue. */
export function delayQueueOptions(names: QueueNames, ms: number): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      ...QUORUM,
      'x-message-ttl': ms,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.work,
    },
  };
}

/** The largest delay level (about 12 days at the default resolution of 100 ms): longer delays take it several times. */
export const MAX_LEVEL_EXPONENT = 23;

/**
 * The delay level for a job due in `remaining` ms: the largest `resolution · 2^k` that
 * is not more than `remaining` (so it never arrives early), or the smallest level when
 * `remaining` is shorter than that. Undefined when the job is due now.
 */
export function delayLevel(remaining: number, resolution: number): number | undefined {
  if (remaining <= 0) return undefined;
  if (remaining < resolution) return resolution;
  const exponent = Math.min(MAX_LEVEL_EXPONENT, Math.floor(Math.log2(remaining / resolution)));
  return resolution * 2 ** exponent;
}
