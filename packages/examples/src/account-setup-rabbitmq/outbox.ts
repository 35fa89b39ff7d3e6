import type Database from 'better-sqlite3';
import type { SetupStep } from '../db/repo.js';

/** A setup job waiting in the outbox to be published to the broker. */
export interface OutboxRow {
  id: number;
  userId: number;
  step: SetupStep;
}

const schema = `
  CREATE TABLE IF NOT EXISTS setup_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    step TEXT NOT NULL CHECK (step IN ('crm', 'fulfillment')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
`;

/**
 * The transactional outbox of the account setup on RabbitMQ: a table in the application's
 * own SQLite database where a sign-up writes its setup jobs in the same transaction as
 * the user row. A broker cannot join that transaction (a publish is not rolled back with
 * it, and a commit does not wait for a publish), so the jobs are written down with the
 * user first, and the `OutboxRelay` publishes them afterwards: a row leaves the outbox
 * only once the broker confirmed its job. After a kill at any instant there is a user
 * with its jobs (in the outbox or in the broker), or neither.
 *
 * The price is at least once, twice over: a relay killed after the broker's confirm but
 * before the row's delete publishes the job again after its restart, as the broker may
 * deliver any job again. The steps are idempotent for that reason.
 *
 * @example
 * const outbox = Outbox.open(db); // db: the application's better-sqlite3 connection
 * db.transaction(() => {
 *   const id = insertUser(user);
 *   outbox.add(id, ['crm', 'fulfillment']);
 * }).immediate();
 */
export class Outbox {
  private constructor(private readonly db: Database.Database) {}

  /** Creates the outbox table on `db` if it is missing (the `users` table must exist). */
  static open(db: Database.Database): Outbox {
    db.exec(schema);
    return new Outbox(db);
  }

  /** Adds a row per step for `userId`. Call it inside the transaction that inserts the user. */
  add(userId: number, steps: readonly SetupStep[]): void {
    const insert = this.db.prepare('INSERT INTO setup_outbox (user_id, step) VALUES (?, ?)');
    for (const step of steps) insert.run(userId, step);
  }

  /** Up to `limit` rows, oldest first: what the relay publishes next. */
  take(limit: number): OutboxRow[] {
    return this.db
      .prepare('SELECT id, user_id AS userId, step FROM setup_outbox ORDER BY id LIMIT ?')
      .all(limit) as OutboxRow[];
  }

  /** Deletes the rows with these ids: their jobs were confirmed by the broker. */
  remove(ids: readonly number[]): void {
    const remove = this.db.prepare('DELETE FROM setup_outbox WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) remove.run(id);
    })();
  }

  /** How many rows wait to be published. */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM setup_outbox').get() as { n: number }).n;
  }
}
