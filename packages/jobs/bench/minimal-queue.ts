/**
 * The baseline: a hand-written minimal SQLite queue, the ceiling for an embedded store.
 * Batch enqueue in one transaction, one `UPDATE … RETURNING` claim per batch of
 * `concurrency` jobs, a no-op perform per job, batch completion in one transaction. No
 * processes, no fencing, no leases, no retries: what a queue costs with nothing but SQLite.
 */
import Database from 'better-sqlite3';

export class MinimalQueue {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly claim: Database.Statement;
  private readonly complete: Database.Statement;

  /** Opens the queue at `path`; `create` makes its table (once, by the first process); a claim takes up to `concurrency` jobs. */
  constructor(path: string, synchronous: 'NORMAL' | 'FULL', create = true, concurrency = 50) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma(`synchronous = ${synchronous}`);
    if (create) {
      this.db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, args TEXT NOT NULL,
        state TEXT NOT NULL, run_at REAL NOT NULL);
        CREATE INDEX jobs_available ON jobs (id) WHERE state = 'available';`);
    }
    this.insert = this.db.prepare(
      `INSERT INTO jobs (args, state, run_at) VALUES (?, 'available', ?)`,
    );
    // The limit is written in, not bound: SQLite prepares a statement whose subquery has
    // `LIMIT ?` again at each execution (the jobs store avoids that too).
    this.claim = this.db.prepare(`UPDATE jobs SET state = 'executing' WHERE id IN
      (SELECT id FROM jobs WHERE state = 'available' ORDER BY id LIMIT ${concurrency})
      RETURNING id, args`);
    this.complete = this.db.prepare(`UPDATE jobs SET state = 'completed' WHERE id = ?`);
  }

  enqueue(args: readonly unknown[]): void {
    this.db
      .transaction(() => {
        const now = Date.now();
        for (const item of args) this.insert.run(JSON.stringify(item), now);
      })
      .immediate();
  }

  /** Runs every available job with `perform`, the queue's `concurrency` at a time; resolves with how many ran. */
  async drain(perform: (args: unknown) => unknown): Promise<number> {
    let done = 0;
    for (;;) {
      const batch = this.db.transaction(() => this.claim.all()).immediate() as {
        id: number;
        args: string;
      }[];
      if (batch.length === 0) return done;
      await Promise.all(batch.map(async (row) => perform(JSON.parse(row.args))));
      this.db
        .transaction(() => {
          for (const row of batch) this.complete.run(row.id);
        })
        .immediate();
      done += batch.length;
    }
  }

  close(): void {
    this.db.close();
  }
}
