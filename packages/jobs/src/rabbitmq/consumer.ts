/**
 * @internal The consumer of one work queue: a channel of its own with `prefetch` = the
 * queue's concurrency (the broker pushes no more than the queue can run), manual acks,
 * and a buffer of deliveries that `claim` takes from. It resumes on each new connection;
 * what it held on a lost one is dropped (the broker gives it to a consumer again), and
 * an ack or a requeue is sent only on the channel that delivered the message, so none goes
 * to a channel that replaced it. Acks are coalesced per channel (`AckCoalescer`): the
 * completions of one settle go out as one "every delivery up to this tag" ack where they
 * form a run, never covering a delivery whose job has not settled.
 *
 * A channel the broker closes on a live connection (a delivery held past the broker's
 * `consumer_timeout`, PRECONDITION_FAILED) loses only its own deliveries: the consumer
 * tells its host (whose attempts on that channel are stale) and opens a new channel on the
 * same connection, so the publishing channel and the other queues' consumers go on.
 *
 * On a classic queue (no delivery limit), a delivery the broker marks `redelivered` went
 * back to the queue without an outcome: the consumer hands it to its host to count
 * (`returned`) instead of running it.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { AckCoalescer } from './ack-coalescer.js';
import { type BrokerConnection, CLOSE_TIMEOUT, type Session, settlesWithin } from './connection.js';
import { decodeMessage, type MessageJob } from './message.js';

/** @internal A message delivered to this process and not yet acked. */
export interface Delivery {
  readonly message: ConsumeMessage;
  readonly job: MessageJob;
  readonly channel: Channel;
  /** The acks of `channel`'s deliveries. */
  readonly acks: AckCoalescer<ConsumeMessage>;
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
  /**
   * Whether the host counts returns itself (a classic queue): a redelivered delivery then
   * goes to `returned` instead of the buffer.
   */
  readonly countsReturns: boolean;
  /** A delivery that went back to the queue without an outcome: count it, then republish or dead-letter it, then ack it. */
  returned(delivery: Delivery): void;
  /** Deliveries arrived: wake the queue. */
  delivered(queue: string): void;
  /** The broker closed `channel` (the connection lives on): what it delivered is stale. */
  channelLost(channel: Channel, cause: Error): void;
}

/** @internal */
export class QueueConsumer {
  private channel: Channel | undefined;
  private acks: AckCoalescer<ConsumeMessage> | undefined;
  private buffer: Delivery[] = [];
  private stopped = false;
  /** @internal Channels the broker closed on a live connection (for tests and diagnostics). */
  channelsLost = 0;
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
      this.acks?.close();
      this.acks = undefined;
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

  /**
   * Acks `delivery` if its channel is current (at the end of this microtask, with the other
   * acks settled by then); false if it is stale (the broker has it back).
   */
  ack(delivery: Delivery): boolean {
    if (!this.isCurrent(delivery)) return false;
    delivery.acks.settle(delivery.message);
    return true;
  }

  /** Gives `delivery` back to the queue (counts towards its delivery limit); false if stale. */
  requeue(delivery: Delivery): boolean {
    if (!this.isCurrent(delivery)) return false;
    delivery.channel.nack(delivery.message, false, true);
    delivery.acks.release(delivery.message);
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
    // The acks settled so far go out before the close gives the rest back.
    this.acks?.flush();
    this.acks?.close();
    this.acks = undefined;
    if (channel !== undefined) await settlesWithin(channel.close(), CLOSE_TIMEOUT);
  }

  private async start(session: Session): Promise<void> {
    if (this.stopped) return;
    let channel: Channel | undefined;
    try {
      await this.host.declare(session, this.queue);
      channel = await session.model.createChannel();
      // amqplib emits 'error' only for a close the broker sent (with its reply code and
      // text), then 'close'; a closing connection closes its channels without an error.
      let closedBy: Error | undefined;
      channel.on('error', (error: Error) => void (closedBy = error));
      const opened = channel;
      channel.on('close', () => {
        if (this.channel !== opened || this.stopped) return;
        if (closedBy !== undefined && !session.closed && this.host.connection.current === session) {
          this.channelClosed(session, opened, closedBy);
          return;
        }
        this.host.connection.reset(
          session,
          closedBy ?? new Error(`the consumer channel of ${this.workQueue} closed`),
        );
      });
      await channel.prefetch(this.prefetch);
      if (this.stopped || session.closed) {
        await channel.close().catch(() => {});
        return;
      }
      // Sends only while `opened` is the current channel: a replaced or closed channel's
      // deliveries went back to the broker with it.
      const acks = new AckCoalescer<ConsumeMessage>((message, multiple) => {
        if (this.channel === opened) tryAck(opened, message, multiple);
      });
      this.channel = channel;
      this.acks = acks;
      await channel.consume(
        this.workQueue,
        (message) => this.onMessage(session, opened, acks, message),
        { noAck: false },
      );
    } catch (error) {
      if (channel !== undefined && this.channel !== channel) await channel.close().catch(() => {});
      this.host.connection.reset(session, error);
    }
  }

  /**
   * The broker closed this consumer's channel (a delivery held past its consumer timeout):
   * its deliveries are the broker's again; consume on a new channel of the same connection.
   */
  private channelClosed(session: Session, channel: Channel, cause: Error): void {
    this.channel = undefined;
    this.acks?.close();
    this.acks = undefined;
    this.buffer = [];
    this.channelsLost++;
    this.host.channelLost(channel, new ConsumerChannelClosedError(this.workQueue, cause));
    void this.start(session);
  }

  private onMessage(
    session: Session,
    channel: Channel,
    acks: AckCoalescer<ConsumeMessage>,
    message: ConsumeMessage | null,
  ): void {
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
    acks.delivered(message);
    const delivery: Delivery = { message, job, channel, acks, generation: session.generation };
    if (message.fields.redelivered && this.host.countsReturns) {
      this.host.returned(delivery);
      return;
    }
    if (job.runAt > this.host.now()) {
      this.host.postpone(delivery);
      return;
    }
    this.buffer.push(delivery);
    this.host.delivered(this.queue);
  }
}

/**
 * @internal Why a consumer channel's deliveries went back to the broker while the
 * connection lived on: the broker's close (its reply code and text), and what to do when
 * it is the consumer ack timeout.
 */
export class ConsumerChannelClosedError extends Error {
  /** Whether the broker closed the channel for a delivery held past its `consumer_timeout`. */
  readonly ackTimeout: boolean;

  constructor(
    readonly workQueue: string,
    override readonly cause: Error,
  ) {
    const ackTimeout = /acknowledgement .*timed out/i.test(cause.message);
    super(
      `the broker closed the consumer channel of ${workQueue} (${cause.message})${
        ackTimeout
          ? ": a job ran longer than the broker's consumer_timeout. Give each worker of the queue a timeout below it, or raise consumer_timeout (see the RabbitMQ section of the README)"
          : ''
      }`,
    );
    this.name = 'ConsumerChannelClosedError';
    this.ackTimeout = ackTimeout;
  }
}

/** Acks on `channel`; amqplib throws once the channel closed, which gave its deliveries back. */
function tryAck(channel: Channel, message: ConsumeMessage, multiple: boolean): void {
  try {
    channel.ack(message, multiple);
  } catch {}
}
