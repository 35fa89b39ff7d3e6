/**
 * The baseline of the RabbitMQ bench: a hand-written queue on raw amqplib, what a job costs
 * with nothing but the broker. The producer publishes persistent messages (a small JSON
 * body, a message id) on a confirm channel in batches and waits for each batch's confirms
 * (`waitForConfirms`), pausing for `drain` when the socket's buffer is full; the consumer
 * has its own channel with `prefetch`, parses each body, runs a no-op and acks it
 * (manual ack, one per message). No retries, delays, dead letters or reconnects.
 *
 * The queue is durable, quorum or classic, declared with nothing else (`declareRawQueue`);
 * `storeArguments` adds the RabbitMqStore's work-queue arguments (delivery limit,
 * dead-letter exchange, at-least-once dead-lettering, reject-publish) to measure what they
 * cost the broker.
 */
import { performance } from 'node:perf_hooks';
import { type Channel, type ChannelModel, type ConfirmChannel, connect } from 'amqplib';

/** The kind of durable queue a bench row runs on. */
export type QueueType = 'quorum' | 'classic';

/** Declares queue `name` of `type` (durable) on `channel`, with the store's arguments if asked. */
export async function declareRawQueue(
  channel: Channel,
  name: string,
  type: QueueType,
  storeArguments = false,
): Promise<void> {
  const args: Record<string, unknown> = { 'x-queue-type': type };
  if (storeArguments) {
    await channel.assertExchange(`${name}.dlx`, 'direct', { durable: true });
    Object.assign(args, {
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-delivery-limit': 20,
      'x-dead-letter-exchange': `${name}.dlx`,
      'x-dead-letter-routing-key': name,
    });
  }
  await channel.assertQueue(name, { durable: true, arguments: args });
}

/** Deletes queue `name` (and its dead-letter exchange, if any): quorum queues keep their log on disk. */
export async function deleteRawQueue(url: string, names: string[], exchanges: string[] = []) {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    for (const name of exchanges) await channel.deleteExchange(name);
  } finally {
    await connection.close();
  }
}

/** A producer on its own connection and confirm channel. */
export class RawProducer {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly queue: string,
  ) {}

  static async open(url: string, queue: string): Promise<RawProducer> {
    const connection = await connect(url);
    const channel = await connection.createConfirmChannel();
    return new RawProducer(connection, channel, queue);
  }

  /** Publishes `count` jobs `{ n }` from `from`, then waits for every confirm. */
  async publishBatch(from: number, count: number): Promise<void> {
    for (let n = from; n < from + count; n++) {
      if (!this.publish({ n })) await new Promise((resolve) => this.channel.once('drain', resolve));
    }
    await this.channel.waitForConfirms();
  }

  /** Publishes one job with its confirm callback; resolves once confirmed. */
  publishOne(args: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.publish(args, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private publish(args: unknown, confirmed?: (error: unknown) => void): boolean {
    const id = `${performance.now()}-${Math.random()}`;
    const body = Buffer.from(JSON.stringify({ id, args }));
    return this.channel.sendToQueue(
      this.queue,
      body,
      { persistent: true, messageId: id, contentType: 'application/json' },
      confirmed,
    );
  }
}

/** A consumer on its own connection and channel: parse, perform, ack. */
export class RawConsumer {
  private constructor(private readonly connection: ChannelModel) {}

  /**
   * Consumes `queue` with `prefetch`, calling `perform(args)` per message and acking once it
   * resolved; `acked()` after each ack.
   */
  static async start(
    url: string,
    queue: string,
    prefetch: number,
    perform: (args: any) => unknown,
    acked: () => void,
  ): Promise<RawConsumer> {
    const connection = await connect(url);
    const channel = await connection.createChannel();
    await channel.prefetch(prefetch);
    await channel.consume(
      queue,
      (message) => {
        if (message === null) return;
        const { args } = JSON.parse(message.content.toString()) as { args: unknown };
        Promise.resolve(perform(args)).then(() => {
          channel.ack(message);
          acked();
        });
      },
      { noAck: false },
    );
    return new RawConsumer(connection);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
