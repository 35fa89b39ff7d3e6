/**
 * A queue: a supervised process tree that runs the jobs of one named queue from a store.
 * Put its child spec in your application's supervisor; stopping the supervisor (or the
 * runtime) drains it gracefully.
 *
 * The tree is a `Supervisor` (`rest_for_one`): the lifeline (rescues the jobs of dead
 * nodes, prunes finished jobs), the producer (holds this node's lease, claims up to
 * `concurrency` jobs and runs each attempt as a process linked to it) and, with a
 * `crontab`, the cron process (enqueues recurring jobs). If the
 * producer crashes, its attempts die with it, and its restart registers a new incarnation
 * of the node, which rescues their jobs at once.
 *
 * @example
 * const store = new SqliteStore({ path: 'data/jobs.db' });
 * await Supervisor.start([
 *   Queue.childSpec({ queue: 'mail', store, workers: [SendWelcome], concurrency: 5 }),
 * ]);
 * await enqueue(store, SendWelcome, { userId: 42 });
 *
 * ## When not to use it
 * For work that may be lost with the process (a cache refresh, a log line), a `Task` or a
 * `TaskSupervisor` child is simpler and faster: a durable job costs a few database writes.
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, type Pid, type Runtime } from '@actorkit/core';
import { type ChildSpec, GenServer, Supervisor } from '@actorkit/genserver';
import { Cron, type CronConfig, type CronEntry, validateCrontab } from './cron.js';
import { Lifeline, type LifelineConfig } from './lifeline.js';
import { checkOptions, integer, number, text } from './options.js';
import { Producer, type ProducerConfig } from './producer.js';
import {
  type RateLimit,
  requireCapabilities,
  type Store,
  type StoreCapabilities,
} from './store.js';
import type { Worker } from './worker.js';

/** Options of `Queue.childSpec` and `Queue.start`. */
export interface QueueOptions {
  /** Where the jobs are. */
  store: Store;
  /** The queue's name: it runs the jobs enqueued to it. @default 'default' */
  queue?: string;
  /** The workers whose jobs it runs; a job of another worker fails with `UnknownWorkerError`. */
  workers: readonly Worker[];
  /** Most attempts running at once in this node. @default 10 */
  concurrency?: number;
  /**
   * This node's name in the store, unique among live processes. Give a stable one
   * (`'web-1'`) to have a restart of the process rescue its predecessor's jobs at once
   * rather than after the lease. @default `${hostname}/${pid}`; the queue name is appended
   */
  node?: string;
  /** Ms between looks for jobs enqueued by other processes (an enqueue in this process wakes the queue at once). @default 1000 */
  pollInterval?: number;
  /** Ms between heartbeats of this node's lease. @default 2000 */
  heartbeatInterval?: number;
  /**
   * Ms a node's lease lasts without a heartbeat: after it, the node counts as dead and its
   * jobs are rescued. Keep it well above the longest pause of your event loop. @default 10_000
   */
  lease?: number;
  /** Ms between rescues of dead nodes' jobs. @default 5000 */
  rescueInterval?: number;
  /**
   * Ms running attempts get to finish when the queue stops; the rest are stopped (their
   * `ctx.signal` aborts) and put back, not counted as attempts. `runtime.stop({ timeout })`
   * must allow more than this. @default 3000
   */
  shutdownGrace?: number;
  /** Ms a completed, discarded or cancelled job is kept before pruning; Infinity keeps them. @default 86_400_000 (a day) */
  retention?: number;
  /** Guarantees the store must give, checked at start (`UnsupportedCapabilityError`). @default none */
  requires?: Partial<StoreCapabilities>;
  /**
   * Recurring jobs: each entry's job is enqueued at every slot of its cron expression (to
   * its worker's queue), once per slot however many nodes run the same crontab. @default []
   */
  crontab?: readonly CronEntry[];
  /**
   * At most `limit` attempts started per `interval` ms, counted across every process that
   * shares the store (fixed windows of the store's clock). Give every node of the queue
   * the same limit. @default none
   */
  rateLimit?: RateLimit;
}

/** Options of `Queue.start`: the queue's, plus where to start it. */
export interface QueueStartOptions extends QueueOptions {
  /** @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** The parent to link to. */
  link?: Pid<any>;
}

const CHECKS = {
  store: (value: unknown) =>
    typeof (value as Store | null)?.claim === 'function' ? undefined : 'a Store',
  queue: text,
  workers: (value: unknown) =>
    Array.isArray(value) && value.every((w) => typeof w?.perform === 'function')
      ? undefined
      : 'an array of workers from defineWorker',
  concurrency: integer(1),
  node: text,
  pollInterval: number(1),
  heartbeatInterval: number(1),
  lease: number(1),
  rescueInterval: number(1),
  shutdownGrace: number(0),
  retention: number(0, true),
  requires: () => undefined,
  crontab: () => undefined,
  rateLimit: (value: unknown) => {
    try {
      checkOptions(value, { limit: integer(1), interval: number(1) }, 'rateLimit');
    } catch {
      return 'a rate limit { limit: an integer >= 1, interval: ms >= 1 }';
    }
    const { limit, interval } = value as Partial<RateLimit>;
    return limit === undefined || interval === undefined
      ? 'a rate limit { limit, interval }'
      : undefined;
  },
};

const START_CHECKS = { ...CHECKS, runtime: () => undefined, link: () => undefined };

/** The `Queue` API (all static). */
export class Queue {
  /**
   * The child spec that runs a queue under your supervisor; its id is `Queue <name>`.
   * Throws `InvalidArgumentError` for bad options and `UnsupportedCapabilityError` when
   * the store cannot give `requires`, here at configuration rather than later.
   */
  static childSpec(options: QueueOptions): ChildSpec {
    const config = configure(options);
    return {
      id: `Queue ${config.producer.queue}`,
      type: 'supervisor',
      start: ({ runtime, self }) => startTree(config, runtime, self),
    };
  }

  /** Starts a queue outside a supervision tree (tests, scripts); resolves with its supervisor's PID. Stop it with `Supervisor.stop`. */
  static async start(options: QueueStartOptions): Promise<Pid<any>> {
    return startTree(configure(options, START_CHECKS), options.runtime, options.link);
  }
}

function startTree(
  { producer, lifeline, cron, grace }: ReturnType<typeof configure>,
  runtime: Runtime | undefined,
  link: Pid<any> | undefined,
): Promise<Pid<any>> {
  const children: ChildSpec[] = [
    {
      id: 'Lifeline',
      start: (sup) =>
        GenServer.startLink(Lifeline, lifeline, { runtime: sup.runtime, link: sup.self }),
    },
    {
      id: 'Producer',
      // The producer drains its attempts for `grace` ms before it exits: never kill it sooner.
      shutdown: grace + 1000,
      start: (sup) =>
        GenServer.startLink(Producer, producer, { runtime: sup.runtime, link: sup.self }),
    },
  ];
  if (cron.entries.length > 0) {
    children.push({
      id: 'Cron',
      start: (sup) => GenServer.startLink(Cron, cron, { runtime: sup.runtime, link: sup.self }),
    });
  }
  return Supervisor.start(children, { strategy: 'rest_for_one', runtime, link });
}

function configure(options: QueueOptions, checks: typeof START_CHECKS | typeof CHECKS = CHECKS) {
  checkOptions(options, checks, 'Queue options');
  if (options?.store === undefined || options.workers === undefined) {
    throw new InvalidArgumentError('Queue options', 'an object with a store and workers', options);
  }
  if (options.requires !== undefined) requireCapabilities(options.store, options.requires);
  // What the options need of the store, refused here rather than at the first claim or slot.
  if (options.rateLimit !== undefined) requireCapabilities(options.store, { rateLimits: true });
  if ((options.crontab?.length ?? 0) > 0) {
    requireCapabilities(options.store, { uniqueness: true });
  }
  const queue = options.queue ?? 'default';
  const workers = new Map<string, Worker>();
  for (const worker of options.workers) {
    if (workers.has(worker.name)) {
      throw new InvalidArgumentError(
        'Queue options.workers',
        'workers with distinct names',
        worker.name,
      );
    }
    workers.set(worker.name, worker);
  }
  const heartbeatInterval = options.heartbeatInterval ?? 2000;
  const lease = options.lease ?? 10_000;
  if (lease <= heartbeatInterval) {
    throw new InvalidArgumentError(
      'Queue options.lease',
      `more than heartbeatInterval (${heartbeatInterval} ms), better several times it`,
      lease,
    );
  }
  const node = `${options.node ?? `${hostname()}/${process.pid}`}/${queue}`;
  const grace = options.shutdownGrace ?? 3000;
  const producer: ProducerConfig = {
    queue,
    store: options.store,
    workers,
    concurrency: options.concurrency ?? 10,
    node,
    pollInterval: options.pollInterval ?? 1000,
    heartbeatInterval,
    lease,
    shutdownGrace: grace,
    rateLimit: options.rateLimit,
  };
  const lifeline: LifelineConfig = {
    queue,
    node,
    store: options.store,
    rescueInterval: options.rescueInterval ?? 5000,
    retention: options.retention ?? 86_400_000,
    pruneInterval: 60_000,
    pruneLimit: 10_000,
  };
  const cron: CronConfig = {
    queue,
    node,
    store: options.store,
    entries: validateCrontab(options.crontab ?? []),
  };
  return { producer, lifeline, cron, grace };
}
