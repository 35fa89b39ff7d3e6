/**
 * @internal Passive declares (`queue.declare` with `passive`: the queue's ready messages
 * and consumers, nothing created) on a channel of their own: a queue the broker does not
 * have closes the channel (404), so the next check opens another.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { CLOSE_TIMEOUT, settlesWithin } from './connection.js';

/** @internal A queue's depth as a passive declare tells it. */
export interface QueueDepth {
  /** Messages ready: not delivered to any consumer. */
  messageCount: number;
  consumerCount: number;
}

/** @internal */
export class QueueChecker {
  private channel: Channel | undefined;

  constructor(private readonly model: ChannelModel) {}

  /** The queue's depth and consumers, or undefined when the broker has no such queue. */
  async check(name: string): Promise<QueueDepth | undefined> {
    if (this.channel === undefined) {
      this.channel = await this.model.createChannel();
      // The broker's close of a channel (404) comes as 'error'; the check's rejection says it.
      this.channel.on('error', () => {});
    }
    try {
      return await this.channel.checkQueue(name);
    } catch (error) {
      this.channel = undefined;
      if ((error as { code?: unknown }).code === 404) return undefined;
      throw error;
    }
  }

  /** Closes its channel, if one is open (bounded: a dead connection never answers). */
  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel !== undefined) await settlesWithin(channel.close(), CLOSE_TIMEOUT);
  }
}
