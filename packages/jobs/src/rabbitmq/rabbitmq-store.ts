/**
 * A job store on RabbitMQ, for workers on many machines: each job is a persistent message
 * in a durable queue (a quorum queue by default, or a classic one: `queueType`), delivered
 * to one consumer at a time, acked only after its worker resolved. The same `Queue` process tree and workers run on it as on
 * `SqliteStore`; the queue's producer claims from the deliveries the broker pushed.
 *
 * What it guarantees, by default:
 * - `enqueue` resolves only after the broker's publisher confirm (a quorum queue wrote
 *   the message to disk on a majority; a classic queue on its one node); it rejects with
 *   a `StoreUnavailableError` subclass (`BrokerUnavailableError`,
 *   `PublishNotConfirmedError`, `PublisherBlockedError`, `PublishBackpressureError`) when
 *   the broker is unreachable for `unavailableTimeout`, refuses the message, does not
 *   confirm within `confirmTimeout`, blocks publishers (a memory or disk alarm) for
 *   `blockedTimeout`, or leaves no room in the socket for `drainTimeout`. Never a silent
 *   loss, never a hang.
 * - At least once: a job is acked after its worker resolved; a retry, snooze, discard or
 *   shutdown requeue is republished (confirmed) before the delivery is acked. If the
 *   process or its connection dies first, the broker delivers the job again. An ack is
 *   sent only on the channel that delivered the job: after a reconnect, the old attempts'
 *   results are refused as stale (`StaleAttemptError`) and their node loses its lease
 *   (its attempts are stopped), since the broker has given the jobs to a consumer again.
 * - Long jobs: a delivery held past the broker's `consumer_timeout` (30 min by default)
 *   makes the broker close that queue's consumer channel. Its attempts are then refused as
 *   stale and their node loses its lease (a `LeaseLostError` naming the ack timeout), the
 *   jobs are delivered again, and the consumer goes on with a new channel on the same
 *   connection. Give workers a `timeout` below the broker's `consumer_timeout`, or raise
 *   it (see the README): AMQP does not tell a client its value.
 * - Retries and scheduled jobs wait in delay levels (TTL queues dead-lettering back to the
 *   work queue; no plugin): never early, at most `delayResolution` ms late (plus the
 *   broker's hops).
 * - Poison jobs: a job returned without an outcome more than `deliveryLimit` times (it
 *   crashes its worker's process every time) is dead-lettered: by the broker on a quorum
 *   queue, by the store on a classic one (see `queueType`); a job the
 *   worker discards, or that used up `maxAttempts`, goes to the dead-letter queue
 *   `<prefix>.<queue>.dead` with its attempt history in headers.
 *
 * What RabbitMQ cannot give is refused with `UnsupportedCapabilityError` (see
 * `capabilities`): queries over all jobs (`get`, `list`; `counts` gives only what the
 * broker can count: dead letters, ready messages, consumers), manual control of
 * queued jobs, uniqueness keys (so crontabs), priorities, a claim order other than
 * arrival, rate limits across processes, and atomic batches (each job of a batch is
 * confirmed on its own; a rejection lists those that were).
 *
 * @example
 * import { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
 * const store = new RabbitMqStore({ url: 'amqp://user:pass@rabbit.internal:5672' });
 * await Supervisor.start([Queue.childSpec({ queue: 'mail', store, workers: [SendWelcome], concurrency: 20 })]);
 * await enqueue(store, SendWelcome, { userId: 42 });
 *
 * ## When not to use it
 * On one machine, `SqliteStore` is simpler, faster, and gives every capability, including
 * enqueueing inside your own database transaction.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@actorkit/core';
import { LeaseLostError, StaleAttemptError, UnsupportedCapabilityError } from '../errors.js';
import type { AttemptError, AttemptRef, ClaimedJob, Enqueued, Job, NewJob } from '../job.js';
import { validateNewJob } from '../new-job.js';
import { checkOptions, clockLike, integer, number, oneOf, text } from '../options.js';
import type {
  ClaimRequest,
  JobQuery,
  NodeInfo,
  NodeRef,
  Outcome,
  QueueCounts,
  RescueResult,
  RetryFilter,
  SettleResult,
  Store,
  StoreCapabilities,
} from '../store.js';
import {
  BrokerConnection,
  type Outgoing,
  type PublishResults,
  type Session,
} from './connection.js';
import { type ConsumerHost, type Delivery, QueueConsumer } from './consumer.js';
import {
  BrokerUnavailableError,
  PublishBackpressureError,
  PublisherBlockedError,
  PublishNotConfirmedError,
} from './errors.js';
import { encodeBody, type MessageJob, publishOptions, toJob } from './message.js';
import { QueueChecker } from './queue-checker.js';
import {
  deadQueueOptions,
  delayLevel,
  delayQueueName,
  delayQueueOptions,
  type QueueNames,
  type QueueType,
  queueNames,
  workQueueOptions,
} from './topology.js';

/** Options of `new RabbitMqStore()`. */
export interface RabbitMqStoreOptions {
  /** The broker: `amqp://user:password@host:5672/vhost` (or `amqps://`). */
  url: string;
  /** Prefix of the queue and exchange names the store declares. @default 'actorkit.jobs' */
  prefix?: string;
  /** Ms an enqueue waits for a connection while the broker is away, before `BrokerUnavailableError`. @default 5000 */
  unavailableTimeout?: number;
  /** Ms an enqueue waits for the broker's confirm before `PublishNotConfirmedError`. @default 10_000 */
  confirmTimeout?: number;
  /** Ms a publish waits for room in a full socket buffer before `PublishBackpressureError`. @default 5000 */
  drainTimeout?: number;
  /**
   * Ms an enqueue (or a republish) waits while the broker blocks publishers (a memory or
   * disk alarm) before `PublisherBlockedError`; it goes on at once when the alarm clears.
   * The confirms of what it wrote before the block are waited for no longer than
   * `confirmTimeout` either. @default 5000
   */
  blockedTimeout?: number;
  /**
   * The type of the work and dead-letter queues, fixed when a queue is first declared (a
   * queue declared with another type is refused by the broker):
   * - `'quorum'`: replicated by Raft across a cluster's nodes (a confirm means a majority
   *   wrote it), and the broker counts returns (`x-delivery-limit`). Survives the loss of a
   *   broker node; Raft's batching costs latency (a few ms).
   * - `'classic'`: one node's queue (no replication: the job is on that node's disk only),
   *   lower latency. Classic queues count no returns, so the store does: a delivery the
   *   broker marks `redelivered` is republished (confirmed) with its count in the
   *   `x-actorkit-returns` header and then acked, without running it; the copy runs when
   *   it comes. Past `deliveryLimit` it goes to the dead-letter queue instead, with a
   *   `DeliveryLimitExceeded` error in its history. A process dying between the republish
   *   and the ack leaves both copies: the job may run twice (at least once).
   *
   * Delay levels are quorum queues either way (only they dead-letter at least once).
   * @default 'quorum'
   */
  queueType?: QueueType;
  /**
   * Times a job may go back to its queue without an outcome (its consumer's connection
   * died) before it is dead-lettered as poison: the quorum queue's `x-delivery-limit`
   * (fixed when the queue is first declared), or the store's own count on a classic
   * queue. Every return counts, also those of jobs a killed process had only prefetched
   * and of a broker restart: a job caught in that many outages is dead-lettered although
   * it never failed. @default 20
   */
  deliveryLimit?: number;
  /** Ms of the shortest delay level: how late a retry or scheduled job may start at most. @default 100 */
  delayResolution?: number;
  /** Seconds of AMQP heartbeat: how soon a dead broker or connection is noticed. @default 10 */
  heartbeat?: number;
  /** Ms before the first reconnect; it doubles per failure. @default 100 */
  reconnectDelay?: number;
  /** The longest wait between reconnects, ms. @default 5000 */
  maxReconnectDelay?: number;
  /** Where time comes from for `runAt` and timestamps, in ms. @default Date */
  clock?: { now(): number };
}

const OPTION_CHECKS = {
  url: (value: unknown) =>
    typeof value === 'string' && /^amqps?:\/\//.test(value)
      ? undefined
      : 'an amqp:// or amqps:// URL',
  prefix: text,
  unavailableTimeout: number(0),
  confirmTimeout: number(1),
  drainTimeout: number(1),
  blockedTimeout: number(0),
  queueType: oneOf(['quorum', 'classic']),
  deliveryLimit: integer(1),
  delayResolution: integer(1),
  heartbeat: integer(0),
  reconnectDelay: number(1),
  maxReconnectDelay: number(1),
  clock: clockLike,
};

const CAPABILITIES: StoreCapabilities = Object.freeze({
  // A quorum queue confirms once a majority wrote the message to disk (fsynced).
  durability: 'machine',
  sharedAcrossProcesses: true,
  transactionalEnqueue: false,
  query: false,
  manualControl: false,
  uniqueness: false,
  priorities: false,
  claimOrder: false,
  rateLimits: false,
  atomicBatches: false,
  leases: false,
});

/** One claimed attempt, until its outcome is recorded. */
interface Attempt {
  readonly delivery: Delivery;
  readonly consumer: QueueConsumer;
  readonly node: string;
  readonly incarnation: string;
}

/** A node registered through this store object. */
interface NodeState {
  ref: NodeRef;
  startedAt: number;
  heartbeatAt: number;
  leaseUntil: number;
  /** Its deliveries went back to the broker with a lost connection: it must register again. */
  lost: boolean;
  /** Why, when the broker closed a consumer channel (an ack timeout) rather than the connection. */
  lostBecause?: Error;
  readonly queues: Set<string>;
}

/** A job store on a RabbitMQ broker; see the module documentation. */
export class RabbitMqStore implements Store {
  readonly capabilities = CAPABILITIES;
  readonly description: string;
  private readonly config: Required<Omit<RabbitMqStoreOptions, 'clock'>>;
  private readonly clock: { now(): number };
  private readonly connection: BrokerConnection;
  private readonly consumers = new Map<string, QueueConsumer>();
  private readonly attempts = new Map<number, Attempt>();
  private readonly nodeStates = new Map<string, NodeState>();
  private readonly insertListeners = new Set<(queue: string) => void>();
  /** The job queues this store object declared: what `counts` covers. */
  private readonly known = new Set<string>();
  /** Each queue's broker names, built once rather than per message. */
  private readonly names = new Map<string, QueueNames>();
  private readonly host: ConsumerHost;
  private nextToken = 1;
  private closed = false;

  /**
   * Opens a store on the broker at `options.url`. Connects lazily (at the first enqueue or
   * claim) and reconnects by itself. Throws `InvalidArgumentError` for bad options.
   *
   * @example
   * const store = new RabbitMqStore({ url: process.env.AMQP_URL!, unavailableTimeout: 2000 });
   */
  constructor(options: RabbitMqStoreOptions) {
    checkOptions(options, OPTION_CHECKS, 'RabbitMqStore options');
    if (options?.url === undefined) {
      throw new InvalidArgumentError(
        'RabbitMqStore options.url',
        'the broker, an amqp:// or amqps:// URL',
        undefined,
      );
    }
    this.config = {
      url: options.url,
      prefix: options.prefix ?? 'actorkit.jobs',
      unavailableTimeout: options.unavailableTimeout ?? 5000,
      confirmTimeout: options.confirmTimeout ?? 10_000,
      drainTimeout: options.drainTimeout ?? 5000,
      blockedTimeout: options.blockedTimeout ?? 5000,
      queueType: options.queueType ?? 'quorum',
      deliveryLimit: options.deliveryLimit ?? 20,
      delayResolution: options.delayResolution ?? 100,
      heartbeat: options.heartbeat ?? 10,
      reconnectDelay: options.reconnectDelay ?? 100,
      maxReconnectDelay: options.maxReconnectDelay ?? 5000,
    };
    this.clock = options.clock ?? Date;
    this.description = `RabbitMqStore(${redact(options.url)})`;
    this.connection = new BrokerConnection({
      url: this.config.url,
      description: this.description,
      heartbeat: this.config.heartbeat,
      reconnectDelay: this.config.reconnectDelay,
      maxReconnectDelay: this.config.maxReconnectDelay,
    });
    this.connection.onLost((generation) => this.lost(generation));
    this.host = {
      connection: this.connection,
      countsReturns: this.config.queueType === 'classic',
      returned: (delivery) => this.recount(delivery),
      now: () => this.clock.now(),
      declare: (session, queue) => this.declare(session, queue),
      postpone: (delivery) => this.postpone(delivery),
      delivered: (queue) => {
        for (const listener of this.insertListeners) listener(queue);
      },
      channelLost: (channel, cause) =>
        this.dropAttempts((attempt) => attempt.delivery.channel === channel, cause),
    };
  }

  /**
   * @internal Where the store's queues are: the broker URL (with its password), the name
   * prefix and the queue type. For the broker inspector, which opens its own connection.
   */
  get brokerSettings(): BrokerSettings {
    const { url, prefix, queueType } = this.config;
    return { url, prefix, queueType };
  }

  /** The store's clock, in ms. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Declares queue `queue`'s work queue and dead-letter queue now (otherwise its first
   * enqueue or claim does): to fail fast at start on a wrong URL, or on a queue of that
   * name declared with other arguments. Rejects with `BrokerUnavailableError` when no
   * connection opens within `unavailableTimeout`.
   *
   * @example
   * await store.declareQueue('mail');
   */
  async declareQueue(queue: string): Promise<void> {
    const session = await this.connection.whenOpen(this.config.unavailableTimeout, 'declareQueue');
    await this.declare(session, queue);
  }

  /** The name of queue `queue`'s dead-letter queue, where discarded and poison jobs go. */
  deadLetterQueue(queue: string): string {
    return queueNames(this.config.prefix, queue).dead;
  }

  /**
   * Publishes `jobs` and resolves once the broker confirmed each of them. Not atomic: when
   * it rejects (`PublishNotConfirmedError`, `PublishBackpressureError`), `confirmed` on
   * the error lists the jobs that were enqueued. Rejects with `BrokerUnavailableError`
   * (nothing published) when no connection opens within `unavailableTimeout`, and with
   * `UnsupportedCapabilityError` for a job with a `key` or a `priority` other than 0.
   */
  async enqueue(jobs: readonly NewJob[]): Promise<Enqueued[]> {
    const now = this.clock.now();
    const prepared = jobs.map((job, i) => this.prepare(job, `jobs[${i}]`, now));
    if (prepared.length === 0) return [];
    const session = await this.connection.whenOpen(this.config.unavailableTimeout, 'enqueue');
    const { confirmed, unconfirmed, failure } = await this.publishJobs(
      session,
      prepared,
      'enqueue',
    );
    if (failure !== undefined || unconfirmed.length > 0) {
      throw this.enqueueFailure(failure, unconfirmed, confirmed);
    }
    return prepared.map((job) => ({
      inserted: true,
      job: toJob(job, {
        state: job.runAt > now ? 'scheduled' : 'available',
        attempt: 0,
        attemptedAt: null,
        finishedAt: null,
        node: null,
      }),
    }));
  }

  /**
   * Takes up to `limit` jobs the broker has delivered for `queue` and marks them executing
   * for `node`. The first claim of a queue starts its consumer, with `prefetch = limit`
   * (the queue's concurrency); jobs arrive asynchronously and wake the queue through
   * `onInsert`. Rejects with `LeaseLostError` for a node not registered here, or one whose
   * deliveries went back to the broker with a lost connection.
   */
  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const state = this.nodeState(request.node);
    if (request.rateLimit !== undefined) {
      throw this.unsupported('rateLimits', 'a rate limit shared across processes');
    }
    state.queues.add(request.queue);
    const consumer = this.consumer(request.queue, request.limit);
    const now = this.clock.now();
    return consumer.take(request.limit).map((delivery) => {
      const token = this.nextToken++;
      this.attempts.set(token, {
        delivery,
        consumer,
        node: request.node.name,
        incarnation: request.node.incarnation,
      });
      // The token is added to the job built here rather than spread into a copy of it.
      const job = toJob(delivery.job, {
        state: 'executing',
        attempt: delivery.job.attempts + 1,
        attemptedAt: now,
        finishedAt: null,
        node: request.node.incarnation,
      }) as ClaimedJob;
      job.token = token;
      return job;
    });
  }

  /**
   * Records how attempts ended: `complete` acks the delivery; `retry` and `snooze`
   * republish the job to its delay level, `discard` to the dead-letter queue, `requeue` to
   * the work queue (each confirmed), then ack it. An outcome for an attempt whose delivery
   * went back to the broker (a lost connection) is refused with `StaleAttemptError`; one
   * whose republish the broker refused (or did not confirm in time) gives the delivery back
   * and comes back `{ ok: false }` with that `PublishNotConfirmedError`. Never rejects.
   */
  async settle(outcomes: readonly Outcome[]): Promise<SettleResult[]> {
    // Completions settle synchronously (an ack): one promise per batch, not one per job.
    let pending = false;
    const results = outcomes.map((outcome) => {
      const result = this.settleOne(outcome);
      if (result instanceof Promise) pending = true;
      return result;
    });
    return pending ? Promise.all(results) : (results as SettleResult[]);
  }

  /** `settle`, then `claim`. */
  async settleAndClaim(
    outcomes: readonly Outcome[],
    request: ClaimRequest,
  ): Promise<{ settled: SettleResult[]; claimed: ClaimedJob[]; leaseLost: boolean }> {
    const settled = await this.settle(outcomes);
    try {
      return { settled, claimed: await this.claim(request), leaseLost: false };
    } catch (error) {
      if (error instanceof LeaseLostError) return { settled, claimed: [], leaseLost: true };
      throw error;
    }
  }

  /**
   * Registers `node` in this store object. A previous incarnation of the same name gives
   * its unsettled deliveries back to the broker at once (rescued). Nodes of other processes
   * are not seen: the broker takes back a dead process's deliveries when its connection
   * closes (at once on a crash, within `heartbeat` seconds on a lost machine).
   */
  async registerNode(node: NodeRef, leaseMs: number): Promise<RescueResult> {
    const previous = this.nodeStates.get(node.name);
    const rescued = previous === undefined ? [] : this.giveBack(previous.ref);
    const now = this.clock.now();
    this.nodeStates.set(node.name, {
      ref: node,
      startedAt: now,
      heartbeatAt: now,
      leaseUntil: now + leaseMs,
      lost: false,
      queues: new Set(previous?.queues ?? []),
    });
    return { lapsedNodes: [], rescued, discarded: [] };
  }

  /** Extends `node`'s lease; rejects with `LeaseLostError` once its deliveries went back to the broker. */
  async heartbeat(node: NodeRef, leaseMs: number): Promise<void> {
    const state = this.nodeState(node);
    state.heartbeatAt = this.clock.now();
    state.leaseUntil = state.heartbeatAt + leaseMs;
  }

  /** Removes `node`, gives its unsettled deliveries back, and stops consuming queues no other node here claims from. */
  async unregisterNode(node: NodeRef): Promise<RescueResult> {
    const state = this.nodeStates.get(node.name);
    if (state === undefined || state.ref.incarnation !== node.incarnation) {
      return { lapsedNodes: [], rescued: [], discarded: [] };
    }
    const rescued = this.giveBack(node);
    this.nodeStates.delete(node.name);
    for (const queue of state.queues) {
      const used = [...this.nodeStates.values()].some((other) => other.queues.has(queue));
      if (!used) {
        const consumer = this.consumers.get(queue);
        this.consumers.delete(queue);
        await consumer?.stop();
      }
    }
    return { lapsedNodes: [], rescued, discarded: [] };
  }

  /** Nothing to do: the broker gives a dead consumer's deliveries to another at once. */
  async rescue(): Promise<RescueResult> {
    return { lapsedNodes: [], rescued: [], discarded: [] };
  }

  /** The nodes registered through this store object (other processes' are not known). */
  async nodes(): Promise<NodeInfo[]> {
    return [...this.nodeStates.values()].map(({ ref, startedAt, heartbeatAt, leaseUntil }) => ({
      name: ref.name,
      incarnation: ref.incarnation,
      startedAt,
      heartbeatAt,
      leaseUntil,
    }));
  }

  /** Resolves with 0: completed jobs are acked away, and dead-lettered ones stay in their queue until taken. */
  async prune(_before: number, _limit: number): Promise<number> {
    return 0;
  }

  /** Rejects with `UnsupportedCapabilityError`: a queued message cannot be found by id. */
  retryJob(_id: string): Promise<Job> {
    return Promise.reject(
      this.unsupported('manualControl', 'retryJob (a queued message cannot be found by id)'),
    );
  }

  /** Rejects with `UnsupportedCapabilityError`: a queued message cannot be found by id. */
  cancelJob(_id: string): Promise<Job> {
    return Promise.reject(
      this.unsupported('manualControl', 'cancelJob (a queued message cannot be found by id)'),
    );
  }

  /** Rejects with `UnsupportedCapabilityError`: a queued message cannot be found by id. */
  discardJob(_id: string): Promise<Job> {
    return Promise.reject(
      this.unsupported('manualControl', 'discardJob (a queued message cannot be found by id)'),
    );
  }

  /** Rejects with `UnsupportedCapabilityError`. */
  retryAll(_filter: RetryFilter): Promise<number> {
    return Promise.reject(this.unsupported('manualControl', 'retryAll'));
  }

  /** Rejects with `UnsupportedCapabilityError`: a broker keeps no index of its messages. */
  get(_id: string): Promise<Job | undefined> {
    return Promise.reject(
      this.unsupported('query', 'get (a broker keeps no index of its messages)'),
    );
  }

  /** Rejects with `UnsupportedCapabilityError`. */
  list(_query?: JobQuery): Promise<Job[]> {
    return Promise.reject(
      this.unsupported('query', 'list (a broker keeps no index of its messages)'),
    );
  }

  /**
   * What the broker can count of each job queue this store object used (enqueued to,
   * claimed from or declared) and of `queues`, read at once over AMQP (a passive declare
   * of the work and dead-letter queues); a queue the broker does not have is left out.
   * - `counts.discarded`: the dead-letter queue's messages (discarded and poison jobs),
   *   fewer while a dead-letter pass (the Jobs view reading them) holds a batch.
   * - `ready`: the work queue's messages not delivered to any consumer (due jobs no process
   *   took; not those a consumer prefetched), and `consumers`: the processes consuming it.
   *
   * Every other state is left out, never 0: AMQP cannot count the messages a consumer holds
   * (executing or prefetched), scheduled jobs and retries wait in delay queues it cannot
   * list, and completed jobs are acked away. `rabbitMqInspector` with the management API
   * tells more. Rejects with `BrokerUnavailableError` when no connection opens within
   * `unavailableTimeout` or it is lost meanwhile, and `InvalidArgumentError` for `queues`
   * that is not an array of names.
   *
   * @example
   * const [mail] = await store.counts(['mail']);
   * console.log(mail?.counts.discarded, mail?.ready, mail?.consumers);
   */
  async counts(queues: readonly string[] = []): Promise<QueueCounts[]> {
    if (!Array.isArray(queues) || !queues.every((q) => typeof q === 'string' && q !== '')) {
      throw new InvalidArgumentError('counts queues', 'an array of queue names', queues);
    }
    const names = [...new Set([...this.known, ...queues])];
    const session = await this.connection.whenOpen(this.config.unavailableTimeout, 'counts');
    const checker = new QueueChecker(session.model);
    try {
      const counted: QueueCounts[] = [];
      for (const queue of names) {
        const { work, dead } = queueNames(this.config.prefix, queue);
        const depth = await checker.check(work);
        if (depth === undefined) continue;
        const dlq = await checker.check(dead);
        counted.push({
          queue,
          counts: dlq === undefined ? {} : { discarded: dlq.messageCount },
          ready: depth.messageCount,
          consumers: depth.consumerCount,
        });
      }
      return counted;
    } catch (error) {
      throw new BrokerUnavailableError('counts', this.description, 0, error);
    } finally {
      await checker.close();
    }
  }

  /** Resolves with undefined: delayed jobs come back by themselves (the broker's TTLs), waking the queue. */
  async nextRunAt(_queue: string): Promise<number | undefined> {
    return undefined;
  }

  /** Calls `listener(queue)` when the broker delivered jobs of `queue` that a claim can take. */
  onInsert(listener: (queue: string) => void): () => void {
    this.insertListeners.add(listener);
    return () => this.insertListeners.delete(listener);
  }

  /** Stops consuming (unsettled deliveries go back to the broker) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await this.connection.close();
  }

  /** The error of an enqueue that did not get every job confirmed, listing those that were. */
  private enqueueFailure(failure: unknown, unconfirmed: unknown[], confirmed: string[]): Error {
    if (failure instanceof PublishBackpressureError || failure instanceof BrokerUnavailableError) {
      if (confirmed.length === 0 && unconfirmed.length === 0) return failure;
    }
    const blocked = [failure, ...unconfirmed].find(
      (cause): cause is PublisherBlockedError => cause instanceof PublisherBlockedError,
    );
    if (blocked !== undefined) {
      return new PublisherBlockedError(
        'enqueue',
        this.description,
        blocked.waited,
        blocked.reason,
        unconfirmed.length > 0 || blocked.maybePublished,
        confirmed,
      );
    }
    if (failure instanceof PublishBackpressureError) {
      return new PublishBackpressureError(
        'enqueue',
        this.description,
        this.config.drainTimeout,
        confirmed,
      );
    }
    const maybe = unconfirmed.some(
      (e) => !(e instanceof PublishNotConfirmedError) || e.maybePublished,
    );
    const cause =
      unconfirmed[0] instanceof PublishNotConfirmedError
        ? unconfirmed[0].cause
        : (unconfirmed[0] ?? failure);
    return new PublishNotConfirmedError('enqueue', this.description, maybe, confirmed, cause);
  }

  private prepare(job: NewJob, where: string, now: number): MessageJob {
    validateNewJob(job, where);
    if (job.key !== undefined) {
      throw this.unsupported(
        'uniqueness',
        `a job with a key (${where}.key): the broker cannot find an existing job by key`,
      );
    }
    if ((job.priority ?? 0) !== 0) {
      throw this.unsupported(
        'priorities',
        `a job with priority ${job.priority} (${where}.priority): quorum queues deliver in arrival order`,
      );
    }
    const prepared: MessageJob = {
      id: randomUUID(),
      queue: job.queue,
      worker: job.worker,
      args: job.args,
      maxAttempts: job.maxAttempts ?? 10,
      insertedAt: now,
      runAt: job.runAt ?? now + (job.delay ?? 0),
      attempts: 0,
      errors: [],
    };
    if (job.backoff !== undefined) prepared.backoff = job.backoff;
    return prepared;
  }

  private nodeState(node: NodeRef): NodeState {
    const state = this.nodeStates.get(node.name);
    if (state === undefined || state.ref.incarnation !== node.incarnation || state.lost) {
      const error = new LeaseLostError(node.name, this.description);
      if (state?.ref.incarnation === node.incarnation && state.lostBecause !== undefined) {
        error.message = `node ${node.name} lost the deliveries it held in ${this.description}: ${state.lostBecause.message}. They go to a consumer again; register the node again.`;
      }
      throw error;
    }
    return state;
  }

  private consumer(queue: string, prefetch: number): QueueConsumer {
    let consumer = this.consumers.get(queue);
    if (consumer === undefined) {
      const { work } = queueNames(this.config.prefix, queue);
      consumer = new QueueConsumer(this.host, queue, work, prefetch);
      this.consumers.set(queue, consumer);
    }
    return consumer;
  }

  /** Declares queue `queue`'s work queue and dead-letter queue, once per connection. */
  private declare(session: Session, queue: string): Promise<void> {
    const names = queueNames(this.config.prefix, queue);
    this.known.add(queue);
    return this.once(session, names.work, async () => {
      const channel = session.declarer;
      await channel.assertExchange(names.deadExchange, 'direct', { durable: true });
      await channel.assertQueue(names.dead, deadQueueOptions(this.config.queueType));
      await channel.bindQueue(names.dead, names.deadExchange, queue);
      await channel.assertQueue(
        names.work,
        workQueueOptions(names, queue, this.config.deliveryLimit, this.config.queueType),
      );
    });
  }

  private once(session: Session, name: string, declare: () => Promise<void>): Promise<void> {
    let declared = session.declared.get(name) as Promise<void> | undefined;
    if (declared === undefined) {
      declared = declare();
      session.declared.set(name, declared);
      declared.catch(() => session.declared.delete(name));
    }
    return declared;
  }

  /**
   * Publishes `jobs`, each where it belongs now (its work queue if due, else its delay
   * level; the dead-letter queue for `target: 'dead'`), in one loop after declaring each
   * queue they need once, and waits for the broker's confirms: `confirmTimeout` ms at most
   * for the batch. Never rejects: a declaration's error is the `failure`, and each message
   * not confirmed is a `PublishNotConfirmedError` in `unconfirmed`.
   */
  private async publishJobs(
    session: Session,
    jobs: readonly MessageJob[],
    operation: string,
    target: 'work' | 'dead' = 'work',
  ): Promise<PublishResults> {
    const { drainTimeout, confirmTimeout, blockedTimeout } = this.config;
    let messages: Outgoing[];
    try {
      messages = await this.route(session, jobs, target);
    } catch (failure) {
      return { confirmed: [], unconfirmed: [], failure };
    }
    const results = await this.connection.publishAll(session, operation, messages, {
      drainTimeout,
      confirmTimeout,
      blockedTimeout,
    });
    if (results.unconfirmed.length === 0) return results;
    return {
      ...results,
      unconfirmed: results.unconfirmed.map((cause) => this.notConfirmed(operation, cause)),
    };
  }

  /** The messages of `jobs`, each with where it goes now, once the queues they need are declared on `session`. */
  private async route(
    session: Session,
    jobs: readonly MessageJob[],
    target: 'work' | 'dead',
  ): Promise<Outgoing[]> {
    const { prefix, delayResolution } = this.config;
    const now = this.clock.now();
    const declarations = new Map<string, Promise<void>>();
    const messages = jobs.map((job): Outgoing => {
      const names = this.namesOf(job.queue);
      if (!declarations.has(names.work)) {
        declarations.set(names.work, this.declare(session, job.queue));
      }
      let exchange = '';
      let routingKey = names.work;
      if (target === 'dead') {
        exchange = names.deadExchange;
        routingKey = job.queue;
      } else {
        const level = delayLevel(job.runAt - now, delayResolution);
        if (level !== undefined) {
          routingKey = delayQueueName(prefix, job.queue, level);
          if (!declarations.has(routingKey)) {
            declarations.set(routingKey, this.declareDelay(session, job.queue, level));
          }
        }
      }
      const options = publishOptions(
        job.id,
        job.runAt,
        job.attempts,
        job.errors,
        job.insertedAt,
        job.returns,
      );
      return { exchange, routingKey, content: encodeBody(job), options };
    });
    await Promise.all(declarations.values());
    return messages;
  }

  /** Declares queue `queue`'s delay level of `level` ms (after its work queue), once per connection. */
  private async declareDelay(session: Session, queue: string, level: number): Promise<void> {
    const names = queueNames(this.config.prefix, queue);
    await this.declare(session, queue);
    const name = delayQueueName(this.config.prefix, queue, level);
    await this.once(session, name, async () => {
      await session.declarer.assertQueue(name, delayQueueOptions(names, level));
    });
  }

  private namesOf(queue: string): QueueNames {
    let names = this.names.get(queue);
    if (names === undefined) {
      names = queueNames(this.config.prefix, queue);
      this.names.set(queue, names);
    }
    return names;
  }

  /** A publish the broker did not confirm: refused (a nack, no queue took it), or maybe taken (a closed channel, a late confirm). */
  private notConfirmed(operation: string, cause: unknown): PublishNotConfirmedError {
    if (cause instanceof PublisherBlockedError) return cause;
    const refused =
      cause instanceof Error && (cause.name === 'UnroutableError' || /nack/i.test(cause.message));
    return new PublishNotConfirmedError(operation, this.description, !refused, [], cause);
  }

  /** One outcome: at once for a completion or a stale attempt, after the republish's confirm for the rest. */
  private settleOne(outcome: Outcome): SettleResult | Promise<SettleResult> {
    const { id, token } = outcome.attempt;
    const attempt = this.attempts.get(token);
    if (
      attempt === undefined ||
      attempt.delivery.job.id !== id ||
      !attempt.consumer.isCurrent(attempt.delivery)
    ) {
      this.attempts.delete(token);
      return { ok: false, error: new StaleAttemptError(id, token, this.description) };
    }
    const republish = republished(outcome, attempt.delivery.job, attempt.delivery.job.attempts + 1);
    if (republish !== undefined) return this.republishThenAck(attempt, outcome.attempt, republish);
    this.attempts.delete(token);
    return attempt.consumer.ack(attempt.delivery)
      ? { ok: true }
      : { ok: false, error: new StaleAttemptError(id, token, this.description) };
  }

  /** Republishes an attempt's job with its new state (confirmed), then acks its delivery. */
  private async republishThenAck(
    attempt: Attempt,
    { id, token }: AttemptRef,
    republish: { job: MessageJob; target: 'work' | 'dead' },
  ): Promise<SettleResult> {
    try {
      const session = await this.connection.whenOpen(this.config.unavailableTimeout, 'settle');
      const { unconfirmed, failure } = await this.publishJobs(
        session,
        [republish.job],
        'settle',
        republish.target,
      );
      if (failure !== undefined) throw failure;
      if (unconfirmed.length > 0) throw unconfirmed[0];
    } catch (error) {
      this.attempts.delete(token);
      // The broker refused the republish on a live connection: give the delivery back
      // rather than hold it (its outcome is not recorded; the job runs again, as after a
      // lost connection). On a lost connection the broker has it back already.
      if (attempt.consumer.requeue(attempt.delivery)) {
        return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
      return { ok: false, error: new StaleAttemptError(id, token, this.description) };
    }
    this.attempts.delete(token);
    return attempt.consumer.ack(attempt.delivery)
      ? { ok: true }
      : { ok: false, error: new StaleAttemptError(id, token, this.description) };
  }

  /** A not-yet-due delivery: republish it to its next delay level, then ack it. */
  private postpone(delivery: Delivery): void {
    const consumer = this.consumers.get(delivery.job.queue);
    const session = this.connection.current;
    if (consumer === undefined || session === undefined) return;
    void this.publishJobs(session, [delivery.job], 'postpone').then(({ confirmed }) => {
      if (confirmed.length === 1) consumer.ack(delivery);
      // Back to the queue (stale on a lost connection: the broker has it back already).
      else consumer.requeue(delivery);
    });
  }

  /**
   * A delivery of a classic queue that went back to it without an outcome (the broker
   * marked it `redelivered`): republish it with one more return counted, or past
   * `deliveryLimit` to the dead-letter queue with a `DeliveryLimitExceeded` error, then
   * ack it; it is not run here (its copy runs when it comes). A republish not confirmed
   * gives the delivery back to be counted again.
   */
  private recount(delivery: Delivery): void {
    const consumer = this.consumers.get(delivery.job.queue);
    const session = this.connection.current;
    if (consumer === undefined || session === undefined) return;
    const job = delivery.job;
    const returns = (job.returns ?? 0) + 1;
    const poison = returns > this.config.deliveryLimit;
    const counted: MessageJob = poison
      ? { ...job, returns, errors: [...job.errors, this.deliveryLimitError(job, returns)] }
      : { ...job, returns };
    void this.publishJobs(session, [counted], 'recount', poison ? 'dead' : 'work').then(
      ({ confirmed }) => {
        if (confirmed.length === 1) consumer.ack(delivery);
        else consumer.requeue(delivery);
      },
    );
  }

  /** The error a poison job of a classic queue is dead-lettered with (a quorum queue's broker adds `x-death` instead). */
  private deliveryLimitError(job: MessageJob, returns: number): AttemptError {
    return {
      attempt: job.attempts + 1,
      at: this.clock.now(),
      kind: 'rescued',
      name: 'DeliveryLimitExceeded',
      message: `it went back to its classic queue without an outcome ${returns} times, more than deliveryLimit (${this.config.deliveryLimit}) allows (each time the consumer holding it lost its channel: a worker process that died, a lost connection or a broker restart)`,
    };
  }

  /** Gives the deliveries `node` holds back to the broker; resolves with their job ids. */
  private giveBack(node: NodeRef): string[] {
    const ids: string[] = [];
    for (const [token, attempt] of this.attempts) {
      if (attempt.node !== node.name || attempt.incarnation !== node.incarnation) continue;
      this.attempts.delete(token);
      if (attempt.consumer.requeue(attempt.delivery)) ids.push(attempt.delivery.job.id);
    }
    return ids;
  }

  /** A connection was lost: its deliveries are the broker's again, and the nodes that held some lose their lease. */
  private lost(generation: number): void {
    this.dropAttempts((attempt) => attempt.delivery.generation === generation);
  }

  /**
   * Forgets the attempts whose deliveries went back to the broker (their outcomes are
   * refused as stale); the nodes that held them lose their lease, so their queues stop
   * those attempts (`ctx.signal` aborts) and register anew.
   */
  private dropAttempts(stale: (attempt: Attempt) => boolean, cause?: Error): void {
    for (const [token, attempt] of this.attempts) {
      if (!stale(attempt)) continue;
      this.attempts.delete(token);
      const state = this.nodeStates.get(attempt.node);
      if (state?.ref.incarnation !== attempt.incarnation) continue;
      state.lost = true;
      state.lostBecause ??= cause;
    }
  }

  private unsupported(capability: string, what: string): UnsupportedCapabilityError {
    return new UnsupportedCapabilityError(`${capability}: ${what}`, true, false, this.description);
  }
}

/** What to republish for an outcome before acking: the job with its new attempt state, and where. */
function republished(
  outcome: Outcome,
  delivered: MessageJob,
  ran: number,
): { job: MessageJob; target: 'work' | 'dead' } | undefined {
  // A completion republishes nothing: no copy of the job is made for it.
  if (outcome.kind === 'complete') return undefined;
  // An outcome makes a new message: its returns start again, as a quorum queue's count does.
  const job = { ...delivered };
  delete job.returns;
  const errors = (error: AttemptError | undefined) =>
    error === undefined ? job.errors : [...job.errors, error];
  switch (outcome.kind) {
    case 'retry':
      return {
        job: { ...job, attempts: ran, runAt: outcome.runAt, errors: errors(outcome.error) },
        target: 'work',
      };
    case 'snooze':
      return { job: { ...job, runAt: outcome.runAt }, target: 'work' };
    case 'requeue':
      return { job, target: 'work' };
    case 'discard':
      return { job: { ...job, attempts: ran, errors: errors(outcome.error) }, target: 'dead' };
  }
}

/** @internal What `rabbitMqInspector` needs of a store: where its queues are. */
export interface BrokerSettings {
  readonly url: string;
  readonly prefix: string;
  readonly queueType: QueueType;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'an unparsable URL';
  }
}
