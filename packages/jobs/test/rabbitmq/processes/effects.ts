/**
 * The side effects of the worker processes, as the tests read them: a SQLite file with a
 * row per job id (`effects`, idempotent), a row per execution (`executions`), a row per job
 * whose work ran to its end (`finished`), and the depth of a queue as the broker tells it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import Database from 'better-sqlite3';

/** Creates a fresh effects database in a new temporary folder; resolves with its folder and path. */
export function effectsDatabase(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-rabbitmq-effects-'));
  const path = join(dir, 'effects.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE effects (job_id TEXT PRIMARY KEY, n INTEGER NOT NULL, pid INTEGER NOT NULL);
    CREATE TABLE executions (job_id TEXT NOT NULL, n INTEGER NOT NULL, pid INTEGER NOT NULL);
    CREATE TABLE finished (job_id TEXT PRIMARY KEY);
  `);
  db.close();
  return { dir, path };
}

/** What the effects database says happened. */
export interface Effects {
  /** Job id → n, for each job whose effect was made. */
  done: Map<string, number>;
  /** The ids of the jobs whose work ran to its end (the worker was about to resolve). */
  finished: Set<string>;
  /** Executions in all (duplicates included). */
  executions: number;
  /** Job id → executions, for each job executed more than once. */
  duplicated: Map<string, number>;
}

/** Reads the effects database (read-only; the workers may still be writing). */
export function readEffects(path: string): Effects {
  const db = new Database(path, { readonly: true });
  db.pragma('busy_timeout = 30000');
  try {
    const rows = db.prepare('SELECT job_id, n FROM effects').all() as {
      job_id: string;
      n: number;
    }[];
    const executions = (db.prepare('SELECT count(*) AS c FROM executions').get() as { c: number })
      .c;
    const duplicated = db
      .prepare('SELECT job_id, count(*) AS c FROM executions GROUP BY job_id HAVING c > 1')
      .all() as { job_id: string; c: number }[];
    const finished = db.prepare('SELECT job_id FROM finished').all() as { job_id: string }[];
    return {
      done: new Map(rows.map((row) => [row.job_id, row.n])),
      finished: new Set(finished.map((row) => row.job_id)),
      executions,
      duplicated: new Map(duplicated.map((row) => [row.job_id, row.c])),
    };
  } finally {
    db.close();
  }
}

/** How many effects the database holds now. */
export function effectCount(path: string): number {
  const db = new Database(path, { readonly: true });
  db.pragma('busy_timeout = 30000');
  try {
    return (db.prepare('SELECT count(*) AS c FROM effects').get() as { c: number }).c;
  } finally {
    db.close();
  }
}

/** The number of ready messages and consumers of queue `name` (messages delivered and not acked are not counted). */
export async function queueDepth(
  url: string,
  name: string,
): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const { messageCount, consumerCount } = await channel.checkQueue(name);
    return { messageCount, consumerCount };
  } finally {
    await connection.close();
  }
}
