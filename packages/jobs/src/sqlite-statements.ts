/** @internal The statements of `SqliteStore`, prepared once per connection. */
import type Database from 'better-sqlite3';
import { CLAIM_ROOM_BYTES, CLAIMED_JSON, FINAL_SQL, WAITING_SQL } from './sqlite-schema.js';

const OWNED = `WHERE id = ? AND token = ? AND state = 'executing'`;
/** The states a manual retry revives without being asked for more. */
const RETRIABLE_SQL = `(state = 'scheduled' OR state = 'retryable' OR state = 'discarded' OR state = 'cancelled')`;

/** The columns an insert sets, `INSERT_ROW`'s parameters in order, then the room kept for the claim. */
const INSERT_INTO = `INSERT INTO actorkit_jobs
      (queue, worker, args, state, priority, max_attempts, key, inserted_at, run_at, backoff, reserve) VALUES `;
/** The room a new row keeps for its claim (see `sqlite-schema.ts`): a constant, not a parameter. */
const RESERVE = `zeroblob(${CLAIM_ROOM_BYTES})`;
const INSERT_ROW = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${RESERVE})`;
/**
 * A row of a uniform insert: the jobs share everything but their args (named parameters,
 * bound once per statement), the common case of a batch of one worker's jobs. Binding a
 * parameter costs the driver several hundred instructions: one per job instead of ten.
 */
const UNIFORM_ROW = `(@queue, @worker, ?, @state, @priority, @maxAttempts, NULL, @now, @runAt, NULL, ${RESERVE})`;
/** The jobs a claim of up to `limit` takes (a number, or `?` for a parameter), in claim order. */
function claimable(columns: string, limit: string | number): string {
  return `SELECT ${columns} FROM actorkit_jobs WHERE queue = ? AND ${WAITING_SQL} AND run_at <= ?
        ORDER BY priority, run_at, id LIMIT ${limit}`;
}

/**
 * @internal A claim, in two statements run one after the other in one write transaction:
 * `select` reads the jobs it takes, in claim order, as they are once claimed
 * (`CLAIMED_JSON`, parameters: queue, now); `update` then claims the same jobs (parameters:
 * node, attempted at, queue, now). Nothing writes between the two (the transaction holds
 * the write lock), so the update's subquery finds the rows the select read; the store checks
 * that it changed as many.
 *
 * Not one `UPDATE … RETURNING`: SQLite runs a RETURNING clause as a trigger, which makes
 * the update load every column of each row's old version besides the new one, and buffers
 * the returned rows in a temporary table: about 2,500 instructions a claimed job more than
 * a select and a plain update (callgrind, `bench/results/2026-12-06-claim-select.md`).
 *
 * SQLite prepares a statement whose subquery has `LIMIT ?` again at every execution (a few
 * hundred thousand instructions, as much as the claim itself), so claims use a literal
 * limit (a number); `?` (the limit bound last) is for the rare larger claim.
 */
export interface ClaimStatements {
  select: Database.Statement;
  update: Database.Statement;
}

function claimStatements(db: Database.Database, limit: string | number): ClaimStatements {
  return {
    // One JSON text per row (`CLAIMED_JSON`): the driver makes one string per row.
    select: db.prepare(claimable(CLAIMED_JSON, limit)).pluck(true),
    update: db.prepare(`UPDATE actorkit_jobs
      SET state = 'executing', attempt = attempt + 1, token = token + 1, node = ?, attempted_at = ?,
        reserve = NULL
      WHERE id IN (${claimable('id', limit)})`),
  };
}

/** @internal Claims of up to this many jobs get a statement with their limit written in; larger ones bind it. */
export const CLAIM_LIMITS_PREPARED = 256;

/** @internal Parameters per inserted row. */
export const INSERT_PARAMETERS = 10;
/** @internal Rows of the largest multi-row insert: an enqueue of many jobs runs it repeatedly. */
export const INSERT_CHUNK = 64;

const SQL = {
  insert: INSERT_INTO + INSERT_ROW,
  // The states come as ',scheduled,available,': no temporary b-tree per keyed insert.
  findKey: `SELECT * FROM actorkit_jobs WHERE key = ?
      AND instr(?, ',' || state || ',') > 0 AND inserted_at > ? ORDER BY id LIMIT 1`,
  complete: `UPDATE actorkit_jobs
      SET state = 'completed', finished_at = ?, node = NULL ${OWNED}`,
  retry: `UPDATE actorkit_jobs
      SET state = 'retryable', run_at = ?, node = NULL, errors = json_insert(errors, '$[#]', json(?))
      ${OWNED}`,
  discard: `UPDATE actorkit_jobs
      SET state = 'discarded', finished_at = ?, node = NULL,
        errors = CASE WHEN ? IS NULL THEN errors ELSE json_insert(errors, '$[#]', json(?)) END
      ${OWNED}`,
  giveBack: `UPDATE actorkit_jobs
      SET state = ?, run_at = ?, attempt = attempt - 1, node = NULL ${OWNED}`,
  register: `INSERT INTO actorkit_job_nodes
      (name, incarnation, started_at, heartbeat_at, lease_until) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation,
        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
        lease_until = excluded.lease_until`,
  heartbeat: `UPDATE actorkit_job_nodes SET heartbeat_at = ?, lease_until = ?
      WHERE name = ? AND incarnation = ?`,
  unregister: `DELETE FROM actorkit_job_nodes WHERE name = ? AND incarnation = ?`,
  nodeOf: `SELECT incarnation FROM actorkit_job_nodes WHERE name = ?`,
  nodes: `SELECT name, incarnation, started_at AS startedAt,
      heartbeat_at AS heartbeatAt, lease_until AS leaseUntil FROM actorkit_job_nodes ORDER BY name`,
  lapse: `DELETE FROM actorkit_job_nodes WHERE lease_until < ? RETURNING name`,
  rescue: `UPDATE actorkit_jobs
      SET state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END,
        finished_at = CASE WHEN attempt >= max_attempts THEN ? ELSE NULL END,
        run_at = ?,
        errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', ?, 'startedAt', attempted_at,
          'kind', 'rescued', 'name', 'NodeLost',
          'message', 'the node running this attempt (' || coalesce(node, 'unknown') ||
            ') stopped without recording its outcome: its lease lapsed or it restarted',
          'node', node)),
        node = NULL
      WHERE state = 'executing'
        AND (node IS NULL OR node NOT IN (SELECT incarnation FROM actorkit_job_nodes))
      RETURNING id, state, queue`,
  prune: `DELETE FROM actorkit_jobs WHERE id IN (SELECT id FROM actorkit_jobs
      WHERE id <= ? AND ${FINAL_SQL} AND finished_at < ? ORDER BY id LIMIT ?)`,
  idRange: `SELECT min(id) AS low, max(id) AS high FROM actorkit_jobs`,
  insertedAtOrAfter: `SELECT id, inserted_at AS at FROM actorkit_jobs WHERE id >= ? ORDER BY id LIMIT 1`,
  // A completed job only when asked (the last parameter is 1).
  retryJob: `UPDATE actorkit_jobs
      SET state = 'available', run_at = ?, finished_at = NULL,
        max_attempts = max(max_attempts, attempt + 1)
      WHERE id = ? AND (${RETRIABLE_SQL} OR (state = 'completed' AND ? = 1)) RETURNING *`,
  finishJob: `UPDATE actorkit_jobs SET state = ?, finished_at = ?, node = NULL
      WHERE id = ? AND NOT ${FINAL_SQL} RETURNING *`,
  retryAll: `UPDATE actorkit_jobs
      SET state = 'available', run_at = ?, finished_at = NULL,
        max_attempts = max(max_attempts, attempt + 1)
      WHERE state IN (SELECT value FROM json_each(?)) AND state NOT IN ('executing', 'available')
        AND (? IS NULL OR queue = ?) AND (? IS NULL OR worker = ?)
      RETURNING queue`,
  get: `SELECT * FROM actorkit_jobs WHERE id = ?`,
  rateOf: `SELECT window_start AS windowStart, used FROM actorkit_job_rates WHERE queue = ?`,
  useRate: `INSERT INTO actorkit_job_rates (queue, window_start, used) VALUES (?, ?, ?)
      ON CONFLICT (queue) DO UPDATE SET window_start = excluded.window_start, used = excluded.used`,
  list: `SELECT * FROM actorkit_jobs
      WHERE (? IS NULL OR state IN (SELECT value FROM json_each(?)))
        AND (? IS NULL OR queue = ?) AND (? IS NULL OR worker = ?) AND id > ?
      ORDER BY id LIMIT ?`,
  counts: `SELECT queue, state, count(*) AS n FROM actorkit_jobs GROUP BY queue, state`,
  nextRunAt: `SELECT min(run_at) AS at FROM actorkit_jobs
      WHERE queue = ? AND ${WAITING_SQL}`,
};

/** @internal */
export type StatementName = keyof typeof SQL;

/**
 * @internal The statements by name; `insertRows(n)`: the insert of `n` rows at once;
 * `insertUniform(n)`: the insert of `n` rows that differ only in their args (the args as
 * `n` anonymous parameters, the rest named: `queue`, `worker`, `state`, `priority`,
 * `maxAttempts`, `now`, `runAt`; no key, no backoff);
 * `claimUpTo(n)`: the claim of up to `n` jobs (see `ClaimStatements`); for `n` above
 * `CLAIM_LIMITS_PREPARED`, one whose statements take the limit as their last parameter.
 */
export type Statements = Record<StatementName, Database.Statement> & {
  insertRows(rows: number): Database.Statement;
  insertUniform(rows: number): Database.Statement;
  claimUpTo(limit: number): ClaimStatements;
};

/** @internal */
export function prepare(db: Database.Database): Statements {
  const statements = Object.fromEntries(
    Object.entries(SQL).map(([name, text]) => [name, db.prepare(text)]),
  ) as unknown as Statements;
  const claims: ClaimStatements[] = [];
  let claimAny: ClaimStatements | undefined;
  statements.claimUpTo = (limit) =>
    limit <= CLAIM_LIMITS_PREPARED
      ? (claims[limit] ??= claimStatements(db, limit))
      : (claimAny ??= claimStatements(db, '?'));
  // Multi-row inserts of 1, 2, 4 … INSERT_CHUNK rows, prepared when first needed: any
  // count is a few of them, and each row costs one call into the driver less.
  const inserts: Database.Statement[] = [];
  statements.insertRows = (rows) =>
    (inserts[rows] ??= db.prepare(INSERT_INTO + Array(rows).fill(INSERT_ROW).join(', ')));
  const uniform: Database.Statement[] = [];
  statements.insertUniform = (rows) =>
    (uniform[rows] ??= db.prepare(INSERT_INTO + Array(rows).fill(UNIFORM_ROW).join(', ')));
  return statements;
}
