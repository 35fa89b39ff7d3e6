import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import type { NewJob } from '../src/job.js';
import { SqliteStore } from '../src/sqlite-store.js';

const JOB: NewJob = { queue: 'q', worker: 'w', args: {} };

/** Resolves once a timer set now has fired: the event loop ran. */
const timerFired = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Tracks whether `promise` settled yet. */
function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { settled: () => settled, promise: tracked };
}

describe('SqliteStore waiting for another connection', () => {
  let dir: string;
  let path: string;
  let other: Database.Database;
  const stores: SqliteStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-lock-'));
    path = join(dir, 'jobs.db');
    other = new Database(path);
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function open(options: { busyTimeout?: number } = {}): SqliteStore {
    const store = new SqliteStore({ path, ...options });
    stores.push(store);
    return store;
  }

  it('waits for the other connection to release its write lock while timers keep running', async () => {
    const store = open({ busyTimeout: 60_000 });
    other.exec('BEGIN IMMEDIATE');
    const enqueue = track(store.enqueue([JOB]));
    await timerFired();
    await timerFired();
    expect(enqueue.settled()).toBe(false);
    other.exec('COMMIT');
    const [result] = await enqueue.promise;
    expect(result!.inserted).toBe(true);
    expect((await store.list()).map((job) => job.id)).toEqual([result!.job.id]);
  });

  it('waits the same way for a claim and an outcome', async () => {
    const store = open({ busyTimeout: 60_000 });
    const node = { name: 'n', incarnation: 'i1' };
    await store.registerNode(node, 60_000);
    await store.enqueue([JOB]);
    other.exec('BEGIN IMMEDIATE');
    const claim = track(store.claim({ queue: 'q', node, limit: 1 }));
    await timerFired();
    expect(claim.settled()).toBe(false);
    other.exec('COMMIT');
    const [claimed] = await claim.promise;
    other.exec('BEGIN IMMEDIATE');
    const settle = track(
      store.settle([{ kind: 'complete', attempt: { id: claimed!.id, token: claimed!.token } }]),
    );
    await timerFired();
    expect(settle.settled()).toBe(false);
    other.exec('COMMIT');
    expect(await settle.promise).toEqual([{ ok: true }]);
    expect((await store.get(claimed!.id))?.state).toBe('completed');
  });

  it('gives up with StoreUnavailableError after busyTimeout, the event loop running meanwhile', async () => {
    const store = open({ busyTimeout: 20 });
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const error = await store.enqueue([JOB]).catch((e: unknown) => e);
    clearInterval(timer);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(
      /enqueue failed in SqliteStore\(.*jobs\.db\): SQLITE_BUSY/,
    );
    expect(ticks).toBeGreaterThan(0);
    other.exec('ROLLBACK');
    expect(await store.list()).toEqual([]);
  });

  it('keeps insert synchronous: it waits in the busy handler and throws StoreUnavailableError past busyTimeout', () => {
    const store = open({ busyTimeout: 10 });
    other.exec('BEGIN IMMEDIATE');
    expect(() => store.insert([JOB])).toThrow(StoreUnavailableError);
    other.exec('ROLLBACK');
    expect(store.insert([JOB])[0]!.inserted).toBe(true);
  });

  it("leaves an application's connection with its busy_timeout after a wait", async () => {
    const db = new Database(path);
    const store = new SqliteStore({ database: db, busyTimeout: 60_000 });
    other.exec('BEGIN IMMEDIATE');
    const enqueue = store.enqueue([JOB]);
    await timerFired();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(60_000);
    other.exec('COMMIT');
    await enqueue;
    expect(db.pragma('busy_timeout', { simple: true })).toBe(60_000);
    await store.close();
    db.close();
  });
});
