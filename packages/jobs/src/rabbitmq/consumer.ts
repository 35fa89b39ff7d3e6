/**
 * @internal The consumer of one work queue: a channel of its own with `prefetch` = the
 * queue's concurrency (the broker pushes no more than the queue can run), manual acks,
 * and a buffer of deliveries that `claim` takes from. It resumes on each new connection;
 * what it held on a lost one is dropped (the broker gives it to a consumer again), and
 * an ack or a requeue is sent only on the channel that delivered the message, so none goes
 * to a channel that replaced it.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { type BrokerConnection, CLOSE_TIMEOUT, type Session, settlesWithin } from './connection.js';
import { decodeMessage, type MessageJob } from './message.js';

/** @internal A message delivered to this process and not yet acked. */
export interface Delivery {
  readonly message: ConsumeMessage;
  readonly job: MessageJob;
  readonly channel: Channel;
  readonly generation: number;
}

/** @internal What a consumer needs from its store. */
export interface ConsumerHost {
  readonly connection: BrokerConnection;
  now(): number;
  /** Declares the queue's objects on `session`. */
  declare(session: Session, queue: string): Promise<void>;
  /** A delivery that is not due yet: send it to its next delay level, then ack it. */
  postpone(delivery: Delivery): void;
  /** Deliveries arrived: wake the queue. */
  delivered(queue: string): void;
}

/** @internal */
export class QueueConsumer {
  private channel: Channel | undefined;
  private buffer: Delivery[] = [];
  private stopped = false;
  private readonly offOpen: () => void;
  private readonly offLost: () => void;

  constructor(
    private readonly host: ConsumerHost,
    readonly queue: string,
    private readonly workQueue: string,
    readonly prefetch: number,
  ) {
    this.offLost = host.connection.onLost(() => {
      this.channel = undefined;
      this.buffer = [];
    });
    this.offOpen = host.connection.onOpen((session) => void this.start(session));
    host.connection.start();
  }

  /** Up to `limit` deliveries of the current connection, oldest first. */
  take(limit: number): Delivery[] {
    return this.buffer.splice(0, limit);
  }

  /** Whether `delivery` can still be acked: its channel is this consumer's current one. */
  isCurrent(delivery: Delivery): boolean {
    return (
      delivery.channel === this.channel &&
      delivery.generation === this.host.connection.generation &&
      this.host.connection.current !== undefined
    );
  }

  /** Acks `delivery` if its channel is current; false if it is stale (the broker has it back). */
  ack(delivery: Delivery): boolean {
    if (!this.isCurrent(delivery)) return false;
    delivery.channel.ack(delivery.message);
    return true;
  }

  /** Gives `delivery` back to the queue (counts towards its delivery limit); false if stale. */
  requeue(delivery: Delivery): boolean {
    if (!this.isCurrent(delivery)) return false;
    delivery.channel.nack(delivery.message, false, true);
    return true;
  }

  /** Stops consuming: closing the channel gives every unacked delivery back to the broker. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offOpen();
    this.offLost();
    this.buffer = [];
    const channel = this.channel;
    this.channel = undefined;
    if (channel !== undefined) await settlesWithin(channel.close(), CLOSE_TIMEOUT);
  }

  private async start(session: Session): Promise<void> {
    if (this.stopped) return;
    let channel: Channel | undefined;
    try {
      await this.host.declare(session, this.queue);
      channel = await session.model.createChannel();
      channel.on('error', () => {});
      const opened = channel;
      channel.on('close', () => {
        // A channel the broker closed (a consumer ack timeout, a refused ack) loses its
        // deliveries like a lost connection: start over on a new connection.
        if (this.channel === opened && !this.stopped) {
          this.host.connection.reset(
            session,
            new Error(`the consumer channel of ${this.workQueue} closed`),
          );
        }
      });
      await channel.prefetch(this.prefetch);
      if (this.stopped || session.closed) {
        await channel.close().catch(() => {});
        return;
      }
      this.channel = channel;
      await channel.consume(this.workQueue, (message) => this.onMessage(session, opened, message), {
        noAck: false,
      });
    } catch (error) {
      if (channel !== undefined && this.channel !== channel) await channel.close().catch(() => {});
      this.host.connection.reset(session, error);
    }
  }

  private onMessage(session: Session, channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over.
      this.host.connection.reset(
        session,
        new Error(`the broker cancelled the consumer of ${this.workQueue}`),
      );
      return;
    }
    if (channel !== this.channel) return;
    let job: MessageJob;
    try {
      job = decodeMessage(this.queue, message);
    } catch {
      // Not a job this store can read: dead-letter it rather than fail on it forever.
      channel.nack(message, false, false);
      return;
    }
    const delivery: Delivery = { message, job, channel, generation: session.generation };
    if (job.runAt > this.host.now()) {
      this.host.postpone(delivery);
      return;
    }
    this.buffer.push(delivery);
    this.host.delivered(this.queue);
  }
}
