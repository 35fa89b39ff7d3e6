/** @internal What `SqliteStore` does with its connection beyond statements: settings, errors, pruning bounds. */
import type Database from 'better-sqlite3';
import type { Statements } from './sqlite-statements.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * Sets WAL, `busy_timeout` and `synchronous` (on a connection the store opened, or when
 * `durability` is given); returns the durability the settings give.
 */
export function configure(
  db: Database.Database,
  options: SqliteStoreOptions,
  owned: boolean,
): 'process' | 'machine' {
  db.pragma(`busy_timeout = ${Math.round(options.busyTimeout ?? 5000)}`);
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  if (options.durability !== undefined || owned) {
    db.pragma(`synchronous = ${options.durability === 'machine' ? 'FULL' : 'NORMAL'}`);
  }
  // 2 = FULL, 3 = EXTRA: an fsync per commit.
  return Number(db.pragma('synchronous', { simple: true })) >= 2 ? 'machine' : 'process';
}

/** True for the driver's errors about the database itself (locked, closed, full, broken). */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    return /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|FULL|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/.test(code);
  }
  return error instanceof TypeError && /database connection is not open/.test(error.message);
}

/**
 * The largest id inserted before `time`, found by bisecting the primary key (ids grow
 * with insertion time): no job finished before `time` has a larger id, so pruning needs
 * no index of its own. Undefined when no job is that old.
 */
export function lastInsertedBefore(sql: Statements, time: number): number | undefined {
  const range = sql.idRange.get() as { low: number | null; high: number | null };
  if (range.low === null || range.high === null) return undefined;
  let low = range.low;
  let high = range.high;
  const first = sql.insertedAtOrAfter.get(low) as { id: number; at: number };
  if (first.at >= time) return undefined;
  // Invariant: the job at or after `low` was inserted before `time`.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const row = sql.insertedAtOrAfter.get(middle) as { id: number; at: number };
    if (row.at < time) low = row.id;
    else high = middle - 1;
  }
  return low;
}
