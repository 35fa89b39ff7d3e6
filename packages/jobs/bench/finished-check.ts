/**
 * How a throughput row learns that the store's jobs are all done, on a read-only connection
 * of its own. `allFinished` is polled inside the timed range, so it must cost next to
 * nothing: it asks the two partial indexes whether any job still waits or executes (a
 * lookup each), instead of counting the completed jobs, which read the whole table from
 * the WAL at every poll (3–9 ms a poll for 20k jobs, about 4% of a row's time, charged to
 * the queue but not to the minimal queue, whose `drain` knows when it is done).
 * `close` counts the completed jobs once the clock has stopped, so a row whose jobs did not
 * all complete still fails.
 */
import Database from 'better-sqlite3';
import { WAITING_SQL } from '../src/sqlite-schema.js';

export interface FinishedCheck {
  /** True when no job waits or executes. */
  allFinished(): boolean;
  /** Closes the connection; throws unless `jobs` jobs completed (call it once the timing is over). */
  close(jobs: number): void;
}

export function finishedCheck(path: string): FinishedCheck {
  const db = new Database(path, { readonly: true });
  // Written as the indexes' predicates are, so that SQLite answers from them.
  const busy = db
    .prepare(`SELECT EXISTS (SELECT 1 FROM actorkit_jobs WHERE state = 'executing')
      OR EXISTS (SELECT 1 FROM actorkit_jobs WHERE ${WAITING_SQL})`)
    .pluck(true);
  const completed = db
    .prepare(`SELECT count(*) FROM actorkit_jobs WHERE state = 'completed'`)
    .pluck(true);
  return {
    allFinished: () => busy.get() === 0,
    close(jobs) {
      const count = completed.get() as number;
      db.close();
      if (count !== jobs) throw new Error(`${count} of ${jobs} jobs completed`);
    },
  };
}
