import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@actorkit/core';
import Database from 'better-sqlite3';
import {
  JobNotFoundError,
  JobsError,
  LeaseLostError,
  StaleAttemptError,
  StoreUnavailableError,
  UnsupportedCapabilityError,
} from './errors.js';
import {
  type AttemptError,
  type ClaimedJob,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_UNIQUE_STATES,
  dueTime,
  type Enqueued,
  type Job,
  type NewJob,
} from './job.js';
import { validateNewJob } from './new-job.js';
import { checkOptions, clockLike, number, oneOf, text } from './options.js';
import { configure, isUnavailable, lastInsertedBefore } from './sqlite-connection.js';
import { LockWait } from './sqlite-lock-wait.js';
import { type ClaimedRow, type JobRow, migrate, toClaimed, toJob } from './sqlite-schema.js';
import {
  CLAIM_LIMITS_PREPARED,
  INSERT_CHUNK,
  INSERT_PARAMETERS,
  prepare,
  type Statements,
} from './sqlite-statements.js';
import { WalSync } from './sqlite-wal-sync.js';
import type {
  ClaimRequest,
  JobQuery,
  NodeInfo,
  NodeRef,
  Outcome,
  QueueCounts,
  RescueResult,
  RetryFilter,
  RetryJobOptions,
  SettleResult,
  Store,
  StoreCapabilities,
} from './store.js';

/** Options for `new SqliteStore()`: give `path` or `database`. */
export interface SqliteStoreOptions {
  /** A database file (created with its folder), or `':memory:'` for tests. */
  path?: string;
  /**
   * The application's own better-sqlite3 connection: jobs live in its database, and
   * `insert` enqueues inside its transactions. The store sets WAL mode and `busy_timeout`
   * on it, and `synchronous` if `durability` is given.
   */
  database?: Database.Database;
  /**
   * `'process'`: WAL with `synchronous = NORMAL`; a commit survives a crash or `kill -9`
   * of the application, not a power loss (the last commits may roll back then).
   * `'machine'`: `synchronous = FULL`; a job whose enqueue resolved also survives power
   * loss and OS crashes. Enqueues share an fsync of the WAL off the event loop (see
   * `enqueue`); claims, outcomes, heartbeats and prunes are not synced, as their loss only
   * makes a job run again; `insert` and manual actions pay an fsync each. On an
   * application's `database`, the default is what its `synchronous` setting gives.
   * @default 'process'
   */
  durability?: 'process' | 'machine';
  /**
   * Ms a write waits for another process's write lock before `StoreUnavailableError`. On a
   * file the store opened (`path`), it tries again every 20–250 µs (longer pauses after
   * 50 ms), blocking as SQLite's busy handler does but taking the lock soon after it is
   * free, where SQLite's handler sleeps 1 to 100 ms between tries; on an application's
   * `database`, SQLite's handler waits (`busy_timeout`).
   * @default 5000
   */
  busyTimeout?: number;
  /** Where time comes from, in ms; every process sharing the file must agree. @default Date */
  clock?: { now(): number };
}

const OPTION_CHECKS = {
  path: text,
  database: (value: unknown) =>
    value instanceof Database ? undefined : 'a better-sqlite3 Database',
  durability: oneOf(['process', 'machine']),
  busyTimeout: number(0),
  clock: clockLike,
};

/**
 * The embedded store: jobs in a SQLite database through better-sqlite3, a file shared by
 * any number of processes on one machine, or `':memory:'` for tests. Every transition is
 * one immediate transaction (claims are `UPDATE … RETURNING`), the database is in WAL
 * mode, and writers wait `busyTimeout` for each other.
 *
 * Its calls are synchronous underneath (better-sqlite3 blocks for the few microseconds
 * a statement takes) and return settled promises to fit the `Store` interface; `insert`
 * is the synchronous enqueue for use inside the application's own transaction.
 *
 * @example
 * const store = new SqliteStore({ path: 'data/jobs.db', durability: 'machine' });
 *
 * @example
 * // Transactional enqueue: the user and its jobs commit together, or neither does.
 * const db = new Database('data/app.db');
 * const store = new SqliteStore({ database: db });
 * db.transaction(() => {
 *   const { id } = db.prepare('INSERT INTO users (email) VALUES (?) RETURNING id').get(email);
 *   store.insert([job(CreateCrmContact, { userId: id })]);
 * }).immediate();
 *
 * ## When not to use it
 * Processes on several machines cannot share a SQLite file (network file systems break
 * its locking): use a networked store then.
 */
export class SqliteStore implements Store {
  readonly capabilities: StoreCapabilities;
  readonly description: string;
  private readonly db: Database.Database;
  private readonly owned: boolean;
  private readonly clock: { now(): number };
  private readonly listeners = new Set<(queue: string) => void>();
  private readonly sql: Statements;
  /**
   * Runs a function in an immediate transaction (a savepoint inside an open one): made once,
   * as `db.transaction(fn)` builds four wrapper functions and their properties per call.
   */
  private readonly immediate: <T>(fn: () => T) => T;
  /** At durability 'machine': the group commit `enqueue` waits for (see `enqueue`). */
  private readonly walSync: WalSync | undefined;
  /** On a connection the store opened: its own wait for other connections' locks (see `sqlite-lock-wait.ts`). */
  private readonly lockWait: LockWait | undefined;

  constructor(options: SqliteStoreOptions) {
    checkOptions(options, OPTION_CHECKS, 'SqliteStore options');
    const { path, database } = options ?? {};
    if ((path === undefined) === (database === undefined)) {
      throw new InvalidArgumentError(
        'SqliteStore options',
        'an object with exactly one of path (a file or ":memory:") and database',
        options,
      );
    }
    this.clock = options.clock ?? Date;
    this.owned = database === undefined;
    const memory = path === ':memory:' || database?.memory === true;
    this.description = `SqliteStore(${database === undefined ? path : `database ${database.name}`})`;
    if (memory && options.durability !== undefined) {
      throw new UnsupportedCapabilityError(
        'durability',
        options.durability,
        'none (an in-memory database)',
        this.description,
      );
    }
    if (path !== undefined && !memory) mkdirSync(dirname(path), { recursive: true });
    this.db = database ?? new Database(path);
    const durability = memory
      ? 'none'
      : this.guard('configuring the store', () => configure(this.db, options, this.owned));
    this.capabilities = {
      durability,
      sharedAcrossProcesses: !memory,
      transactionalEnqueue: true,
    };
    this.guard('opening the store', () => migrate(this.db, this.description));
    this.sql = prepare(this.db);
    this.immediate = this.db.transaction((fn: () => unknown) => fn()).immediate as <T>(
      fn: () => T,
    ) => T;
    this.walSync =
      durability === 'machine' ? new WalSync(resolve(`${this.db.name}-wal`)) : undefined;
    // An application's connection keeps SQLite's busy handler: its other users rely on it.
    if (this.owned && !memory) {
      this.lockWait = new LockWait(Math.round(options.busyTimeout ?? 5000));
      this.db.pragma('busy_timeout = 0');
    }
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Inserts `jobs` synchronously: inside the caller's open transaction if there is one
   * (they commit or roll back with it; use `db.transaction(fn).immediate()` so two
   * processes cannot both miss a key), else in a transaction of its own. Same results
   * and uniqueness as `enqueue`. Queues using this store object in this process are woken
   * once the jobs can be claimed.
   */
  insert(jobs: readonly NewJob[]): Enqueued[] {
    const checked = jobs.map((newJob, index) => validateNewJob(newJob, 'jobs', index));
    const results = this.write('enqueue', () => this.insertNow(checked));
    this.announce(results.filter((r) => r.inserted).map((r) => r.job.queue));
    return results;
  }

  /**
   * At durability 'machine' (outside the caller's transaction) a group commit: the jobs
   * commit with `synchronous = NORMAL` and the promise resolves once an fdatasync of the
   * WAL, run off the event loop and shared by the enqueues made while the previous one ran,
   * has made them durable. The jobs can be claimed from their commit, so a job may start
   * before its enqueue resolves; if the power fails in between, it may have run and be
   * gone, but its enqueue never resolved. `insert` commits with `synchronous = FULL`.
   */
  enqueue(jobs: readonly NewJob[]): Promise<Enqueued[]> {
    const walSync = this.walSync;
    if (walSync === undefined || this.db.inTransaction)
      return this.promise(() => this.insert(jobs));
    let results: Enqueued[];
    try {
      results = this.unsynced(() => this.insert(jobs));
    } catch (error) {
      return Promise.reject(error);
    }
    return walSync.sync().then(
      () => results,
      (error: unknown) => {
        throw new StoreUnavailableError(
          'enqueue (syncing the write-ahead log)',
          this.description,
          error,
        );
      },
    );
  }

  claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    return this.promise(() => {
      const claimed = this.unsynced(() =>
        this.write('claim', () => {
          this.assertLease(request.node);
          return this.claimNow(request);
        }),
      );
      return toClaimedJobs(claimed, request);
    });
  }

  settle(outcomes: readonly Outcome[]): Promise<SettleResult[]> {
    return this.promise(() =>
      this.unsynced(() => this.write('settle', () => this.settleNow(outcomes))),
    );
  }

  settleAndClaim(
    outcomes: readonly Outcome[],
    request: ClaimRequest,
  ): Promise<{ settled: SettleResult[]; claimed: ClaimedJob[]; leaseLost: boolean }> {
    return this.promise(() => {
      let claimed: Claimed = NONE_CLAIMED;
      let leaseLost = false;
      const settled = this.unsynced(() =>
        this.write('settleAndClaim', () => {
          const results = this.settleNow(outcomes);
          leaseLost = !this.holdsLease(request.node);
          if (!leaseLost) claimed = this.claimNow(request);
          return results;
        }),
      );
      return { settled, claimed: toClaimedJobs(claimed, request), leaseLost };
    });
  }

  registerNode(node: NodeRef, leaseMs: number): Promise<RescueResult> {
    return this.promise(() =>
      this.write('registerNode', () => {
        const now = this.now();
        this.sql.register.run(node.name, node.incarnation, now, now, now + leaseMs);
        return this.rescueNow(now);
      }),
    );
  }

  heartbeat(node: NodeRef, leaseMs: number): Promise<void> {
    return this.promise(() =>
      this.unsynced(() =>
        this.write('heartbeat', () => {
          const now = this.now();
          const { changes } = this.sql.heartbeat.run(
            now,
            now + leaseMs,
            node.name,
            node.incarnation,
          );
          if (changes === 0) throw new LeaseLostError(node.name, this.description);
        }),
      ),
    );
  }

  unregisterNode(node: NodeRef): Promise<RescueResult> {
    return this.promise(() =>
      this.write('unregisterNode', () => {
        this.sql.unregister.run(node.name, node.incarnation);
        return this.rescueNow(this.now());
      }),
    );
  }

  rescue(): Promise<RescueResult> {
    return this.promise(() => this.write('rescue', () => this.rescueNow(this.now())));
  }

  nodes(): Promise<NodeInfo[]> {
    return this.promise(() => this.read('nodes', () => this.sql.nodes.all() as NodeInfo[]));
  }

  prune(before: number, limit: number): Promise<number> {
    // Unsynced: a prune lost to a power cut only leaves finished jobs for the next one.
    return this.promise(() =>
      this.unsynced(() =>
        this.write('prune', () => {
          const bound = lastInsertedBefore(this.sql, before);
          return bound === undefined ? 0 : this.sql.prune.run(bound, before, limit).changes;
        }),
      ),
    );
  }

  retryJob(id: string, options: RetryJobOptions = {}): Promise<Job> {
    try {
      checkOptions(options, RETRY_JOB_CHECKS, 'retryJob options');
    } catch (error) {
      return Promise.reject(error);
    }
    const completed = options.includeCompleted === true ? 1 : 0;
    return this.manual('retryJob', id, (now) => this.sql.retryJob.get(now, Number(id), completed));
  }

  cancelJob(id: string): Promise<Job> {
    return this.manual('cancelJob', id, (now) =>
      this.sql.finishJob.get('cancelled', now, Number(id)),
    );
  }

  discardJob(id: string): Promise<Job> {
    return this.manual('discardJob', id, (now) =>
      this.sql.finishJob.get('discarded', now, Number(id)),
    );
  }

  retryAll(filter: RetryFilter = {}): Promise<number> {
    return this.promise(() =>
      this.write('retryAll', () => {
        const states = JSON.stringify(filter.states ?? ['discarded', 'retryable']);
        const { queue = null, worker = null } = filter;
        const rows = this.sql.retryAll.all(...[this.now(), states, queue, queue, worker, worker]);
        this.announce((rows as { queue: string }[]).map((row) => row.queue));
        return rows.length;
      }),
    );
  }

  get(id: string): Promise<Job | undefined> {
    return this.promise(() =>
      this.read('get', () => {
        const row = this.sql.get.get(Number(id)) as JobRow | undefined;
        return row === undefined ? undefined : toJob(row);
      }),
    );
  }

  list(query: JobQuery = {}): Promise<Job[]> {
    return this.promise(() =>
      this.read('list', () => {
        const states = query.state === undefined ? null : JSON.stringify([query.state].flat());
        const { queue = null, worker = null } = query;
        const after = query.after === undefined ? 0 : Number(query.after);
        const rows = this.sql.list.all(
          ...[states, states, queue, queue, worker, worker, after, query.limit ?? 100],
        ) as JobRow[];
        return rows.map(toJob);
      }),
    );
  }

  counts(): Promise<QueueCounts[]> {
    return this.promise(() =>
      this.read('counts', () => {
        const byQueue = new Map<string, QueueCounts>();
        for (const row of this.sql.counts.all() as { queue: string; state: string; n: number }[]) {
          let entry = byQueue.get(row.queue);
          if (entry === undefined) {
            entry = { queue: row.queue, counts: emptyCounts() };
            byQueue.set(row.queue, entry);
          }
          entry.counts[row.state as keyof QueueCounts['counts']] = row.n;
        }
        return [...byQueue.values()];
      }),
    );
  }

  nextRunAt(queue: string): Promise<number | undefined> {
    return this.promise(() =>
      this.read('nextRunAt', () => {
        const row = this.sql.nextRunAt.get(queue) as { at: number | null };
        return row.at ?? undefined;
      }),
    );
  }

  onInsert(listener: (queue: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    const closeDb = () => {
      if (this.owned && this.db.open) this.db.close();
    };
    if (this.walSync === undefined) return Promise.resolve(closeDb());
    // The last enqueues' sync finishes before the connection (and with it the WAL) goes.
    return this.walSync.close().then(closeDb);
  }

  /**
   * Inserts `jobs` in order, in the open transaction. Jobs without a key go in multi-row
   * inserts; a keyed job first looks for its key, among the jobs before it too, so those
   * are inserted first.
   */
  private insertNow(jobs: readonly NewJob[]): Enqueued[] {
    const now = this.now();
    const results: Enqueued[] = new Array(jobs.length);
    let unkeyed: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const newJob = jobs[i]!;
      if (newJob.key === undefined) {
        unkeyed.push(i);
        continue;
      }
      if (unkeyed.length > 0) this.insertRows(jobs, unkeyed, results, now);
      unkeyed = [];
      results[i] = this.existing(newJob, now) ?? this.insertRows(jobs, [i], results, now)[0]!;
    }
    if (unkeyed.length > 0) this.insertRows(jobs, unkeyed, results, now);
    return results;
  }

  /** The job holding `newJob`'s key (per its `unique` options), as an enqueue's result. */
  private existing(newJob: NewJob, now: number): Enqueued | undefined {
    const period = newJob.unique?.period ?? Number.POSITIVE_INFINITY;
    const states = `,${(newJob.unique?.states ?? DEFAULT_UNIQUE_STATES).join(',')},`;
    const since = period === Number.POSITIVE_INFINITY ? -Number.MAX_VALUE : now - period;
    const row = this.sql.findKey.get(newJob.key, states, since) as JobRow | undefined;
    return row === undefined ? undefined : { job: toJob(row), inserted: false };
  }

  /**
   * Inserts the jobs at `indexes` of `jobs`, in that order, `INSERT_CHUNK` rows a statement
   * and then fewer by halves, and stores their results at the same indexes.
   */
  private insertRows(
    jobs: readonly NewJob[],
    indexes: readonly number[],
    results: Enqueued[],
    now: number,
  ): Enqueued[] {
    let done = 0;
    for (let rows = INSERT_CHUNK; done < indexes.length; rows >>= 1) {
      while (indexes.length - done >= rows) {
        const chunk: NewRow[] = new Array(rows);
        for (let n = 0; n < rows; n++) chunk[n] = newRow(jobs[indexes[done + n]!]!, now);
        const { lastInsertRowid } = this.insertChunk(chunk);
        // The ids of one statement's rows are consecutive (each is the largest so far + 1).
        const first = Number(lastInsertRowid) - rows + 1;
        for (let n = 0; n < rows; n++) {
          results[indexes[done + n]!] = { job: toNewJob(chunk[n]!, first + n), inserted: true };
        }
        done += rows;
      }
    }
    return indexes.map((i) => results[i]!);
  }

  /** Inserts `chunk` in one statement: a uniform insert if the rows differ only in their args. */
  private insertChunk(chunk: readonly NewRow[]): Database.RunResult {
    const rows = chunk.length;
    const head = chunk[0]!;
    if (rows > 1 && chunk.every((row) => sameButArgs(row, head))) {
      const args: string[] = new Array(rows);
      for (let n = 0; n < rows; n++) args[n] = chunk[n]!.args;
      return this.sql.insertUniform(rows).run(args, {
        queue: head.newJob.queue,
        worker: head.newJob.worker,
        state: head.state,
        priority: head.priority,
        maxAttempts: head.maxAttempts,
        now: head.now,
        runAt: head.runAt,
      });
    }
    const params = new Array(rows * INSERT_PARAMETERS);
    for (let n = 0; n < rows; n++) writeParams(chunk[n]!, params, n * INSERT_PARAMETERS);
    return this.sql.insertRows(rows).run(params);
  }

  private settleOne(outcome: Outcome, now: number): SettleResult {
    const { id, token } = outcome.attempt;
    const key = Number(id);
    const sql = this.sql;
    let changes: number;
    switch (outcome.kind) {
      case 'complete':
        changes = sql.complete.run(now, key, token).changes;
        break;
      case 'retry':
        changes = sql.retry.run(outcome.runAt, errorJson(outcome.error), key, token).changes;
        break;
      case 'discard': {
        const error = outcome.error === undefined ? null : errorJson(outcome.error);
        changes = sql.discard.run(now, error, error, key, token).changes;
        break;
      }
      case 'snooze':
        changes = sql.giveBack.run('scheduled', outcome.runAt, key, token).changes;
        break;
      case 'requeue':
        changes = sql.giveBack.run('available', now, key, token).changes;
        break;
    }
    return changes === 1
      ? OK
      : { ok: false, error: new StaleAttemptError(id, token, this.description) };
  }

  /**
   * Claims up to the request's limit in the open transaction; the rows come back as texts,
   * made into jobs by `toClaimedJobs` once the transaction has committed (the less a write
   * does while it holds the lock, the less other processes wait for it).
   */
  private claimNow({ queue, node, limit, rateLimit }: ClaimRequest): Claimed {
    const now = this.now();
    let allowed = limit;
    let window = 0;
    let used = 0;
    if (rateLimit !== undefined) {
      window = Math.floor(now / rateLimit.interval) * rateLimit.interval;
      const rate = this.sql.rateOf.get(queue) as { windowStart: number; used: number } | undefined;
      used = rate?.windowStart === window ? rate.used : 0;
      allowed = Math.min(limit, rateLimit.limit - used);
      if (allowed <= 0) return NONE_CLAIMED;
    }
    const texts = this.claimRows(queue, node, now, allowed);
    if (rateLimit !== undefined && texts.length > 0) {
      this.sql.useRate.run(queue, window, used + texts.length);
    }
    return { texts, now };
  }

  /**
   * Claims up to `limit` jobs of `queue` for `node` at `now`, in the open transaction: their
   * `CLAIMED_JSON` texts, read in claim order by the claim's select, then the same rows
   * claimed by its update (see `ClaimStatements`).
   */
  private claimRows(queue: string, node: NodeRef, now: number, limit: number): string[] {
    const claim = this.sql.claimUpTo(limit);
    const bound = limit <= CLAIM_LIMITS_PREPARED;
    const texts = (
      bound ? claim.select.all(queue, now) : claim.select.all(queue, now, limit)
    ) as string[];
    if (texts.length === 0) return texts;
    const { changes } = bound
      ? claim.update.run(node.incarnation, now, queue, now)
      : claim.update.run(node.incarnation, now, queue, now, limit);
    // Never, as nothing writes between the two in the transaction; if it did, the claim's
    // transaction rolls back rather than start jobs it did not claim.
    if (changes !== texts.length) {
      throw new JobsError(
        'CLAIM_MISMATCH',
        `${this.description}: a claim read ${texts.length} jobs but claimed ${changes}; the transaction is rolled back. Report this as a bug of @actorkit/jobs.`,
      );
    }
    return texts;
  }

  private settleNow(outcomes: readonly Outcome[]): SettleResult[] {
    const now = this.now();
    return outcomes.map((outcome) => this.settleOne(outcome, now));
  }

  private rescueNow(now: number): RescueResult {
    const lapsedNodes = (this.sql.lapse.all(now) as { name: string }[]).map((row) => row.name);
    const rows = this.sql.rescue.all(now, now, now) as {
      id: number;
      state: string;
      queue: string;
    }[];
    const rescued: string[] = [];
    const discarded: string[] = [];
    for (const row of rows) (row.state === 'discarded' ? discarded : rescued).push(String(row.id));
    // Queues in this process start the rescued jobs at once rather than at their next poll.
    this.announce(rows.filter((row) => row.state === 'available').map((row) => row.queue));
    return { lapsedNodes, rescued, discarded };
  }

  private holdsLease(node: NodeRef): boolean {
    const row = this.sql.nodeOf.get(node.name) as { incarnation: string } | undefined;
    return row?.incarnation === node.incarnation;
  }

  private assertLease(node: NodeRef): void {
    if (!this.holdsLease(node)) throw new LeaseLostError(node.name, this.description);
  }

  /** Runs a manual action's `update` (its changed row, or undefined if it changed nothing), resolving with the job. */
  private manual(operation: string, id: string, update: (now: number) => unknown): Promise<Job> {
    return this.promise(() =>
      this.write(operation, () => {
        const changed = update(this.now()) as JobRow | undefined;
        const row = changed ?? (this.sql.get.get(Number(id)) as JobRow | undefined);
        if (row === undefined) throw new JobNotFoundError(id, this.description);
        if (changed?.state === 'available') this.announce([changed.queue]);
        return toJob(row);
      }),
    );
  }

  /** Tells listeners, once the rows can be claimed, which queues have new jobs available. */
  private announce(names: readonly string[]): void {
    if (this.listeners.size === 0) return;
    const queues = new Set(names);
    if (queues.size === 0) return;
    const notify = () => {
      for (const queue of queues) for (const listener of this.listeners) listener(queue);
    };
    // Inside the caller's transaction the rows are not committed yet: tell after it.
    if (this.db.inTransaction) setImmediate(notify);
    else notify();
  }

  /**
   * Runs `fn` with `synchronous = NORMAL` at durability 'machine', then sets the level back:
   * for an enqueue that then waits for `walSync`, and for commits whose loss to a power cut
   * only makes a job run again, which at least once allows: a claim or heartbeat (the job
   * goes back, or its node's lease lapses and it is rescued) and an attempt's outcome (the
   * job is executing again after the reboot, and is rescued). In WAL mode the next synced
   * commit, or checkpoint, syncs their frames too, as the WAL is written in order.
   */
  private unsynced<T>(fn: () => T): T {
    if (this.capabilities.durability !== 'machine' || this.db.inTransaction) return fn();
    const synchronous = this.db.pragma('synchronous', { simple: true });
    this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.pragma(`synchronous = ${Number(synchronous)}`);
    }
  }

  /** Runs `fn` in an immediate transaction (a savepoint inside the caller's). */
  private write<T>(operation: string, fn: () => T): T {
    const lockWait = this.lockWait;
    if (lockWait === undefined || this.db.inTransaction) {
      return this.guard(operation, () => this.immediate(fn));
    }
    return this.guard(operation, () =>
      lockWait.run((started) =>
        this.immediate(() => {
          started();
          return fn();
        }),
      ),
    );
  }

  /** Runs `fn`, which only reads (so it can run again when a lock it needed was held). */
  private read<T>(operation: string, fn: () => T): T {
    const lockWait = this.lockWait;
    if (lockWait === undefined || this.db.inTransaction) return this.guard(operation, fn);
    return this.guard(operation, () => lockWait.retry(fn));
  }

  /** Turns the driver's errors about the database itself into `StoreUnavailableError`. */
  private guard<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailableError(operation, this.description, error);
      throw error;
    }
  }

  private promise<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

const OK: SettleResult = Object.freeze({ ok: true });

/** What a claim's statement returned: a `CLAIMED_JSON` text per job, claimed at `now`. */
interface Claimed {
  texts: readonly string[];
  now: number;
}

const NONE_CLAIMED: Claimed = Object.freeze({ texts: Object.freeze([]), now: 0 });

/** The claimed jobs, in claim order (priority, run_at, id), from their texts (read in that order). */
function toClaimedJobs({ texts, now }: Claimed, { queue, node }: ClaimRequest): ClaimedJob[] {
  if (texts.length === 0) return [];
  // The claim's select read them in claim order.
  const jobs: ClaimedJob[] = new Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    jobs[i] = toClaimed(JSON.parse(texts[i]!) as ClaimedRow, queue, node.incarnation, now);
  }
  return jobs;
}

const RETRY_JOB_CHECKS = {
  includeCompleted: (value: unknown) => (typeof value === 'boolean' ? undefined : 'a boolean'),
};

/** A job about to be inserted, with its defaults filled in. */
interface NewRow {
  newJob: NewJob;
  args: string;
  state: 'scheduled' | 'available';
  priority: number;
  maxAttempts: number;
  now: number;
  runAt: number;
}

function newRow(newJob: NewJob, now: number): NewRow {
  const runAt = dueTime(newJob.runAt ?? now + (newJob.delay ?? 0), now);
  return {
    newJob,
    args: JSON.stringify(newJob.args),
    state: runAt > now ? 'scheduled' : 'available',
    priority: newJob.priority ?? 0,
    maxAttempts: newJob.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    now,
    runAt,
  };
}

/** True if `row` can share `head`'s uniform insert: the same columns but args, no key, no backoff. */
function sameButArgs(row: NewRow, head: NewRow): boolean {
  const a = row.newJob;
  const b = head.newJob;
  return (
    a.key === undefined &&
    a.backoff === undefined &&
    b.key === undefined &&
    b.backoff === undefined &&
    a.queue === b.queue &&
    a.worker === b.worker &&
    row.state === head.state &&
    row.priority === head.priority &&
    row.maxAttempts === head.maxAttempts &&
    row.runAt === head.runAt
  );
}

/** Writes `row`'s insert parameters (`INSERT_PARAMETERS` of them) into `params` at `at`. */
function writeParams(row: NewRow, params: unknown[], at: number): void {
  params[at] = row.newJob.queue;
  params[at + 1] = row.newJob.worker;
  params[at + 2] = row.args;
  params[at + 3] = row.state;
  params[at + 4] = row.priority;
  params[at + 5] = row.maxAttempts;
  params[at + 6] = row.newJob.key ?? null;
  params[at + 7] = row.now;
  params[at + 8] = row.runAt;
  params[at + 9] = row.newJob.backoff === undefined ? null : JSON.stringify(row.newJob.backoff);
}

/** The job `row` became as `id`: built here rather than read back, the row holds exactly these values. */
function toNewJob(row: NewRow, id: number): Job {
  const { newJob } = row;
  const job: Job = {
    id: String(id),
    queue: newJob.queue,
    worker: newJob.worker,
    args: newJob.args,
    state: row.state,
    priority: row.priority,
    attempt: 0,
    maxAttempts: row.maxAttempts,
    key: newJob.key ?? null,
    insertedAt: row.now,
    runAt: row.runAt,
    attemptedAt: null,
    finishedAt: null,
    node: null,
    errors: [],
  };
  if (newJob.backoff !== undefined) job.backoff = newJob.backoff;
  return job;
}

function errorJson(error: AttemptError): string {
  return JSON.stringify(error);
}

function emptyCounts(): QueueCounts['counts'] {
  return {
    scheduled: 0,
    available: 0,
    executing: 0,
    retryable: 0,
    completed: 0,
    discarded: 0,
    cancelled: 0,
  };
}
