/**
 * @internal The SQLite schema of `SqliteStore`: one jobs table, one table of node leases,
 * the rate-limit window of each rate-limited queue, and a meta table with the schema
 * version. The jobs table has only partial indexes, each touched only when a job enters or
 * leaves its states: every index entry a job's life writes costs throughput (`counts` and
 * `list` by state scan instead; pruning walks the primary key up to the last job inserted
 * before its cutoff, as ids grow with time). Table names carry an `actorkit_` prefix so
 * they can live in an application's own database beside its tables.
 *
 * Sets of states are written as `state = 'a' OR state = 'b'`, never `state IN ('a', 'b')`:
 * SQLite evaluates an IN list of more than two values through a temporary b-tree built at
 * every execution, and the CHECK constraint and the partial indexes' predicates are
 * evaluated on every write of a row. That made each insert, claim and completion open two
 * to six temporary b-trees (a page cache allocated and freed each time; on glibc the freed
 * memory can go back to the OS and fault in again, several hundred µs a statement).
 * Version 1 of the schema had the IN lists; opening such a database upgrades it.
 * Version 3 added the `backoff` column (a job's own backoff, JSON, NULL for the worker's);
 * opening a version 2 database adds it (older rows get NULL: their worker's backoff, as before).
 *
 * Version 4 added `reserve`: room a new row holds for its claim. Inserts append rows, so
 * SQLite fills each table page to the brim, and a claim then grows every row by its node and
 * start time (`CLAIM_ROOM_BYTES`): a page of just-claimed rows no longer fit and split in two,
 * with its parent and the database header, at every claim (about a third of the WAL frames a
 * job wrote). An insert now writes a `CLAIM_ROOM_BYTES` zero blob there, and the claim sets it
 * to NULL as it sets node and start time, so the claimed row keeps its size and is rewritten
 * in place. Rows of an upgraded database have none (NULL): their claims split pages as before.
 */
import type Database from 'better-sqlite3';
import {
  type AttemptError,
  type ClaimedJob,
  FINAL_STATES,
  JOB_STATES,
  type Job,
  type JobState,
  WAITING_STATES,
} from './job.js';
import type { JobBackoff } from './retry.js';

/** The schema version this code writes. */
export const SCHEMA_VERSION = 4;

/**
 * @internal What a first claim adds to a row: its node's incarnation (12 characters, see the
 * producer's `newIncarnation`) and `attempted_at` (a time in whole ms, which SQLite writes as
 * a 6-byte integer), both NULL before. An insert reserves this much (see the module
 * documentation).
 */
export const CLAIM_ROOM_BYTES = 18;

/** `states` as one SQL condition on `state`, without IN (see the module documentation). */
function anyOf(states: readonly JobState[]): string {
  return `(${states.map((state) => `state = '${state}'`).join(' OR ')})`;
}

/** The states a job waits in, as SQL: the claim's filter and the waiting index's predicate must read the same. */
export const WAITING_SQL = anyOf(WAITING_STATES);
/** The final states, as SQL. */
export const FINAL_SQL = anyOf(FINAL_STATES);

/** The jobs table's columns of version 2, in the order every version of the schema has had them. */
const JOBS_COLUMNS_V2 = `
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    worker TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL CHECK ${anyOf(JOB_STATES)},
    priority INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    token INTEGER NOT NULL DEFAULT 0,
    key TEXT,
    inserted_at REAL NOT NULL,
    run_at REAL NOT NULL,
    attempted_at REAL,
    finished_at REAL,
    node TEXT,
    errors TEXT NOT NULL DEFAULT '[]'
  `;

/** The jobs table's columns now: version 3 added `backoff` at the end, version 4 `reserve`. */
const JOBS_COLUMNS = `${JOBS_COLUMNS_V2},
    backoff TEXT,
    reserve BLOB
  `;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS actorkit_jobs_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS actorkit_jobs (${JOBS_COLUMNS});
  CREATE INDEX IF NOT EXISTS actorkit_jobs_waiting
    ON actorkit_jobs (queue, priority, run_at, id) WHERE ${WAITING_SQL};
  CREATE INDEX IF NOT EXISTS actorkit_jobs_executing
    ON actorkit_jobs (node) WHERE state = 'executing';
  CREATE INDEX IF NOT EXISTS actorkit_jobs_key
    ON actorkit_jobs (key, inserted_at) WHERE key IS NOT NULL;
  CREATE TABLE IF NOT EXISTS actorkit_job_rates (
    queue TEXT PRIMARY KEY,
    window_start REAL NOT NULL,
    used INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS actorkit_job_nodes (
    name TEXT PRIMARY KEY,
    incarnation TEXT NOT NULL UNIQUE,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    lease_until REAL NOT NULL
  );
`;

/**
 * Creates the tables if they are missing, in one immediate transaction (so two processes
 * opening a fresh file at once do not race), and checks the schema version: a database
 * written by a newer release is refused rather than misread, one written by an older
 * release is upgraded in the same transaction.
 */
export function migrate(db: Database.Database, where: string): void {
  db.transaction(() => {
    const version = schemaVersion(db);
    if (version !== undefined && version > SCHEMA_VERSION) {
      throw new Error(
        `${where} holds jobs schema version ${version}, newer than this release's ${SCHEMA_VERSION}; upgrade @actorkit/jobs.`,
      );
    }
    if (version === 1) upgradeFromVersion1(db);
    if (version === 1 || version === 2) upgradeFromVersion2(db);
    if (version === 1 || version === 2 || version === 3) upgradeFromVersion3(db);
    db.exec(SCHEMA);
    db.prepare(
      `INSERT INTO actorkit_jobs_meta (key, value) VALUES ('version', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ).run(String(SCHEMA_VERSION));
  }).immediate();
}

/** The version a database's jobs schema has, or undefined for a database without one. */
function schemaVersion(db: Database.Database): number | undefined {
  const meta = db
    .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'actorkit_jobs_meta'`)
    .get();
  if (meta === undefined) return undefined;
  const row = db.prepare(`SELECT value FROM actorkit_jobs_meta WHERE key = 'version'`).get() as
    | { value: string }
    | undefined;
  return row === undefined ? undefined : Number(row.value);
}

/**
 * Version 1 had `state IN (…)` in the jobs table's CHECK and in the waiting index: SQLite
 * cannot change a CHECK in place, so the table is copied into one with version 2's (same
 * columns, same rows and ids), and `SCHEMA` then makes its indexes.
 */
function upgradeFromVersion1(db: Database.Database): void {
  db.exec(`
    CREATE TABLE actorkit_jobs_v2 (${JOBS_COLUMNS_V2});
    INSERT INTO actorkit_jobs_v2 SELECT * FROM actorkit_jobs ORDER BY id;
    DROP TABLE actorkit_jobs;
    ALTER TABLE actorkit_jobs_v2 RENAME TO actorkit_jobs;
  `);
}

/** Version 3 added a job's own backoff: a column at the end, NULL (the worker's backoff) for the rows there are. */
function upgradeFromVersion2(db: Database.Database): void {
  db.exec('ALTER TABLE actorkit_jobs ADD COLUMN backoff TEXT');
}

/** Version 4 added room for a claim: a column at the end, NULL for the rows there are (their claims split pages, as before). */
function upgradeFromVersion3(db: Database.Database): void {
  db.exec('ALTER TABLE actorkit_jobs ADD COLUMN reserve BLOB');
}

/** @internal A jobs row as SQLite returns it. */
export interface JobRow {
  id: number;
  queue: string;
  worker: string;
  args: string;
  state: JobState;
  priority: number;
  attempt: number;
  max_attempts: number;
  token: number;
  key: string | null;
  inserted_at: number;
  run_at: number;
  attempted_at: number | null;
  finished_at: number | null;
  node: string | null;
  errors: string;
  backoff: string | null;
  /** Room kept for the claim (see the module documentation); not part of a job. */
  reserve: Uint8Array | null;
}

/** @internal */
export function toJob(row: JobRow): Job {
  const job: Job = {
    id: String(row.id),
    queue: row.queue,
    worker: row.worker,
    args: JSON.parse(row.args),
    state: row.state,
    priority: row.priority,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    key: row.key,
    insertedAt: row.inserted_at,
    runAt: row.run_at,
    attemptedAt: row.attempted_at,
    finishedAt: row.finished_at,
    node: row.node,
    errors: row.errors === '[]' ? [] : (JSON.parse(row.errors) as AttemptError[]),
  };
  if (row.backoff !== null) job.backoff = JSON.parse(row.backoff) as JobBackoff;
  return job;
}

/**
 * @internal What a claim reads per job, before its update: one JSON array text, built by
 * SQLite, in the order `toClaimed` reads it, with the attempt and the fencing token the
 * update gives the job (each one more). The claim sets the rest: the queue asked for,
 * `state` executing, `node` and `attempted_at`; `finished_at` is null. One text per row
 * instead of twelve columns: the driver turns each column of a raw row into a JavaScript
 * value and sets it on an array through V8's generic API (about 900 instructions a column,
 * more than SQLite's whole update of the row), while `JSON.parse` builds the array, the args
 * and the history in one pass. `args`, `errors` and `backoff` hold JSON this store wrote, so
 * they go in as they are; text and reals go through `json_quote` (SQLite writes reals
 * exactly, an infinity as `9.0e+999`); an empty history comes back as null. Joined by one
 * `concat_ws` rather than a chain of `||`, each of which makes a new string: about 2,000
 * instructions a job fewer. None of its values is NULL (`concat_ws` would leave it out).
 */
export const CLAIMED_JSON = `'[' || concat_ws(',', id, json_quote(worker), args, priority,
  attempt + 1, max_attempts, token + 1, json_quote(key), json_quote(inserted_at), json_quote(run_at),
  CASE WHEN errors = '[]' THEN 'null' ELSE errors END, coalesce(backoff, 'null')) || ']'`;

/** @internal A claimed row: `CLAIMED_JSON` parsed. */
export type ClaimedRow = [
  id: number,
  worker: string,
  args: unknown,
  priority: number,
  attempt: number,
  maxAttempts: number,
  token: number,
  key: string | null,
  insertedAt: number,
  runAt: number,
  errors: AttemptError[] | null,
  backoff: JobBackoff | null,
];

/** @internal A claimed row (`CLAIMED_JSON`, parsed) as the job it is, for `node` at `now`. */
export function toClaimed(row: ClaimedRow, queue: string, node: string, now: number): ClaimedJob {
  const errors = row[10];
  const backoff = row[11];
  const job: ClaimedJob = {
    id: String(row[0]),
    queue,
    worker: row[1],
    args: row[2],
    state: 'executing',
    priority: row[3],
    attempt: row[4],
    maxAttempts: row[5],
    key: row[7],
    insertedAt: row[8],
    runAt: row[9],
    attemptedAt: now,
    // A job claimable is waiting, and no waiting job has finished: every statement that
    // makes a job wait clears finished_at.
    finishedAt: null,
    node,
    errors: errors === null ? [] : errors,
    token: row[6],
  };
  if (backoff !== null) job.backoff = backoff;
  return job;
}
