/**
 * @internal The part of RabbitMQ's management HTTP API the broker inspector reads: the
 * queues whose names start with the store's prefix, with their unacknowledged messages
 * (`GET /api/queues/<vhost>?name=^prefix\.&use_regex=true`). It is
 * the only place a broker tells how many messages are delivered and not yet acked, and
 * which queues exist (AMQP has no listing). Its figures are the broker's statistics,
 * sampled every `collect_statistics_interval` (5 s by default), so they may lag that much.
 *
 * Enable it on the broker with `rabbitmq-plugins enable rabbitmq_management` (listening on
 * 15672); its user needs the `monitoring` (or `management`) tag.
 */
import { describeCause } from '../errors.js';

/** One queue as the management API reports it: its unacked messages, `null` before its first statistics sample. */
export interface ManagedQueue {
  name: string;
  unacked: number | null;
}

/** The management API at `url` (`http://host:15672`), with the credentials of `amqpUrl` unless `url` has its own. */
export class ManagementApi {
  private readonly base: string;
  private readonly authorization: string;
  private readonly vhost: string;

  constructor(url: string, amqpUrl: string, timeout: number) {
    const api = new URL(url);
    const amqp = new URL(amqpUrl);
    const user = decodeURIComponent(api.username || amqp.username || 'guest');
    const password = decodeURIComponent(api.password || amqp.password || 'guest');
    api.username = '';
    api.password = '';
    this.base = api.toString().replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    // amqp://host/vhost: the vhost is the path without its slash ('/' when empty).
    this.vhost = decodeURIComponent(amqp.pathname.slice(1)) || '/';
    this.timeout = timeout;
  }

  private readonly timeout: number;

  /** Where it is, for messages (no credentials). */
  get description(): string {
    return `the management API at ${this.base}`;
  }

  /** The queues named `<prefix>.…`; rejects with an Error saying why the API did not answer. */
  async queues(prefix: string): Promise<ManagedQueue[]> {
    const query = new URLSearchParams({
      name: `^${escapeRegExp(prefix)}\\.`,
      use_regex: 'true',
      columns: 'name,messages_unacknowledged',
    });
    const url = `${this.base}/api/queues/${encodeURIComponent(this.vhost)}?${query}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: this.authorization },
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      throw new Error(`${this.description} did not answer (${describeCause(cause)})`);
    }
    if (!response.ok) {
      const hint =
        response.status === 401
          ? ': the user needs the monitoring tag, and guest logs in from localhost only'
          : '';
      throw new Error(`${this.description} answered HTTP ${response.status}${hint}`);
    }
    const rows = (await response.json()) as Record<string, unknown>[];
    if (!Array.isArray(rows)) throw new Error(`${this.description} answered no queue list`);
    return rows.map((row) => ({
      name: String(row.name),
      unacked: typeof row.messages_unacknowledged === 'number' ? row.messages_unacknowledged : null,
    }));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
