/**
 * The store's SQL alone, no Queue, no processes: `SqliteStore`'s schema and statements
 * replayed for BENCH_JOBS jobs (enqueued 1,000 a transaction in uniform multi-row inserts,
 * then claimed 50 a transaction and each claim completed in one transaction), CPU per job.
 * For A/B of schema and settings without the Queue's noise: `VARIANT_SQL='…'` adds a
 * `variant` run, the SQL run on the connection after the schema is made, alternating with
 * the schema as it is (ROUNDS each after one to warm up):
 *
 *   VARIANT_SQL='DROP INDEX actorkit_jobs_executing' node --import tsx bench/sql-replay.ts
 *
 * `ONE=current` (or `variant`) runs once, for callgrind (the difference of two job counts);
 * `FRAMES=1` with `VARIANT_SQL='PRAGMA wal_autocheckpoint = 0; …'` prints the WAL frames
 * written per job and the b-trees they were pages of (by `dbstat`; a page free at the end
 * shows as its number). `RUNNING_LIST=1`: the variant's claims also write the ids they
 * claimed on the node's lease row (a prototype of rescue without the executing index; use
 * with `VARIANT_SQL='DROP INDEX actorkit_jobs_executing'`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { median } from '../../core/bench/measure.js';
import { migrate } from '../src/sqlite-schema.js';
import { prepare } from '../src/sqlite-statements.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 40_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const variants: Record<string, (db: Database.Database) => void> = {
  current: () => {},
  ...(process.env.VARIANT_SQL ? { variant: (db) => db.exec(process.env.VARIANT_SQL!) } : {}),
};

function framesByTree(db: Database.Database, wal: string): string {
  const bytes = readFileSync(wal);
  const pageSize = bytes.readUInt32BE(8);
  const pages = new Map<number, number>();
  let frames = 0;
  for (let at = 32; at + 24 + pageSize <= bytes.length; at += 24 + pageSize) {
    const page = bytes.readUInt32BE(at);
    pages.set(page, (pages.get(page) ?? 0) + 1);
    frames++;
  }
  // The b-tree each page is part of at the end: pages freed during the run are left unnamed.
  let byTree = '';
  try {
    const rows = db.prepare('SELECT name, pageno FROM dbstat').all() as {
      name: string;
      pageno: number;
    }[];
    const tree = new Map(rows.map((r) => [r.pageno, r.name]));
    const counts = new Map<string, number>();
    for (const [page, n] of pages)
      counts.set(
        tree.get(page) ?? `page ${page}`,
        (counts.get(tree.get(page) ?? `page ${page}`) ?? 0) + n,
      );
    byTree = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${k} ${(n / JOBS).toFixed(3)}`)
      .join(', ');
  } catch (error) {
    byTree = String(error);
  }
  return `${(frames / JOBS).toFixed(3)} frames/job: ${byTree}`;
}

function run(variant: (db: Database.Database) => void, isVariant: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-replay-'));
  try {
    const db = new Database(join(dir, 'jobs.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, 'replay');
    variant(db);
    const sql = prepare(db);
    // RUNNING_LIST=1: the variant's claims also write the node's running jobs on its lease row.
    let running: Database.Statement | undefined;
    if (isVariant && process.env.RUNNING_LIST) {
      db.exec(`ALTER TABLE actorkit_job_nodes ADD COLUMN running TEXT;
        INSERT INTO actorkit_job_nodes VALUES ('replay', 'node-1234567', 0, 0, 0, '[]')`);
      running = db.prepare('UPDATE actorkit_job_nodes SET running = ? WHERE incarnation = ?');
    }
    const immediate = db.transaction((fn: () => unknown) => fn()).immediate as <T>(
      fn: () => T,
    ) => T;
    const cpu = process.cpuUsage();
    for (let i = 0; i < JOBS; i += 1000) {
      const now = Date.now();
      immediate(() => {
        for (let j = 0; j < 1000; j += 64) {
          const rows = Math.min(64, 1000 - j);
          const args = Array.from({ length: rows }, (_, n) => JSON.stringify({ n: i + j + n }));
          sql.insertUniform(rows).run(args, {
            queue: 'default',
            worker: 'noop',
            state: 'available',
            priority: 0,
            maxAttempts: 20,
            now,
            runAt: now,
          });
        }
      });
    }
    let done = 0;
    for (;;) {
      const now = Date.now();
      const texts = immediate(() => {
        const claim = sql.claimUpTo(50);
        const claimed = claim.select.all('default', now) as string[];
        if (claimed.length > 0) claim.update.run('node-1234567', now, 'default', now);
        if (running !== undefined) {
          const ids = claimed.map((text) => text.slice(1, text.indexOf(','))).join(',');
          running.run(`[${ids}]`, 'node-1234567');
        }
        return claimed;
      });
      if (texts.length === 0) break;
      const rows = texts.map((t) => JSON.parse(t));
      immediate(() => {
        for (const row of rows) {
          // The token the claim's select read is the one its update gave: a completion with it must change the row.
          if (sql.complete.run(Date.now(), row[0], row[6]).changes !== 1) {
            throw new Error(`job ${row[0]} was not completed`);
          }
        }
      });
      done += rows.length;
    }
    const used = process.cpuUsage(cpu);
    if (done !== JOBS) throw new Error(`done ${done}`);
    // FRAMES=1 (with VARIANT_SQL 'PRAGMA wal_autocheckpoint = 0'): WAL frames written per job, by b-tree.
    if (process.env.FRAMES) console.log(framesByTree(db, join(dir, 'jobs.db-wal')));
    if (!process.env.FRAMES) db.close();
    return (used.user + used.system) / JOBS;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.ONE !== undefined) {
  // One run of one variant, for callgrind: instructions of BENCH_JOBS=a and =b, subtracted.
  console.log(
    `${process.env.ONE} ${run(variants[process.env.ONE]!, process.env.ONE === 'variant').toFixed(2)} µs CPU/job`,
  );
  process.exit(0);
}
const names = Object.keys(variants);
const results = new Map<string, number[]>(names.map((n) => [n, []]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const cpu = run(variants[name]!, name === 'variant');
    if (round > 0) results.get(name)!.push(cpu);
  }
}
for (const [name, runs] of results)
  console.log(
    `${name.padEnd(8)} ${median(runs).toFixed(2)} µs CPU/job  (${runs.map((r) => r.toFixed(1)).join(' ')})`,
  );
