/**
 * @internal A pass through one dead-letter queue: how the broker inspector reads, retries
 * and discards dead letters without losing, reordering or re-counting any.
 *
 * AMQP has no way to peek at a queue. `basic.get` then `nack(requeue)` puts a message
 * back, but a quorum queue counts it as a new delivery (`x-delivery-count`), and returns
 * are not put back in their old order. So a pass moves every message through instead:
 * it takes the messages that were in the queue when it started, in order, in batches it
 * holds unacked (`prefetch` = the batch), and for each one publishes where it belongs
 * (`keep`: a copy at the queue's tail, with the same properties and headers; `retry`: to
 * the work queue; `drop`: nowhere), waits for the broker's confirms, and only then acks the
 * batch. After a full pass the kept messages are in the queue in the order they were, as
 * new messages (no delivery counted). Dead letters that arrive during a pass land between
 * the copies: they may be listed before older ones afterwards.
 *
 * If the pass dies before its acks (the process, the connection), the broker gives the
 * batch back, and the copies already confirmed are in the queue too: the same job twice.
 * A later pass keeps the first message of a job id and drops the others, so nothing is
 * lost and duplicates do not last.
 *
 * Two passes over one queue at once would each take part of it: a pass holds a lock, an
 * exclusive (per-connection, auto-deleted) queue `<dead-letter queue>.pass-lock`, which
 * only one connection can declare at a time and which the broker deletes when its
 * connection dies. In one process, passes over a queue also wait for each other.
 */
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { StoreUnavailableError } from '../errors.js';

/** What a pass does with one message. */
export type PassDecision = 'keep' | 'retry' | 'drop';

/** Where a pass publishes, and how long it waits. */
export interface PassTarget {
  deadLetterQueue: string;
  workQueue: string;
  /** Messages held per batch (the consumer's prefetch). */
  batch: number;
  /** Ms to wait for another pass over the same queue before `DeadLetterPassBusyError`. */
  lockTimeout: number;
  /** Ms without a delivery after which a batch is taken as complete (someone else took messages). */
  stallTimeout: number;
  /** Names the store in errors. */
  description: string;
}

/** How a message is republished for `retry`: its new headers and body. */
export interface Republish {
  headers: Record<string, unknown>;
  content: Buffer;
}

/**
 * Another process is passing through the same dead-letter queue (or holds its lock) for
 * longer than `lockTimeout`: nothing was changed; try again in a moment.
 */
export class DeadLetterPassBusyError extends StoreUnavailableError {
  constructor(queue: string, where: string, waited: number) {
    super(
      `a pass through ${queue}`,
      where,
      new Error(`another pass held ${queue} for ${waited} ms`),
    );
    this.message = `${where} is busy: another process is reading or moving the dead letters of ${queue} (it held the lock for ${waited} ms). Nothing was changed; try again in a moment.`;
  }
}

const passing = new Map<string, Promise<unknown>>();

/**
 * Resolves once no pass of this process is under way over `deadLetterQueue`: a pass holds
 * a batch unacked, so the queue's depth reads low until it ends.
 */
export async function passesDone(deadLetterQueue: string): Promise<void> {
  for (let running = passing.get(deadLetterQueue); running !== undefined; ) {
    await running.catch(() => {});
    running = passing.get(deadLetterQueue);
  }
}

/** The name of the lock queue a pass over `deadLetterQueue` holds while it runs. */
export function passLockName(deadLetterQueue: string): string {
  return `${deadLetterQueue}.pass-lock`;
}

/**
 * Passes through `target.deadLetterQueue`: `decide(message)` for each message it held at
 * the start, in order, and `retry(message)` for how to republish the ones to retry.
 * Resolves with how many messages the queue held at the start. Rejects (acking nothing of
 * the batch under way) if a publish is not confirmed or the connection fails.
 */
export function passThrough(
  model: ChannelModel,
  target: PassTarget,
  decide: (message: ConsumeMessage) => PassDecision,
  retry: (message: ConsumeMessage) => Republish,
): Promise<number> {
  const previous = passing.get(target.deadLetterQueue) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => locked(model, target, decide, retry));
  passing.set(target.deadLetterQueue, run);
  void run.finally(() => {
    if (passing.get(target.deadLetterQueue) === run) passing.delete(target.deadLetterQueue);
  });
  return run;
}

async function locked(
  model: ChannelModel,
  target: PassTarget,
  decide: (message: ConsumeMessage) => PassDecision,
  retry: (message: ConsumeMessage) => Republish,
): Promise<number> {
  const lock = await takeLock(model, target);
  try {
    // On a channel of its own: a missing queue closes the channel it is checked on.
    const probe = await model.createChannel();
    probe.on('error', () => {});
    const { messageCount: total } = await probe
      .checkQueue(target.deadLetterQueue)
      .finally(() => probe.close().catch(() => {}));
    let done = 0;
    while (done < total) {
      const size = Math.min(target.batch, total - done);
      const taken = await moveBatch(model, target, size, decide, retry);
      done += taken;
      if (taken < size) break;
    }
    return total;
  } finally {
    await releaseLock(model, lock, lockName(target));
  }
}

/** Deletes the lock queue (on a new channel if the broker closed the lock's); the broker drops it with the connection anyway. */
async function releaseLock(model: ChannelModel, lock: Channel, name: string): Promise<void> {
  const deleted = await lock.deleteQueue(name).then(
    () => true,
    () => false,
  );
  await lock.close().catch(() => {});
  if (deleted) return;
  const channel = await model.createChannel().catch(() => undefined);
  if (channel === undefined) return;
  channel.on('error', () => {});
  await channel.deleteQueue(name).catch(() => {});
  await channel.close().catch(() => {});
}

function lockName(target: PassTarget): string {
  return passLockName(target.deadLetterQueue);
}

/** Declares the lock queue, exclusive to this connection; waits while another connection has it. */
async function takeLock(model: ChannelModel, target: PassTarget): Promise<Channel> {
  const deadline = Date.now() + target.lockTimeout;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await channel.assertQueue(lockName(target), {
        exclusive: true,
        durable: false,
        arguments: { 'x-queue-type': 'classic' },
      });
      return channel;
    } catch (error) {
      // 405 RESOURCE_LOCKED: another connection holds it (and closed this channel).
      if (!/RESOURCE_LOCKED|405/.test(String((error as Error).message))) throw error;
      if (Date.now() >= deadline) {
        throw new DeadLetterPassBusyError(
          target.deadLetterQueue,
          target.description,
          target.lockTimeout,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Takes the next `size` messages, republishes each as decided, and acks them once confirmed; resolves with how many it took. */
async function moveBatch(
  model: ChannelModel,
  target: PassTarget,
  size: number,
  decide: (message: ConsumeMessage) => PassDecision,
  retry: (message: ConsumeMessage) => Republish,
): Promise<number> {
  const consumer = await model.createChannel();
  consumer.on('error', () => {});
  try {
    const messages = await take(consumer, target, size);
    if (messages.length === 0) return 0;
    const publisher = await model.createConfirmChannel();
    publisher.on('error', () => {});
    let returned = 0;
    publisher.on('return', () => void returned++);
    try {
      for (const message of messages) {
        const decision = decide(message);
        if (decision === 'keep') {
          publisher.publish('', target.deadLetterQueue, message.content, copyOptions(message));
        } else if (decision === 'retry') {
          const { headers, content } = retry(message);
          publisher.publish('', target.workQueue, content, copyOptions(message, headers));
        }
      }
      await publisher.waitForConfirms();
      if (returned > 0) {
        throw new Error(`${returned} message(s) were unroutable (was a queue deleted?)`);
      }
    } finally {
      await publisher.close().catch(() => {});
    }
    consumer.ack(messages.at(-1) as ConsumeMessage, true);
    return messages.length;
  } finally {
    // Closing without an ack (a failure above) gives the batch back to the queue.
    await consumer.close().catch(() => {});
  }
}

/** Consumes up to `size` messages (prefetch `size`, so no more arrive), then cancels. */
async function take(
  consumer: Channel,
  target: PassTarget,
  size: number,
): Promise<ConsumeMessage[]> {
  await consumer.prefetch(size);
  const messages: ConsumeMessage[] = [];
  let tag: string | undefined;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, target.stallTimeout);
    };
    consumer
      .consume(
        target.deadLetterQueue,
        (message) => {
          if (message === null) return finish();
          messages.push(message);
          if (messages.length >= size) finish();
          else arm();
        },
        { noAck: false },
      )
      .then(({ consumerTag }) => {
        tag = consumerTag;
        if (messages.length < size) arm();
      }, reject);
  });
  if (tag !== undefined) await consumer.cancel(tag);
  return messages;
}

/** The publish options that reproduce `message` (without the broker's delivery count), with `headers` if given. */
function copyOptions(message: ConsumeMessage, headers?: Record<string, unknown>): Options.Publish {
  const p = message.properties;
  const kept: Record<string, unknown> = { ...(headers ?? p.headers ?? {}) };
  delete kept['x-delivery-count'];
  const options: Options.Publish = { headers: kept, mandatory: true, persistent: true };
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.type !== undefined) options.type = p.type;
  if (p.appId !== undefined) options.appId = p.appId;
  if (p.replyTo !== undefined) options.replyTo = p.replyTo;
  return options;
}
