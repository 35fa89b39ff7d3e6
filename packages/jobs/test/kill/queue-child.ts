/**
 * A child process for the kill tests: runs one queue on a SQLite file until it is killed,
 * or, with DRAIN=1, until no job is left to run. Each job's side effect is a row keyed by
 * job id (idempotent: INSERT OR IGNORE) plus a row per execution (the duplicate count).
 * It reports on stdout, one JSON object per line: ready, rescue, fenced, lease_lost,
 * stop, blocking, drained.
 *
 * Env: DB (the file), MODE ('signup': insert users with their jobs in a loop), NODE_NAME, CONCURRENCY, LEASE, HEARTBEAT, RESCUE, DRAIN, BLOCK_MS (a
 * job with args.block blocks this process's event loop until another node completed it,
 * or that long: a zombie).
 */
import { Runtime } from '@actorkit/core';
import Database from 'better-sqlite3';
import { defineWorker, isJobReport, Queue, SqliteStore } from '../../src/index.js';

const env = process.env;
const db = new Database(env.DB!);
const store = new SqliteStore({ database: db, durability: 'process', busyTimeout: 10_000 });
db.exec(`
  CREATE TABLE IF NOT EXISTS effects (job_id TEXT PRIMARY KEY, pid INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS executions (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL);
`);
const recordEffect = db.transaction((jobId: string, attempt: number) => {
  db.prepare('INSERT INTO executions (job_id, attempt, pid) VALUES (?, ?, ?)').run(
    jobId,
    attempt,
    process.pid,
  );
  db.prepare('INSERT OR IGNORE INTO effects (job_id, pid) VALUES (?, ?)').run(jobId, process.pid);
});

const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const blockMs = Number(env.BLOCK_MS ?? 0);

const Touch = defineWorker({
  name: 'touch',
  maxAttempts: 100,
  backoff: () => 0,
  perform: async (args: { block?: boolean; pause?: number }, ctx) => {
    if (args.block && blockMs > 0) {
      say({ event: 'blocking', jobId: ctx.job.id });
      // A blocked event loop (as in a CPU-bound handler): no heartbeat, no timer, nothing,
      // until another node has rescued and completed this job, or BLOCK_MS passed.
      const state = db.prepare('SELECT state FROM actorkit_jobs WHERE id = ?');
      const until = Date.now() + blockMs;
      while (
        Date.now() < until &&
        (state.get(Number(ctx.job.id)) as { state: string }).state !== 'completed'
      ) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * (args.pause ?? 0)));
    }
    recordEffect(ctx.job.id, ctx.attempt);
  },
});

if (env.MODE === 'signup') {
  // Sign-ups as the account-setup API makes them: the user and its two setup jobs in one
  // transaction, in a loop until this process is killed.
  db.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)');
  const signUp = db.transaction((email: string) => {
    const { id } = db.prepare('INSERT INTO users (email) VALUES (?) RETURNING id').get(email) as {
      id: number;
    };
    store.insert([
      { queue: 'setup', worker: 'crm', args: { userId: id } },
      { queue: 'setup', worker: 'fulfillment', args: { userId: id } },
    ]);
  });
  say({ event: 'ready', pid: process.pid });
  for (let n = 0; ; n++) {
    signUp.immediate(`user-${process.pid}-${n}@example.com`);
    if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

const runtime = new Runtime();
runtime.events.on('report', (report: unknown) => {
  if (!isJobReport(report)) return;
  if (report.event === 'rescue') say({ event: 'rescue', jobIds: report.jobIds });
  if (report.event === 'fenced') say({ event: 'fenced', jobId: report.jobId });
  if (report.event === 'stop') say({ event: 'stop', jobId: report.jobId });
  if (report.event === 'lease_lost') say({ event: 'lease_lost' });
});
const lease = Number(env.LEASE ?? 10_000);
await Queue.start({
  runtime,
  store,
  workers: [Touch],
  node: env.NODE_NAME!,
  concurrency: Number(env.CONCURRENCY ?? 8),
  lease,
  heartbeatInterval: Number(env.HEARTBEAT ?? lease / 5),
  rescueInterval: Number(env.RESCUE ?? lease / 2),
  pollInterval: 50,
});
say({ event: 'ready', pid: process.pid });

if (env.DRAIN === '1') {
  const timer = setInterval(async () => {
    const [counts] = await store.counts();
    const left =
      counts === undefined
        ? 0
        : (['available', 'executing', 'retryable', 'scheduled'] as const).reduce(
            (sum, state) => sum + (counts.counts[state] ?? 0),
            0,
          );
    if (left > 0) return;
    clearInterval(timer);
    await runtime.stop();
    say({ event: 'drained' });
    db.close();
  }, 50);
}
