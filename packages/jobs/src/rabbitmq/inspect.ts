/**
 * What a RabbitMQ broker can tell about a `RabbitMqStore`'s jobs, for the observer's Jobs
 * view and the `actorkit-jobs` CLI: `jobsView(store, { broker: rabbitMqInspector(store) })`.
 *
 * - Per queue, from AMQP (exact, at the moment asked): the work queue's ready messages
 *   (jobs due, not taken yet) and consumers, and the dead-letter queue's depth.
 * - With `managementUrl` (the management plugin's HTTP API), also: the messages delivered
 *   and not acked (jobs in flight, as of the broker's last statistics sample, every 5 s by
 *   default), and the delay queues that exist with their depths (scheduled jobs and
 *   retries waiting for their backoff: the broker cannot tell the two apart). Without it,
 *   those figures are `null` with the reason in `notes`: AMQP cannot list queues or count
 *   unacked messages.
 * - The dead letters, read by a pass that moves every message of the dead-letter queue
 *   through (see `dead-letter-pass.ts`): none is lost, reordered or counted as a delivery.
 *   A pass costs a publish per dead letter, so the view reads them only when asked (its
 *   dead-letter page does not refresh by itself), and refuses queues longer than `maxPass`
 *   for reading (retrying all of them works at any length).
 * - Retry moves a dead letter back to its work queue (confirmed before it is acked away),
 *   with its attempt history; a job that had used up its attempts gets one more. Discard
 *   acks it away for good.
 *
 * What a broker cannot tell at all: completed jobs (acked away), a job by id outside the
 * dead-letter queues, and scheduled or waiting jobs one by one. The view says so.
 *
 * @example
 * import { jobsView } from '@actorkit/jobs';
 * import { RabbitMqStore, rabbitMqInspector } from '@actorkit/jobs/rabbitmq';
 *
 * const store = new RabbitMqStore({ url: 'amqp://user:pass@rabbit.internal:5672' });
 * const broker = rabbitMqInspector(store, { managementUrl: 'http://rabbit.internal:15672' });
 * await startObserver(runtime, { views: [jobsView(store, { broker })] });
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@actorkit/core';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import { JobNotFoundError, StoreUnavailableError } from '../errors.js';
import type { AttemptError, Job } from '../job.js';
import {
  type BrokerInspector,
  type BrokerQueue,
  type BrokerQueues,
  type DeadLetters,
  UnknownQueueError,
} from '../observer-view-broker.js';
import { checkOptions, integer, number, type OptionCheck } from '../options.js';
import { type PassDecision, passesDone, passLockName, passThrough } from './dead-letter-pass.js';
import { ManagementApi } from './management.js';
import { decodeMessage, encodeBody, HEADER, type MessageJob, toJob } from './message.js';
import type { BrokerSettings, RabbitMqStore } from './rabbitmq-store.js';
import { queueNames } from './topology.js';

export { DeadLetterPassBusyError } from './dead-letter-pass.js';

/** Options of {@link rabbitMqInspector}. */
export interface RabbitMqInspectorOptions {
  /**
   * The management plugin's HTTP API (`http://host:15672`): for unacked counts and the
   * delay queues. Credentials come from the store's URL unless this URL has its own.
   * @default none: those figures show as not available
   */
  managementUrl?: string;
  /** Job queues to show even when no process here runs them and there is no management API. @default [] */
  queues?: readonly string[];
  /** The most dead letters a pass reads in order (for listing, showing, retrying or discarding one). @default 10_000 */
  maxPass?: number;
  /** Dead letters held per batch of a pass. @default 500 */
  batch?: number;
  /** Ms to wait for another process's pass over the same dead-letter queue. @default 5000 */
  lockTimeout?: number;
  /** Ms an HTTP call or a connection may take. @default 5000 */
  timeout?: number;
}

const CHECKS: Record<string, OptionCheck> = {
  managementUrl: (v) =>
    typeof v === 'string' && /^https?:\/\//.test(v) && URL.canParse(v)
      ? undefined
      : 'an http:// or https:// URL',
  queues: (v) =>
    Array.isArray(v) && v.every((q) => typeof q === 'string' && q.length > 0)
      ? undefined
      : 'an array of queue names',
  maxPass: integer(1),
  batch: (v) => integer(1)(v) ?? ((v as number) > 65_535 ? 'an integer <= 65535' : undefined),
  lockTimeout: number(0),
  timeout: number(1),
};

/**
 * A `BrokerInspector` for `store` (see the module documentation): pass it to
 * `jobsView(store, { broker })`. It opens its own connection when first used; close it
 * with `close()` (the view does not). Throws `InvalidArgumentError` for a store that is
 * not a `RabbitMqStore`, an unknown option or a value of the wrong type.
 *
 * @example
 * const broker = rabbitMqInspector(store, { managementUrl: 'http://127.0.0.1:15672' });
 * console.log((await broker.queues(['mail'])).queues[0]); // { queue: 'mail', ready: 3, unacked: 10, … }
 */
export function rabbitMqInspector(
  store: RabbitMqStore,
  options: RabbitMqInspectorOptions = {},
): RabbitMqInspector {
  return new RabbitMqInspector(store, options);
}

/** The RabbitMQ broker inspector; make one with {@link rabbitMqInspector}. */
export class RabbitMqInspector implements BrokerInspector {
  readonly description: string;
  private readonly settings: BrokerSettings;
  private readonly management: ManagementApi | undefined;
  private readonly options: Required<Omit<RabbitMqInspectorOptions, 'managementUrl'>>;
  private model: Promise<ChannelModel> | undefined;
  /** The job queues to show: `options.queues`, and every queue a caller named. */
  private readonly known = new Set<string>();
  /** Which queue a dead letter was last seen in, by job id: where to look first. */
  private readonly seenIn = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly store: RabbitMqStore,
    options: RabbitMqInspectorOptions = {},
  ) {
    const settings = (store as Partial<RabbitMqStore> | null)?.brokerSettings;
    if (typeof settings?.url !== 'string' || typeof store.deadLetterQueue !== 'function') {
      throw new InvalidArgumentError('rabbitMqInspector store', 'a RabbitMqStore', store);
    }
    checkOptions(options, CHECKS, 'rabbitMqInspector options');
    this.settings = settings;
    this.description = store.description;
    this.options = {
      queues: options.queues ?? [],
      maxPass: options.maxPass ?? 10_000,
      batch: options.batch ?? 500,
      lockTimeout: options.lockTimeout ?? 5000,
      timeout: options.timeout ?? 5000,
    };
    for (const queue of this.options.queues) this.known.add(queue);
    this.management =
      options.managementUrl === undefined
        ? undefined
        : new ManagementApi(options.managementUrl, this.settings.url, this.options.timeout);
  }

  /**
   * Depths and consumers of the queues in `known`, in `options.queues` and (with the
   * management API) every queue of the store's prefix on the broker. Rejects with
   * `StoreUnavailableError` when the broker cannot be reached.
   */
  async queues(known: readonly string[] = []): Promise<BrokerQueues> {
    for (const queue of known) this.known.add(queue);
    const notes: string[] = [];
    let managed: Map<string, number | null> | undefined;
    if (this.management === undefined) {
      notes.push(
        'unacked (in flight) and delayed (scheduled or retrying) are not available: AMQP cannot count unacked messages or list queues; pass managementUrl (the management plugin) to see them.',
      );
    } else {
      try {
        const rows = await this.management.queues(this.settings.prefix);
        managed = new Map(rows.map((row) => [row.name, row.unacked]));
        notes.push(
          `unacked is from ${this.management.description}, as of the broker's last statistics sample (every 5 s by default).`,
        );
      } catch (error) {
        notes.push(
          `unacked and delayed are not available: ${(error as Error).message}. The other figures are from AMQP.`,
        );
      }
    }
    const names = new Set([...this.known, ...this.queuesIn(managed)]);
    const queues = await this.withChannel('queues', (channel) =>
      sequential([...names].sort(), (queue) => this.queueOf(channel, queue, managed, notes)),
    );
    return {
      queues: queues.filter((q): q is BrokerQueue => q !== undefined),
      complete: managed !== undefined,
      notes,
    };
  }

  /**
   * The first `limit` dead letters of `queue`, read by a pass through its dead-letter
   * queue. Rejects with `StoreUnavailableError` when it holds more than `maxPass` messages,
   * or another process's pass holds it past `lockTimeout`.
   */
  async deadLetters(queue: string, limit: number): Promise<DeadLetters> {
    const jobs: Job[] = [];
    let unreadable = 0;
    const { total, duplicatesRemoved } = await this.pass(queue, 'read', (_message, job) => {
      if (job === undefined) unreadable++;
      else if (jobs.length < limit) jobs.push(job);
      return 'keep';
    });
    this.known.add(queue);
    return { queue, total, jobs, unreadable, duplicatesRemoved };
  }

  /** The dead letter with this id, looked for where it was last seen, then in every queue. */
  async findDeadLetter(id: string, known: readonly string[] = []): Promise<Job | undefined> {
    let found: Job | undefined;
    await this.eachQueueFor(id, known, async (queue) => {
      await this.pass(queue, 'read', (_message, job) => {
        if (job?.id === id && found === undefined) found = job;
        return 'keep';
      });
      return found !== undefined;
    });
    return found;
  }

  /**
   * Moves dead letter `id` back to its work queue (confirmed before the dead letter is
   * acked), keeping its attempt history; a job that had used up its attempts gets one more.
   * Resolves with it as `available`; rejects with `JobNotFoundError` if no dead letter has it.
   */
  async retryDeadLetter(id: string, known: readonly string[] = []): Promise<Job> {
    let retried: Job | undefined;
    await this.eachQueueFor(id, known, async (queue) => {
      await this.pass(queue, 'move', (_message, job) => {
        if (job?.id !== id || retried !== undefined) return 'keep';
        retried = this.retriedJob(job);
        return 'retry';
      });
      return retried !== undefined;
    });
    if (retried === undefined) throw new JobNotFoundError(id, this.deadLetterPlaces());
    return retried;
  }

  /** Moves every dead letter (of `queue`, of `worker`) back to its work queue; resolves with how many. */
  async retryDeadLetters(
    filter: { queue?: string; worker?: string },
    known: readonly string[] = [],
  ): Promise<number> {
    const queues =
      filter.queue === undefined
        ? (await this.queues(known)).queues.map((q) => q.queue)
        : [filter.queue];
    let retried = 0;
    for (const queue of queues) {
      await this.pass(queue, filter.worker === undefined ? 'all' : 'move', (_message, job) => {
        if (job === undefined || (filter.worker !== undefined && job.worker !== filter.worker)) {
          return 'keep';
        }
        retried++;
        return 'retry';
      });
    }
    return retried;
  }

  /** Acks dead letter `id` away for good; resolves with it; rejects with `JobNotFoundError` if there is none. */
  async discardDeadLetter(id: string, known: readonly string[] = []): Promise<Job> {
    let dropped: Job | undefined;
    await this.eachQueueFor(id, known, async (queue) => {
      await this.pass(queue, 'move', (_message, job) => {
        if (job?.id !== id || dropped !== undefined) return 'keep';
        dropped = job;
        return 'drop';
      });
      return dropped !== undefined;
    });
    if (dropped === undefined) throw new JobNotFoundError(id, this.deadLetterPlaces());
    this.seenIn.delete(id);
    return dropped;
  }

  /** Closes the inspector's connection (dropping its socket if the broker does not answer within `timeout`). */
  async close(): Promise<void> {
    this.closed = true;
    const model = this.model;
    this.model = undefined;
    const open = await model?.catch(() => undefined);
    if (open !== undefined) await closeWithin(open, this.options.timeout);
  }

  /**
   * One pass through `queue`'s dead-letter queue: `decide` sees each message as a job (or
   * undefined when it is not one). A second message of a job id seen earlier in the pass
   * (left by an interrupted pass) is dropped. `read` and `move` passes refuse a queue
   * longer than `maxPass`.
   */
  private async pass(
    queue: string,
    kind: 'read' | 'move' | 'all',
    decide: (message: ConsumeMessage, job: Job | undefined) => PassDecision,
  ): Promise<{ total: number; duplicatesRemoved: number }> {
    const names = queueNames(this.settings.prefix, queue);
    const model = await this.connection('a dead-letter pass');
    await this.checkLength(model, queue, names.dead, kind !== 'all');
    const seen = new Set<string>();
    let duplicatesRemoved = 0;
    const decoded = new Map<ConsumeMessage, MessageJob>();
    try {
      const total = await passThrough(
        model,
        {
          deadLetterQueue: names.dead,
          workQueue: names.work,
          batch: this.options.batch,
          lockTimeout: this.options.lockTimeout,
          stallTimeout: 1000,
          description: this.description,
        },
        (message) => {
          const job = readJob(queue, message);
          if (job === undefined) return decide(message, undefined);
          if (seen.has(job.id)) {
            duplicatesRemoved++;
            return 'drop';
          }
          seen.add(job.id);
          this.seenIn.set(job.id, queue);
          decoded.set(message, job);
          return decide(message, deadJob(job, message));
        },
        (message) => this.republished(decoded.get(message) as MessageJob, message),
      );
      return { total, duplicatesRemoved };
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      this.forget(model);
      throw new StoreUnavailableError(`a pass through ${names.dead}`, this.description, error);
    }
  }

  private async checkLength(
    model: ChannelModel,
    queue: string,
    deadLetterQueue: string,
    bounded: boolean,
  ): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      let messageCount: number;
      try {
        ({ messageCount } = await channel.checkQueue(deadLetterQueue));
      } catch (error) {
        if (/NOT_FOUND|404/.test(String((error as Error).message))) {
          throw new UnknownQueueError(queue, this.description);
        }
        throw error;
      }
      if (bounded && messageCount > this.options.maxPass) {
        throw new StoreUnavailableError(
          `reading ${deadLetterQueue}`,
          this.description,
          new Error(
            `it holds ${messageCount} messages, more than a pass reads in order (maxPass ${this.options.maxPass}); raise maxPass, or retry them all at once`,
          ),
        );
      }
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /** The headers and body that put `job` back in its work queue: due now, history kept, one more attempt if it had none. */
  private republished(job: MessageJob, message: ConsumeMessage) {
    const dead = deadJob(job, message);
    const maxAttempts = Math.max(job.maxAttempts, job.attempts + 1);
    return {
      headers: {
        ...withoutReturns(message.properties.headers),
        [HEADER.attempt]: job.attempts,
        [HEADER.runAt]: this.store.now(),
        [HEADER.errors]: JSON.stringify(dead.errors),
      },
      content: encodeBody({ ...job, maxAttempts }),
    };
  }

  private retriedJob(job: Job): Job {
    const maxAttempts = Math.max(job.maxAttempts, job.attempt + 1);
    return { ...job, state: 'available', maxAttempts, runAt: this.store.now(), finishedAt: null };
  }

  /** Runs `look(queue)` for the queue `id` was last seen in, then the others, until it answers true. */
  private async eachQueueFor(
    id: string,
    known: readonly string[],
    look: (queue: string) => Promise<boolean>,
  ) {
    const first = this.seenIn.get(id);
    if (first !== undefined && (await look(first))) return;
    const { queues } = await this.queues(known);
    for (const { queue } of queues) {
      if (queue !== first && (await look(queue))) return;
    }
  }

  private deadLetterPlaces(): string {
    return `the dead-letter queues of ${this.description} (a broker finds a job by id only among its dead letters)`;
  }

  private queuesIn(managed: Map<string, unknown> | undefined): string[] {
    if (managed === undefined) return [];
    const prefix = `${this.settings.prefix}.`;
    const queues: string[] = [];
    for (const name of managed.keys()) {
      const rest = name.slice(prefix.length);
      if (/\.delay\.\d+$/.test(rest) || rest.endsWith('.dead') || rest.endsWith('.pass-lock')) {
        continue;
      }
      if (managed.has(`${name}.dead`)) queues.push(rest);
    }
    return queues;
  }

  private async queueOf(
    channel: Channels,
    queue: string,
    managed: Map<string, number | null> | undefined,
    notes: string[],
  ): Promise<BrokerQueue | undefined> {
    const names = queueNames(this.settings.prefix, queue);
    const work = await check(channel, names.work);
    if (work === undefined) return undefined; // not declared (yet): no job was ever enqueued
    // A pass holds a batch of dead letters unacked: count them once this process's passes
    // ended, and say so when another process's pass is under way.
    await passesDone(names.dead);
    const dead = await check(channel, names.dead);
    if (await lockHeld(channel, passLockName(names.dead))) {
      notes.push(
        `another process is moving the dead letters of ${queue} through its dead-letter queue: their count reads low until it ends.`,
      );
    }
    let delayLevels: BrokerQueue['delayLevels'] = null;
    if (managed !== undefined) {
      delayLevels = [];
      const level = `${names.work}.delay.`;
      for (const name of managed.keys()) {
        const ms = name.startsWith(level) ? Number(name.slice(level.length)) : Number.NaN;
        if (!Number.isInteger(ms)) continue;
        const depth = await check(channel, name);
        if (depth !== undefined) delayLevels.push({ ms, messages: depth.messageCount });
      }
      delayLevels.sort((a, b) => a.ms - b.ms);
    }
    return {
      queue,
      workQueue: names.work,
      ready: work.messageCount,
      unacked: managed?.get(names.work) ?? null,
      consumers: work.consumerCount,
      delayed: delayLevels?.reduce((sum, l) => sum + l.messages, 0) ?? null,
      delayLevels,
      dead: dead?.messageCount ?? 0,
      deadLetterQueue: names.dead,
    };
  }

  /** Runs `use` with a channel getter: a passive declare of a missing queue closes the channel, so a new one is opened after it. */
  private async withChannel<T>(
    operation: string,
    use: (channel: Channels) => Promise<T>,
  ): Promise<T> {
    const model = await this.connection(operation);
    let current: Channel | undefined;
    const channels: Channels = {
      get: async () => {
        if (current === undefined) {
          current = await model.createChannel();
          current.on('error', () => {});
        }
        return current;
      },
      discard: () => {
        const closing = current;
        current = undefined;
        void closing?.close().catch(() => {});
      },
    };
    try {
      return await use(channels);
    } catch (error) {
      this.forget(model);
      throw new StoreUnavailableError(operation, this.description, error);
    } finally {
      await current?.close().catch(() => {});
    }
  }

  private connection(operation: string): Promise<ChannelModel> {
    if (this.closed) {
      return Promise.reject(
        new StoreUnavailableError(
          operation,
          this.description,
          new Error('the inspector was closed'),
        ),
      );
    }
    if (this.model === undefined) {
      const opening = connectWithin(this.settings.url, this.options.timeout);
      this.model = opening;
      opening.then(
        (model) => {
          model.on('error', () => {});
          model.on('close', () => this.forget(model));
        },
        () => this.forget(undefined, opening),
      );
    }
    return this.model.catch((error: unknown) => {
      throw new StoreUnavailableError(operation, this.description, error);
    });
  }

  private forget(model: ChannelModel | undefined, opening?: Promise<ChannelModel>): void {
    const current = this.model;
    if (current === undefined) return;
    if (opening !== undefined && current === opening) this.model = undefined;
    if (model !== undefined) {
      void current.then((m) => {
        if (m === model && this.model === current) this.model = undefined;
      });
    }
  }
}

/** The job in `message`, or undefined when it is not a job message of this store. */
function readJob(queue: string, message: ConsumeMessage): MessageJob | undefined {
  try {
    return decodeMessage(queue, message);
  } catch {
    return undefined;
  }
}

/**
 * A dead letter as a `discarded` job. One the broker dead-lettered as poison (returned
 * without an outcome past the queue's delivery limit: its worker's process died, or its
 * connection was lost, each time) gets that as its last error, since no attempt recorded
 * one.
 */
function deadJob(job: MessageJob, message: ConsumeMessage): Job {
  const death = lastDeath(message);
  const errors = [...job.errors];
  if (death?.reason === 'delivery_limit') {
    errors.push({
      attempt: job.attempts + 1,
      at: death.at ?? job.runAt,
      kind: 'rescued',
      name: 'DeliveryLimitExceeded',
      message: `the broker dead-lettered it from ${death.queue}: it went back to the queue without an outcome more often than the queue's delivery limit allows (each time the consumer holding it lost its channel: a worker process that died, a lost connection or a broker restart)`,
    } satisfies AttemptError);
  }
  const last = errors.at(-1);
  return toJob(
    { ...job, errors },
    {
      state: 'discarded',
      attempt: job.attempts,
      attemptedAt: last?.startedAt ?? null,
      finishedAt: last?.at ?? death?.at ?? null,
      node: null,
    },
  );
}

/** The broker's most recent dead-lettering of `message` (its `x-death` header), if any. */
function lastDeath(
  message: ConsumeMessage,
): { reason: string; queue: string; count: number; at: number | undefined } | undefined {
  const deaths = message.properties.headers?.['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const death = deaths[0] as unknown as Record<string, unknown>;
  const time = death.time as { value?: unknown } | number | undefined;
  const seconds = typeof time === 'number' ? time : Number(time?.value);
  return {
    reason: String(death.reason),
    queue: String(death.queue),
    count: Number(death.count ?? 1),
    at: Number.isFinite(seconds) ? seconds * 1000 : undefined,
  };
}

/** Passive declares of `name`: its depth and consumers, or undefined when it does not exist. */
async function check(
  channels: Channels,
  name: string,
): Promise<{ messageCount: number; consumerCount: number } | undefined> {
  try {
    return await (await channels.get()).checkQueue(name);
  } catch (error) {
    // The broker closed the channel with the error: the next check opens another.
    channels.discard();
    if (/NOT_FOUND|404/.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

/** Whether the exclusive lock queue `name` exists: another connection's pass holds it (405), or this one's. */
async function lockHeld(channels: Channels, name: string): Promise<boolean> {
  try {
    await (await channels.get()).checkQueue(name);
    return true;
  } catch (error) {
    channels.discard();
    const message = String((error as Error).message);
    if (/NOT_FOUND|404/.test(message)) return false;
    if (/RESOURCE_LOCKED|405/.test(message)) return true;
    throw error;
  }
}

/** A channel for passive declares, and a way to drop it once the broker closed it. */
interface Channels {
  get(): Promise<Channel>;
  discard(): void;
}

async function sequential<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await run(item));
  return results;
}

/** Closes `model`; a broker that stopped reading would hold the close forever, so its socket is dropped after `timeout` ms. */
async function closeWithin(model: ChannelModel, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    model.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeout);
    }),
  ]);
  clearTimeout(timer);
  if (!answered)
    (model.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

function connectWithin(url: string, timeout: number): Promise<ChannelModel> {
  return connect(url, {
    timeout,
    clientProperties: { connection_name: `actorkit-jobs inspector ${randomUUID().slice(0, 8)}` },
  });
}

/** `headers` without the store's count of returns: a job retried from the dead-letter queue starts with none. */
function withoutReturns(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const kept = { ...(headers ?? {}) };
  delete kept[HEADER.returns];
  return kept;
}
