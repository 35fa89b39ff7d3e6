/**
 * The interface every job store implements, and what it promises. A store keeps jobs
 * and node leases; it never runs anything. Queues (`Queue`) drive it: they claim jobs,
 * run them, and record each outcome with the attempt's fencing token.
 *
 * Every store passes the same contract suite (`test/contract/`), which pins each promise
 * below. A store declares what it can guarantee in `capabilities`; a queue or caller
 * that needs more says so with {@link requireCapabilities}, which throws at
 * configuration rather than failing later.
 *
 * Every method may reject with `StoreUnavailableError` (nothing was recorded; retry
 * later). Writes for an attempt reject with nothing, but report `StaleAttemptError` per
 * outcome when the token is stale.
 */
import { UnsupportedCapabilityError } from './errors.js';
import type {
  AttemptError,
  AttemptRef,
  ClaimedJob,
  Enqueued,
  Job,
  JobState,
  NewJob,
} from './job.js';

/**
 * What a store guarantees:
 * - `durability`: what a committed write survives. `'none'`: nothing (in memory);
 *   `'process'`: a crash or `kill -9` of the application; `'machine'`: also power loss
 *   and OS crashes.
 * - `sharedAcrossProcesses`: several OS processes may use the same store at once.
 * - `transactionalEnqueue`: jobs can be inserted inside the application's own database
 *   transaction, committed or rolled back with its rows.
 *
 * The optional flags below are what a store built on a message broker (RabbitMQ) cannot
 * give; absent means `true` (the SQLite store gives them all). A store without one
 * rejects the calls that need it with `UnsupportedCapabilityError` at once, and a queue
 * configured to need it is refused at configuration:
 * - `query`: `get`, `list` and `counts` see every job, in any state.
 * - `manualControl`: `retryJob`, `cancelJob`, `discardJob` and `retryAll` act on any job.
 * - `uniqueness`: an enqueue with a `key` finds an existing job (so do cron slots).
 * - `priorities`: `priority` orders claims.
 * - `claimOrder`: claims go by priority, then `runAt`, then insertion (else roughly FIFO).
 * - `rateLimits`: a claim honours a `rateLimit` shared across processes.
 * - `atomicBatches`: an enqueue of several jobs inserts all or none (else each job is
 *   enqueued or not on its own, and a rejection says which were).
 * - `leases`: nodes hold leases on the store's clock, and a lapsed node's jobs are
 *   rescued by `rescue` (else the store learns a node died some other way, as a broker
 *   from its closed connection, and `rescue` has nothing to do).
 */
export interface StoreCapabilities {
  durability: 'none' | 'process' | 'machine';
  sharedAcrossProcesses: boolean;
  transactionalEnqueue: boolean;
  /** @default true */
  query?: boolean;
  /** @default true */
  manualControl?: boolean;
  /** @default true */
  uniqueness?: boolean;
  /** @default true */
  priorities?: boolean;
  /** @default true */
  claimOrder?: boolean;
  /** @default true */
  rateLimits?: boolean;
  /** @default true */
  atomicBatches?: boolean;
  /** @default true */
  leases?: boolean;
}

/** The optional capability flags of {@link StoreCapabilities}: absent means `true`. */
export const OPTIONAL_CAPABILITIES = [
  'query',
  'manualControl',
  'uniqueness',
  'priorities',
  'claimOrder',
  'rateLimits',
  'atomicBatches',
  'leases',
] as const;

/** One of the optional capability flags. */
export type OptionalCapability = (typeof OPTIONAL_CAPABILITIES)[number];

/**
 * Whether `capabilities` has `name`: its value, or `true` for an optional flag a store
 * leaves out.
 *
 * @example
 * if (hasCapability(store.capabilities, 'query')) console.table(await store.list());
 */
export function hasCapability(
  capabilities: StoreCapabilities,
  name: 'sharedAcrossProcesses' | 'transactionalEnqueue' | OptionalCapability,
): boolean {
  return capabilities[name] ?? true;
}

const DURABILITY_ORDER = ['none', 'process', 'machine'] as const;

/**
 * Throws `UnsupportedCapabilityError` if `store` cannot give what `required` asks:
 * durability at least as strong, and each boolean capability asked for as `true`.
 *
 * @example
 * requireCapabilities(store, { durability: 'machine' }); // throws for ':memory:'
 */
export function requireCapabilities(store: Store, required: Partial<StoreCapabilities>): void {
  const has = store.capabilities;
  if (
    required.durability !== undefined &&
    DURABILITY_ORDER.indexOf(has.durability) < DURABILITY_ORDER.indexOf(required.durability)
  ) {
    throw new UnsupportedCapabilityError(
      'durability',
      required.durability,
      has.durability,
      store.description,
    );
  }
  for (const name of [
    'sharedAcrossProcesses',
    'transactionalEnqueue',
    ...OPTIONAL_CAPABILITIES,
  ] as const) {
    if (required[name] === true && !hasCapability(has, name)) {
      throw new UnsupportedCapabilityError(name, true, false, store.description);
    }
  }
}

/** A node (one running queue) as it identifies itself to a store. */
export interface NodeRef {
  /** Stable across restarts of the same process role (`'web-1/mail'`): a restart rescues its predecessor's jobs at once. */
  name: string;
  /** Unique to this start: what its jobs are marked with. */
  incarnation: string;
}

/**
 * A queue's rate limit: at most `limit` attempts started per `interval` ms, counted in
 * fixed windows of the store's clock (`floor(now / interval)`), across every node that
 * claims from the store. Give every node of a queue the same limit.
 */
export interface RateLimit {
  limit: number;
  interval: number;
}

/** What `claim` takes. */
export interface ClaimRequest {
  queue: string;
  node: NodeRef;
  /** Most jobs to claim. */
  limit: number;
  /** Claims no more than the queue's rate limit leaves in the current window. @default none */
  rateLimit?: RateLimit;
}

/**
 * How an attempt ended, to record with `settle`:
 * - `complete`: the worker resolved; the job is `completed`.
 * - `retry`: it failed; the job waits in `retryable` until `runAt`.
 * - `discard`: it failed for good; the job is `discarded` (dead), `error` kept.
 * - `snooze`: the worker asked to run again at `runAt`; the attempt is given back.
 * - `requeue`: it was stopped by a shutdown; the job is `available` at once and the
 *   attempt is given back (not counted).
 */
export type Outcome =
  | { kind: 'complete'; attempt: AttemptRef }
  | { kind: 'retry'; attempt: AttemptRef; runAt: number; error: AttemptError }
  | { kind: 'discard'; attempt: AttemptRef; error?: AttemptError }
  | { kind: 'snooze'; attempt: AttemptRef; runAt: number }
  | { kind: 'requeue'; attempt: AttemptRef };

/** What `settle` did with one outcome: recorded, or refused as stale (a `StaleAttemptError`). */
export type SettleResult = { ok: true } | { ok: false; error: Error };

/** What `rescue` (and `registerNode`) did: jobs of dead nodes made available again, or discarded when out of attempts. */
export interface RescueResult {
  /** Nodes whose lease had lapsed, now removed. */
  lapsedNodes: string[];
  rescued: string[];
  discarded: string[];
}

/** A node's lease as `nodes()` shows it. */
export interface NodeInfo {
  name: string;
  incarnation: string;
  startedAt: number;
  heartbeatAt: number;
  leaseUntil: number;
}

/** What `list` takes; every field narrows the result. */
export interface JobQuery {
  state?: JobState | readonly JobState[];
  queue?: string;
  worker?: string;
  /** @default 100 */
  limit?: number;
  /** Jobs with an id after this one (pagination), in id order. */
  after?: string;
}

/**
 * Counts of jobs in one queue by state. A store with the `query` capability counts every
 * state; one without gives the states it can count and leaves the others out (unknown,
 * never a made-up 0), and may add what it can tell besides (a broker's queue depth).
 */
export interface QueueCounts {
  queue: string;
  /** Jobs by state: every state from a store with `query`; a state left out is not known. */
  counts: Partial<Record<JobState, number>>;
  /**
   * A broker's messages waiting in the queue, not delivered to any consumer yet: due jobs
   * no process has taken. Not `available`: jobs a consumer prefetched and has not started
   * are not in it, nor scheduled ones. Only from a store on a broker.
   */
  ready?: number;
  /** Consumers of the queue on a broker (each a process running it). Only from a store on a broker. */
  consumers?: number;
}

/**
 * Which jobs a bulk `retryAll` revives. A job executing or available is never touched;
 * a completed one only when `states` names `'completed'`.
 */
export interface RetryFilter {
  queue?: string;
  worker?: string;
  /** @default ['discarded', 'retryable'] */
  states?: readonly JobState[];
}

/** Options of `retryJob`. */
export interface RetryJobOptions {
  /**
   * Also run a completed job again. Off by default: its work was done, and running it again
   * repeats its side effects, so asking for that is a decision of its own (Oban's
   * `retry_job` revives completed jobs too, without asking). @default false
   */
  includeCompleted?: boolean;
}

/** The store interface; see the module documentation for its promises. */
export interface Store {
  /** What the store guarantees. */
  readonly capabilities: StoreCapabilities;
  /** Names the store in error messages (`SqliteStore(data/jobs.db)`). */
  readonly description: string;
  /** The store's clock, in ms: what `runAt` and every timestamp it keeps are measured on. */
  now(): number;

  /**
   * Inserts `jobs` atomically (all or none) and resolves once they are committed. A job
   * with a `key` that matches an existing job (per its `unique` options) is not inserted:
   * the existing job comes back with `inserted: false`. Order of results = order of `jobs`.
   */
  enqueue(jobs: readonly NewJob[]): Promise<Enqueued[]>;

  /**
   * Claims up to `limit` jobs of `queue` whose `runAt` has come, by priority, then
   * `runAt`, then id, and marks them `executing` for `node`: each gets `attempt + 1` and a
   * new fencing token. A job is claimed by one node at a time. Rejects with
   * `LeaseLostError` if `node` no longer holds its lease.
   */
  claim(request: ClaimRequest): Promise<ClaimedJob[]>;

  /**
   * Records how attempts ended, in one transaction. Each outcome is applied only if its
   * job is still `executing` under the same token; otherwise its result is
   * `{ ok: false, error: StaleAttemptError }` and the job is left as it is.
   */
  settle(outcomes: readonly Outcome[]): Promise<SettleResult[]>;

  /**
   * `settle(outcomes)` then `claim(request)`, in one transaction: what a busy queue does
   * after a batch of attempts ended, for one commit (one fsync at `'machine'`) instead of
   * two. The outcomes are recorded even when the claim cannot be made: then `claimed` is
   * empty and `leaseLost` true (the node must register again).
   */
  settleAndClaim(
    outcomes: readonly Outcome[],
    request: ClaimRequest,
  ): Promise<{ settled: SettleResult[]; claimed: ClaimedJob[]; leaseLost: boolean }>;

  /**
   * Registers `node` with a lease of `leaseMs`, replacing any earlier incarnation of the
   * same name, whose executing jobs are rescued at once (that process is gone: its name
   * is taken again). Lapsed nodes are rescued too. Resolves with what was rescued.
   */
  registerNode(node: NodeRef, leaseMs: number): Promise<RescueResult>;

  /** Extends `node`'s lease to `leaseMs` from now. Rejects with `LeaseLostError` if it lost its lease. */
  heartbeat(node: NodeRef, leaseMs: number): Promise<void>;

  /** Removes `node`'s lease (a clean stop); its executing jobs, if any, are rescued. */
  unregisterNode(node: NodeRef): Promise<RescueResult>;

  /**
   * Removes nodes whose lease lapsed and rescues the jobs they were executing: `available`
   * at once, or `discarded` if that was their last attempt. Each rescued attempt is kept in
   * the job's errors as `kind: 'rescued'`.
   */
  rescue(): Promise<RescueResult>;

  /** The live nodes' leases. */
  nodes(): Promise<NodeInfo[]>;

  /** Deletes up to `limit` jobs in a final state that finished before `before`; resolves with how many. */
  prune(before: number, limit: number): Promise<number>;

  /**
   * Makes a job `available` now, with one more attempt if it had none left: a job that is
   * scheduled (it runs now), retryable (its backoff is skipped), discarded or cancelled,
   * and a completed one only with `includeCompleted`. A job executing or available, or
   * completed without the option, is left as it is. Resolves with the job as it is after
   * the call (its `state` says whether it was revived); rejects with `JobNotFoundError`
   * for an unknown id. A queue using this store object in this process starts it at once
   * (as after an enqueue); queues elsewhere at their next poll.
   */
  retryJob(id: string, options?: RetryJobOptions): Promise<Job>;
  /** Makes a job `cancelled` unless it is final; an executing attempt's result is then refused. Resolves with the job. */
  cancelJob(id: string): Promise<Job>;
  /** Makes a job `discarded` unless it is final. Resolves with the job. */
  discardJob(id: string): Promise<Job>;
  /** `retryJob` for every job matching `filter`, waking queues in this process the same way; resolves with how many. */
  retryAll(filter: RetryFilter): Promise<number>;

  /** The job with this id, or undefined. */
  get(id: string): Promise<Job | undefined>;
  /** Jobs matching `query`, in id order. */
  list(query?: JobQuery): Promise<Job[]>;
  /**
   * Counts by state of every queue that has jobs. A store without `query` counts what it
   * can and says which queues it covers (see its documentation and {@link QueueCounts}).
   */
  counts(): Promise<QueueCounts[]>;
  /** The earliest `runAt` of a waiting job of `queue`, if any: when to look again. */
  nextRunAt(queue: string): Promise<number | undefined>;

  /**
   * Calls `listener(queue)` after jobs were inserted through this store object, or made
   * available by `retryJob`, `retryAll` or a rescue, once they can be claimed: how a queue
   * in the same process starts them without polling. Returns a function that removes the
   * listener.
   */
  onInsert(listener: (queue: string) => void): () => void;

  /** Closes the store (its connection, if it opened one). */
  close(): Promise<void>;
}
