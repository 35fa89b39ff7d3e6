import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, VirtualClock } from '@actorkit/core';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, UnsupportedCapabilityError } from '../src/errors.js';
import type { NewJob } from '../src/job.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { storeContract } from './contract/index.js';

storeContract('SqliteStore on a file', (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-'));
  const path = join(dir, 'jobs.db');
  const handles: SqliteStore[] = [new SqliteStore({ path, clock })];
  return {
    store: handles[0]!,
    reopen: () => {
      const store = new SqliteStore({ path, clock });
      handles.push(store);
      return store;
    },
    close: async () => {
      for (const store of handles) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

storeContract("SqliteStore on a file, durability 'machine'", (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-'));
  const path = join(dir, 'jobs.db');
  const handles: SqliteStore[] = [new SqliteStore({ path, clock, durability: 'machine' })];
  return {
    store: handles[0]!,
    reopen: () => {
      const store = new SqliteStore({ path, clock, durability: 'machine' });
      handles.push(store);
      return store;
    },
    close: async () => {
      for (const store of handles) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

storeContract('SqliteStore in memory', (clock) => {
  const store = new SqliteStore({ path: ':memory:', clock });
  return { store, reopen: () => store, close: () => store.close() };
});

describe('new SqliteStore()', () => {
  it('throws InvalidArgumentError for an unknown option, or for neither or both of path and database', () => {
    expect(() => new SqliteStore({ path: ':memory:', durabilty: 'machine' } as never)).toThrow(
      /durabilty/,
    );
    expect(() => new SqliteStore({})).toThrow(InvalidArgumentError);
    const db = new Database(':memory:');
    expect(() => new SqliteStore({ path: ':memory:', database: db })).toThrow(InvalidArgumentError);
    db.close();
  });

  it('declares no durability in memory, and refuses one asked of it at configuration', () => {
    const store = new SqliteStore({ path: ':memory:' });
    expect(store.capabilities).toEqual({
      durability: 'none',
      sharedAcrossProcesses: false,
      transactionalEnqueue: true,
    });
    expect(() => new SqliteStore({ path: ':memory:', durability: 'process' })).toThrow(
      UnsupportedCapabilityError,
    );
  });

  it("sets WAL and synchronous = NORMAL for 'process', FULL for 'machine'", () => {
    withDirectory((dir) => {
      for (const [durability, synchronous] of [
        ['process', 1],
        ['machine', 2],
      ] as const) {
        const db = new Database(join(dir, `${durability}.db`));
        const store = new SqliteStore({ database: db, durability });
        expect(store.capabilities.durability).toBe(durability);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(db.pragma('synchronous', { simple: true })).toBe(synchronous);
        expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
        db.close();
      }
    });
  });

  it("keeps an application database's synchronous setting when no durability is given, and says what it gives", () => {
    withDirectory((dir) => {
      const db = new Database(join(dir, 'app.db'));
      db.pragma('synchronous = FULL');
      expect(new SqliteStore({ database: db }).capabilities.durability).toBe('machine');
      db.close();
    });
  });

  it('keeps jobs across closing and opening the file again', async () => {
    await withDirectoryAsync(async (dir) => {
      const path = join(dir, 'jobs.db');
      const first = new SqliteStore({ path });
      const [{ job }] = (await first.enqueue([{ queue: 'q', worker: 'w', args: [1, 'two'] }])) as [
        any,
      ];
      await first.close();
      const second = new SqliteStore({ path });
      expect(await second.get(job.id)).toEqual(job);
      await second.close();
    });
  });
});

describe('SqliteStore#insert()', () => {
  it("commits jobs with the application's rows, in its transaction, or neither", () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
    const store = new SqliteStore({ database: db });
    const signUp = db.transaction((email: string) => {
      const { id } = db.prepare('INSERT INTO users (email) VALUES (?) RETURNING id').get(email) as {
        id: number;
      };
      store.insert([
        { queue: 'setup', worker: 'crm', args: { userId: id } },
        { queue: 'setup', worker: 'fulfillment', args: { userId: id } },
      ]);
      if (email.endsWith('@fail')) throw new Error('rolled back after the enqueue');
    });
    signUp.immediate('ada@example.com');
    expect(() => signUp.immediate('bob@fail')).toThrow(/rolled back/);
    expect(db.prepare('SELECT email FROM users').all()).toEqual([{ email: 'ada@example.com' }]);
    const jobs = db.prepare('SELECT worker, args FROM actorkit_jobs ORDER BY id').all();
    expect(jobs).toEqual([
      { worker: 'crm', args: '{"userId":1}' },
      { worker: 'fulfillment', args: '{"userId":1}' },
    ]);
    db.close();
  });

  it('wakes listeners only after the caller’s transaction has committed', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db });
    const seen: number[] = [];
    store.onInsert(() =>
      seen.push((db.prepare('SELECT count(*) AS n FROM actorkit_jobs').get() as { n: number }).n),
    );
    db.transaction(() => {
      store.insert([{ queue: 'q', worker: 'w', args: {} }]);
      expect(seen).toEqual([]);
    }).immediate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1]);
    db.close();
  });
});

describe('SqliteStore errors', () => {
  it('rejects with StoreUnavailableError when another connection holds the write lock past busyTimeout', async () => {
    await withDirectoryAsync(async (dir) => {
      const path = join(dir, 'jobs.db');
      const store = new SqliteStore({ path, busyTimeout: 0 });
      const other = new Database(path);
      other.exec('BEGIN IMMEDIATE');
      const error = await store.enqueue([{ queue: 'q', worker: 'w', args: {} }]).catch((e) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error.message).toMatch(/enqueue failed in SqliteStore\(.*jobs\.db\): SQLITE_BUSY/);
      other.exec('ROLLBACK');
      expect(await store.list()).toEqual([]);
      other.close();
      await store.close();
    });
  });

  it('rejects with StoreUnavailableError once closed', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.close();
    await expect(store.list()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('refuses a database written by a newer release', () => {
    const db = new Database(':memory:');
    new SqliteStore({ database: db });
    db.prepare(`UPDATE actorkit_jobs_meta SET value = '99' WHERE key = 'version'`).run();
    expect(() => new SqliteStore({ database: db })).toThrow(/schema version 99.*upgrade/);
    db.close();
  });
});

// The schema of release 0.1's first version, as it created it: `state IN (…)` in the CHECK
// and the waiting index.
const VERSION_1 = `
  CREATE TABLE actorkit_jobs_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO actorkit_jobs_meta VALUES ('version', '1');
  CREATE TABLE actorkit_jobs (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, worker TEXT NOT NULL,
    args TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('scheduled', 'available', 'executing',
    'retryable', 'completed', 'discarded', 'cancelled')), priority INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
    token INTEGER NOT NULL DEFAULT 0, key TEXT, inserted_at REAL NOT NULL, run_at REAL NOT NULL,
    attempted_at REAL, finished_at REAL, node TEXT, errors TEXT NOT NULL DEFAULT '[]');
  CREATE INDEX actorkit_jobs_waiting ON actorkit_jobs (queue, priority, run_at, id)
    WHERE state IN ('scheduled', 'available', 'retryable');
  CREATE INDEX actorkit_jobs_executing ON actorkit_jobs (node) WHERE state = 'executing';
  CREATE INDEX actorkit_jobs_key ON actorkit_jobs (key, inserted_at) WHERE key IS NOT NULL;
  CREATE TABLE actorkit_job_rates (queue TEXT PRIMARY KEY, window_start REAL NOT NULL,
    used INTEGER NOT NULL);
  CREATE TABLE actorkit_job_nodes (name TEXT PRIMARY KEY, incarnation TEXT NOT NULL UNIQUE,
    started_at REAL NOT NULL, heartbeat_at REAL NOT NULL, lease_until REAL NOT NULL);
  INSERT INTO actorkit_jobs (queue, worker, args, state, max_attempts, key, inserted_at, run_at)
    VALUES ('mail', 'w', '{"n":1}', 'completed', 10, 'k1', 5, 5),
      ('mail', 'w', '{"n":2}', 'available', 10, NULL, 6, 6);
`;

describe('a database of schema version 1', () => {
  it('is upgraded on opening: same jobs and ids, no IN list left in the schema, claims by the waiting index', async () => {
    const db = new Database(':memory:');
    db.exec(VERSION_1);
    const store = new SqliteStore({ database: db, clock: { now: () => 10 } });
    expect(db.prepare(`SELECT value FROM actorkit_jobs_meta`).pluck().get()).toBe('4');
    const schema = db.prepare(`SELECT group_concat(sql, ';') FROM sqlite_schema`).pluck().get();
    expect(schema).not.toMatch(/ IN \(/);
    expect((await store.list()).map((j) => [j.id, j.state, j.args, j.key])).toEqual([
      ['1', 'completed', { n: 1 }, 'k1'],
      ['2', 'available', { n: 2 }, null],
    ]);
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM actorkit_jobs WHERE queue = 'mail' AND (state = 'scheduled' OR state = 'available' OR state = 'retryable') AND run_at <= 10 ORDER BY priority, run_at, id`,
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join()).toMatch(/USING INDEX actorkit_jobs_waiting/);
    const node = { name: 'n', incarnation: 'n#1' };
    await store.registerNode(node, 1000);
    expect((await store.claim({ queue: 'mail', node, limit: 5 })).map((j) => j.id)).toEqual(['2']);
    expect((await store.enqueue([{ queue: 'mail', worker: 'w', args: {} }]))[0]!.job.id).toBe('3');
    new SqliteStore({ database: db }); // opening again changes nothing
    expect(await store.counts()).toEqual([
      {
        queue: 'mail',
        counts: expect.objectContaining({ available: 1, executing: 1, completed: 1 }),
      },
    ]);
    db.close();
  });
});

// Version 2 as it created it: version 1's tables with every set of states as ORs, no backoff column.
const VERSION_2 = VERSION_1.replace("('version', '1')", "('version', '2')")
  .replace(
    /CHECK \(state IN \([^)]*\)\)/,
    "CHECK (state = 'scheduled' OR state = 'available' OR state = 'executing' OR state = 'retryable' OR state = 'completed' OR state = 'discarded' OR state = 'cancelled')",
  )
  .replace(
    /WHERE state IN \([^)]*\)/,
    "WHERE (state = 'scheduled' OR state = 'available' OR state = 'retryable')",
  );

describe('a database of schema version 2', () => {
  it("is upgraded on opening: same jobs and ids, a backoff column whose old rows use their worker's", async () => {
    expect(VERSION_2).not.toMatch(/ IN \(/);
    const db = new Database(':memory:');
    db.exec(VERSION_2);
    const store = new SqliteStore({ database: db, clock: { now: () => 10 } });
    expect(db.prepare(`SELECT value FROM actorkit_jobs_meta`).pluck().get()).toBe('4');
    const old = await store.list();
    expect(old.map((j) => [j.id, j.state, j.args, j.key, j.backoff])).toEqual([
      ['1', 'completed', { n: 1 }, 'k1', undefined],
      ['2', 'available', { n: 2 }, null, undefined],
    ]);
    const backoff = { initial: 20, jitter: 0 };
    const [added] = await store.enqueue([{ queue: 'mail', worker: 'w', args: {}, backoff }]);
    expect(added!.job).toMatchObject({ id: '3', backoff });
    const node = { name: 'n', incarnation: 'n#1' };
    await store.registerNode(node, 1000);
    const claimed = await store.claim({ queue: 'mail', node, limit: 5 });
    expect(claimed.map((j) => [j.id, j.backoff])).toEqual([
      ['2', undefined],
      ['3', backoff],
    ]);
    new SqliteStore({ database: db }); // opening again changes nothing
    expect(await store.get('3')).toMatchObject({ backoff });
    db.close();
  });
});

// Version 3 as it created it: version 2's tables and the backoff column, no reserve.
const VERSION_3 = VERSION_2.replace("('version', '2')", "('version', '3')").replace(
  "errors TEXT NOT NULL DEFAULT '[]')",
  "errors TEXT NOT NULL DEFAULT '[]', backoff TEXT)",
);

describe('a database of schema version 3', () => {
  it('is upgraded on opening: same jobs, a reserve column, NULL in old rows and room in new ones until their claim', async () => {
    expect(VERSION_3).toMatch(/backoff TEXT\)/);
    const db = new Database(':memory:');
    db.exec(VERSION_3);
    const store = new SqliteStore({ database: db, clock: { now: () => 10 } });
    expect(db.prepare(`SELECT value FROM actorkit_jobs_meta`).pluck().get()).toBe('4');
    await store.enqueue([{ queue: 'mail', worker: 'w', args: { n: 3 } }]);
    const reserve = db.prepare(`SELECT length(reserve) FROM actorkit_jobs ORDER BY id`).pluck();
    expect(reserve.all()).toEqual([null, null, 18]);
    const node = { name: 'n', incarnation: 'n#1' };
    await store.registerNode(node, 1000);
    const claimed = await store.claim({ queue: 'mail', node, limit: 5 });
    expect(claimed.map((j) => [j.id, j.args, j.node])).toEqual([
      ['2', { n: 2 }, 'n#1'],
      ['3', { n: 3 }, 'n#1'],
    ]);
    expect(reserve.all()).toEqual([null, null, null]);
    expect(Object.keys((await store.get('3'))!)).not.toContain('reserve');
    new SqliteStore({ database: db }); // opening again changes nothing
    db.close();
  });
});

describe('SqliteStore#claim()', () => {
  it('claims up to any limit, written into the statement up to 256 and bound above', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const node = { name: 'n', incarnation: 'n#1' };
    await store.registerNode(node, 60_000);
    await store.enqueue(Array.from({ length: 700 }, () => ({ queue: 'q', worker: 'w', args: {} })));
    const sizes = [];
    for (const limit of [1, 256, 257, 300]) {
      sizes.push((await store.claim({ queue: 'q', node, limit })).length);
    }
    expect(sizes).toEqual([1, 256, 257, 186]);
    await store.close();
  });

  it('rolls the claim back, starting nothing, when its update does not claim every job its select read', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db });
    const node = { name: 'n', incarnation: 'n#1' };
    await store.registerNode(node, 60_000);
    await store.enqueue([1, 2, 3].map((n) => ({ queue: 'q', worker: 'w', args: { n } })));
    // An application's trigger that skips one row's update: the claim would hand out a job
    // it does not hold.
    db.exec(`CREATE TRIGGER skip_two BEFORE UPDATE ON actorkit_jobs
      WHEN json_extract(OLD.args, '$.n') = 2 BEGIN SELECT RAISE(IGNORE); END`);
    await expect(store.claim({ queue: 'q', node, limit: 3 })).rejects.toMatchObject({
      code: 'CLAIM_MISMATCH',
      message: expect.stringMatching(/read 3 jobs but claimed 2/),
    });
    const states = db.prepare('SELECT state FROM actorkit_jobs ORDER BY id').pluck().all();
    expect(states).toEqual(['available', 'available', 'available']);
    await store.close();
    db.close();
  });
});

describe('SqliteStore#enqueue() checks', () => {
  it('names the job that is wrong by its index, and its args by their path', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const good = { queue: 'q', worker: 'w', args: {} };
    await expect(store.enqueue([good, { ...good, priority: -1 }])).rejects.toThrow(
      /jobs\[1\]\.priority/,
    );
    await expect(store.enqueue([good, good, { ...good, args: { a: [1, Date] } }])).rejects.toThrow(
      /jobs\[2\]\.args\.a\[1\]/,
    );
    // From JavaScript, as the types do not allow it.
    const noQueue = { ...good, queue: undefined } as unknown as NewJob;
    await expect(store.enqueue([noQueue])).rejects.toThrow(/jobs\[0\]\.queue/);
    await expect(store.enqueue([good, { ...good, delay: 1, runAt: 2 }])).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(store.enqueue([good, { ...good, delay: 1, runAt: 2 }])).rejects.toThrow(
      /jobs\[1\]/,
    );
    expect(await store.counts()).toEqual([]);
    await store.close();
  });
});

describe('SqliteStore#enqueue() and #claim() of mixed batches', () => {
  // Batches whose jobs share all but their args go in as uniform inserts (the shared
  // columns bound once) and others row by row; claims come back as one JSON text a job:
  // whatever the mix, each job must read back with its own columns.
  const worker = fc.constantFrom('w', 'wörker "quoted"', 'w\\\u2028');
  // A template and others that differ from it in one column each.
  const templates = fc
    .tuple(
      fc.record({
        queue: fc.constant('q'),
        worker,
        priority: fc.integer({ min: 0, max: 1 }),
        maxAttempts: fc.integer({ min: 1, max: 3 }),
        runAt: fc.constantFrom(500, 999.25, 1000),
      }),
      fc.array(
        fc.oneof(
          fc.record({ worker }),
          fc.record({ priority: fc.integer({ min: 0, max: 2 }) }),
          fc.record({ maxAttempts: fc.integer({ min: 1, max: 4 }) }),
          fc.record({ runAt: fc.constantFrom(500, 999.25, 1000, 2000) }),
          fc.record({
            backoff: fc.constantFrom({ initial: 10 }, { initial: 5, max: 50, jitter: 0 }),
          }),
          fc.record({ key: fc.string({ minLength: 1, maxLength: 4 }) }),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([base, changes]) => [
      base as Partial<NewJob>,
      ...changes.map((change) => ({ ...base, ...change }) as Partial<NewJob>),
    ]);
  const args = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)));
  // Runs of jobs that share a template (all but their args), so that multi-row inserts
  // meet both uniform and mixed chunks.
  const batch = fc
    .tuple(
      templates,
      fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 70 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.array(args, { minLength: 8, maxLength: 8 }),
    )
    .map(([made, runs, values]) =>
      runs.flatMap(([which, length]) =>
        Array.from({ length }, (_, n) => {
          const { key, ...rest } = made[which % made.length]!;
          const job = { ...rest, args: values[n % values.length] } as NewJob;
          // A key is unique by default: only the first job of a run keeps it.
          return key === undefined || n > 0 ? job : { ...job, key };
        }),
      ),
    );

  it('stores and claims every job of a batch with its own columns, uniform or not', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (jobs) => {
        const clock = new VirtualClock(1000);
        const store = new SqliteStore({ path: ':memory:', clock });
        const node = { name: 'n', incarnation: 'n#1' };
        await store.registerNode(node, 60_000);
        const results = await store.enqueue(jobs);
        const stored = new Map<string, unknown>();
        for (const { job, inserted } of results) {
          const read = await store.get(job.id);
          if (inserted) expect(read).toEqual(job);
          stored.set(job.id, read);
        }
        await clock.advance(1000); // every job due, the scheduled ones too
        const claimed = await store.claim({ queue: 'q', node, limit: 300 });
        expect(claimed).toHaveLength(stored.size);
        for (const job of claimed) {
          const { token, ...read } = job;
          const before = stored.get(job.id) as { attempt: number };
          expect(read).toEqual({
            ...before,
            state: 'executing',
            attempt: before.attempt + 1,
            attemptedAt: 2000,
            node: 'n#1',
          });
          expect(read).toEqual(await store.get(job.id));
          expect(token).toBeGreaterThan(0);
        }
        await store.close();
      }),
      { numRuns: 60 },
    );
  });
});

describe('SqliteStore#prune()', () => {
  it('deletes exactly the final jobs finished before the cutoff, however ids and times are spread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 50 }), finish: fc.boolean() }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 20 }),
        async (plan, cutoffOffset, limit) => {
          const clock = new VirtualClock(1000);
          const store = new SqliteStore({ path: ':memory:', clock });
          const node = { name: 'n', incarnation: 'n#1' };
          await store.registerNode(node, 1e12);
          const finishedAt = new Map<string, number>();
          for (const { gap, finish } of plan) {
            await clock.advance(gap);
            await store.enqueue([{ queue: 'q', worker: 'w', args: {} }]);
            if (!finish) continue;
            // Finishes the oldest waiting job: which one it is does not matter, when does.
            const [claimed] = await store.claim({ queue: 'q', node, limit: 1 });
            await store.settle([{ kind: 'complete', attempt: claimed! }]);
            finishedAt.set(claimed!.id, clock.now());
          }
          // Holes in the ids, as earlier prunes leave them.
          await store.prune(1000 + cutoffOffset / 3, 2);
          const before = new Set((await store.list({ limit: 1000 })).map((j) => j.id));
          const cutoff = 1000 + cutoffOffset;
          let deleted = 0;
          for (let n = 1; n > 0; deleted += n) n = await store.prune(cutoff, limit);
          const after = new Set((await store.list({ limit: 1000 })).map((j) => j.id));
          const expected = [...before].filter((id) => (finishedAt.get(id) ?? Infinity) < cutoff);
          expect(deleted).toBe(expected.length);
          for (const id of expected) expect(after.has(id)).toBe(false);
          expect(after.size).toBe(before.size - expected.length);
          await store.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

function withDirectory(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withDirectoryAsync(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-'));
  try {
    await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("durability 'machine'", () => {
  it('commits enqueues from insert() with synchronous = FULL, everything that only makes a job run again with NORMAL, and manual actions with FULL', async () => {
    await withDirectoryAsync(async (dir) => {
      const db = new Database(join(dir, 'jobs.db'));
      const store = new SqliteStore({ database: db, durability: 'machine' });
      // Triggers record the connection's synchronous level inside each write's transaction.
      db.exec(`CREATE TABLE sync_log (what TEXT NOT NULL, level INTEGER NOT NULL);
        CREATE TRIGGER log_insert AFTER INSERT ON actorkit_jobs BEGIN
          INSERT INTO sync_log VALUES ('insert', (SELECT synchronous FROM pragma_synchronous)); END;
        CREATE TRIGGER log_update AFTER UPDATE OF state ON actorkit_jobs BEGIN
          INSERT INTO sync_log VALUES (new.state, (SELECT synchronous FROM pragma_synchronous)); END;
        CREATE TRIGGER log_register AFTER INSERT ON actorkit_job_nodes BEGIN
          INSERT INTO sync_log VALUES ('register', (SELECT synchronous FROM pragma_synchronous)); END;
        CREATE TRIGGER log_heartbeat AFTER UPDATE ON actorkit_job_nodes BEGIN
          INSERT INTO sync_log VALUES ('heartbeat', (SELECT synchronous FROM pragma_synchronous)); END;`);
      const log = () => db.prepare('SELECT what, level FROM sync_log ORDER BY rowid').raw().all();
      const node = { name: 'n', incarnation: 'n#1' };
      const newJob = { queue: 'q', worker: 'w', args: {} };
      await store.registerNode(node, 10_000);
      await store.enqueue([newJob]);
      store.insert([newJob]);
      const [first, second] = await store.claim({ queue: 'q', node, limit: 2 });
      await store.heartbeat(node, 10_000);
      await store.settle([{ kind: 'complete', attempt: first! }]);
      await store.settleAndClaim([{ kind: 'requeue', attempt: second! }], {
        queue: 'q',
        node,
        limit: 1,
      });
      await store.cancelJob(second!.id);
      expect(log()).toEqual([
        ['register', 2],
        ['insert', 1], // enqueue: durable through the WAL sync it waits for
        ['insert', 2], // insert: synchronous, so synced in its commit
        ['executing', 1],
        ['executing', 1],
        ['heartbeat', 1],
        ['completed', 1],
        ['available', 1],
        ['executing', 1],
        ['cancelled', 2],
      ]);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      await store.close();
      db.close();
    });
  });

  it("leaves an application's transaction to the application: enqueue inside it commits with it, at its level", async () => {
    await withDirectoryAsync(async (dir) => {
      const db = new Database(join(dir, 'jobs.db'));
      const store = new SqliteStore({ database: db, durability: 'machine' });
      db.exec('BEGIN IMMEDIATE');
      const enqueued = store.enqueue([{ queue: 'q', worker: 'w', args: {} }]);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      db.exec('ROLLBACK');
      await enqueued;
      expect(await store.counts()).toEqual([]);
      await store.close();
      db.close();
    });
  });
});
