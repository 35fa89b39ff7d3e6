import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store.js';
import { bundleChild, pause, QueueChild } from './kill/harness.js';

// Durability is tested by killing real processes (SIGKILL by PID) at random instants,
// never by simulating their death. Each job's side effect is a row keyed by its id.

const JOBS = 2000;
const CONCURRENCY = 8;
let dir = '';
let path = '';
const children: QueueChild[] = [];

beforeAll(() => bundleChild(), 60_000);

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined) await child.kill().catch(() => {});
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): SqliteStore {
  dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-kill-'));
  path = join(dir, 'jobs.db');
  return new SqliteStore({ path });
}

function child(env: Record<string, string>): QueueChild {
  const started = new QueueChild({ DB: path, CONCURRENCY: String(CONCURRENCY), ...env });
  children.push(started);
  return started;
}

async function enqueueJobs(store: SqliteStore, count: number, args: object): Promise<string[]> {
  const jobs = Array.from({ length: count }, () => ({ queue: 'default', worker: 'touch', args }));
  return (await store.enqueue(jobs)).map((r) => r.job.id);
}

/** What the database says happened: jobs by state, effects, executions per job. */
function outcome(ids: string[]) {
  const db = new Database(path, { readonly: true });
  try {
    const states = db
      .prepare('SELECT state, count(*) AS n FROM actorkit_jobs GROUP BY state')
      .all();
    const effects = db.prepare('SELECT job_id FROM effects ORDER BY job_id').all() as {
      job_id: string;
    }[];
    const executions = (db.prepare('SELECT count(*) AS n FROM executions').get() as { n: number })
      .n;
    const executed = new Set(
      (db.prepare('SELECT DISTINCT job_id FROM executions').all() as { job_id: string }[]).map(
        (r) => r.job_id,
      ),
    );
    return {
      states,
      effectIds: effects.map((e) => e.job_id).sort(),
      expectedIds: [...ids].sort(),
      duplicates: executions - executed.size,
      missing: ids.filter((id) => !executed.has(id)),
    };
  } finally {
    db.close();
  }
}

/**
 * How many times each job's completion was recorded, as the children reported it after
 * the commit (a kill between the commit and the report loses a report, never adds one).
 */
function completionsPerJob(all: QueueChild[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of all) for (const id of c.jobIds('stop')) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('a queue killed with SIGKILL at random instants', () => {
  it('completes every job exactly once after restarts; duplicates stay within the jobs in flight at the kills', async () => {
    const store = freshDatabase();
    const ids = await enqueueJobs(store, JOBS, { pause: 20 });
    await store.close();
    const runs: QueueChild[] = [];
    for (let kill = 0; kill < 20; kill++) {
      const run = child({ NODE_NAME: 'solo' });
      runs.push(run);
      await run.waitFor((e) => e.event === 'ready');
      await pause(20 + Math.random() * 100);
      await run.kill();
    }
    const last = child({ NODE_NAME: 'solo', DRAIN: '1' });
    runs.push(last);
    await last.waitFor((e) => e.event === 'drained');
    expect(await last.exited).toEqual({ code: 0, signal: null });

    const result = outcome(ids);
    expect(result.states).toEqual([{ state: 'completed', n: JOBS }]);
    expect(result.missing).toEqual([]);
    expect(result.effectIds).toEqual(result.expectedIds);
    const completions = completionsPerJob(runs);
    expect(completions.size).toBeGreaterThan(JOBS - 20);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    // Each restart (same node name) rescued at once what the killed run had in flight.
    const rescues = runs.map((r) => r.jobIds('rescue').length);
    expect(rescues.every((n) => n <= CONCURRENCY)).toBe(true);
    const inFlightAtKills = rescues.reduce((a, b) => a + b, 0);
    expect(inFlightAtKills).toBeGreaterThan(0);
    expect(result.duplicates).toBeLessThanOrEqual(inFlightAtKills);
  }, 120_000);
});

describe('two processes on one database', () => {
  it('rescues the jobs of the one killed once its lease lapses, and the other finishes everything', async () => {
    const store = freshDatabase();
    const ids = await enqueueJobs(store, JOBS, { pause: 10 });
    await store.close();
    const lease = { LEASE: '1000', HEARTBEAT: '200', RESCUE: '200' };
    const a = child({ NODE_NAME: 'a', ...lease });
    await a.waitFor((e) => e.event === 'ready');
    const b = child({ NODE_NAME: 'b', DRAIN: '1', ...lease });
    await b.waitFor((e) => e.event === 'ready');
    await pause(50 + Math.random() * 150);
    await a.kill();
    await b.waitFor((e) => e.event === 'drained');

    const result = outcome(ids);
    expect(result.states).toEqual([{ state: 'completed', n: JOBS }]);
    expect(result.effectIds).toEqual(result.expectedIds);
    const completions = completionsPerJob([a, b]);
    // The killed node records its outcomes a batch per transaction and reports them after
    // the commit: a kill in between leaves up to a batch (CONCURRENCY) completed without a
    // 'stop' line. (This assertion once allowed one, and failed now and then with 5.)
    expect(completions.size).toBeGreaterThanOrEqual(JOBS - CONCURRENCY);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    const rescued = b.jobIds('rescue');
    expect(rescued.length).toBeGreaterThan(0);
    expect(rescued.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(result.duplicates).toBeLessThanOrEqual(rescued.length);
  }, 60_000);

  it('refuses the late completion of a zombie whose blocked event loop let its lease lapse', async () => {
    const store = freshDatabase();
    const [blocked] = await store.enqueue([
      { queue: 'default', worker: 'touch', args: { block: true } },
    ]);
    const ids = [blocked!.job.id, ...(await enqueueJobs(store, 300, { pause: 5 }))];
    await store.close();
    const lease = { LEASE: '1000', HEARTBEAT: '200', RESCUE: '200' };
    const zombie = child({ NODE_NAME: 'zombie', BLOCK_MS: '30000', DRAIN: '1', ...lease });
    await zombie.waitFor((e) => e.event === 'blocking');
    const rescuer = child({ NODE_NAME: 'rescuer', DRAIN: '1', ...lease });
    // The rescuer takes the job over after the lease and completes it; only then does the
    // zombie's event loop run again and try to record its own completion.
    await rescuer.waitFor((e) => e.event === 'stop' && e.jobId === blocked!.job.id);
    await zombie.waitFor((e) => e.event === 'fenced' && e.jobId === blocked!.job.id);
    await zombie.waitFor((e) => e.event === 'lease_lost');
    await Promise.all([rescuer, zombie].map((c) => c.waitFor((e) => e.event === 'drained')));

    const result = outcome(ids);
    expect(result.states).toEqual([{ state: 'completed', n: ids.length }]);
    expect(result.effectIds).toEqual(result.expectedIds);
    const completions = completionsPerJob([zombie, rescuer]);
    expect(completions.get(blocked!.job.id)).toBe(1);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    expect(zombie.jobIds('stop')).not.toContain(blocked!.job.id);
  }, 60_000);
});

describe('transactional enqueue', () => {
  it('leaves a user with both its jobs or neither, whenever the process is killed', async () => {
    await freshDatabase().close();
    let users = 0;
    for (let kill = 0; kill < 5; kill++) {
      const writer = child({ MODE: 'signup' });
      await writer.waitFor((e) => e.event === 'ready');
      await pause(20 + Math.random() * 80);
      await writer.kill();
    }
    const db = new Database(path, { readonly: true });
    try {
      users = (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
      const perUser = db
        .prepare(
          `SELECT u.id, count(j.id) AS jobs FROM users u
           LEFT JOIN actorkit_jobs j ON json_extract(j.args, '$.userId') = u.id
           GROUP BY u.id HAVING jobs != 2`,
        )
        .all();
      const orphans = db
        .prepare(
          `SELECT count(*) AS n FROM actorkit_jobs j
           WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = json_extract(j.args, '$.userId'))`,
        )
        .get() as { n: number };
      expect(perUser).toEqual([]);
      expect(orphans.n).toBe(0);
    } finally {
      db.close();
    }
    expect(users).toBeGreaterThan(0);
  }, 60_000);
});
