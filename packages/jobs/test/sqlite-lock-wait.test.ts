import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { LockWait } from '../src/sqlite-lock-wait.js';
import { SqliteStore } from '../src/sqlite-store.js';

let dir = '';
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** Two connections to one new file: `mine` refuses at once when `other` holds the write lock. */
function twoConnections() {
  dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-lock-'));
  const path = join(dir, 'lock.db');
  const other = new Database(path);
  other.pragma('journal_mode = WAL');
  other.exec('CREATE TABLE t (n INTEGER)');
  const mine = new Database(path);
  mine.pragma('busy_timeout = 0');
  const insert = mine.prepare('INSERT INTO t VALUES (1)');
  const immediate = mine.transaction((fn: () => void) => fn()).immediate;
  return { path, other, mine, insert, immediate };
}

describe('LockWait.run()', () => {
  it('runs a call again while another connection holds the write lock, and once it is free, runs it to the end', () => {
    const { other, mine, insert, immediate } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    let attempts = 0;
    new LockWait(5000).run((started) => {
      // The other connection commits while this one waits for its third try.
      if (++attempts === 3) other.exec('COMMIT');
      immediate(() => {
        started();
        insert.run();
      });
    });
    expect(attempts).toBe(3);
    expect(mine.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    other.close();
    mine.close();
  });

  it('throws the busy error once the timeout has passed', () => {
    const { other, mine, insert, immediate } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    let attempts = 0;
    const error = (() => {
      try {
        new LockWait(20).run((started) => {
          attempts++;
          immediate(() => {
            started();
            insert.run();
          });
        });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect((error as { code: string }).code).toBe('SQLITE_BUSY');
    expect(attempts).toBeGreaterThan(1);
    other.exec('ROLLBACK');
    other.close();
    mine.close();
  });

  it('throws at once a busy error from a call that had started, and any other error', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let attempts = 0;
    expect(() =>
      new LockWait(5000).run((started) => {
        attempts++;
        started();
        throw busy;
      }),
    ).toThrow(busy);
    expect(attempts).toBe(1);
    const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' });
    expect(() =>
      new LockWait(5000).run(() => {
        attempts++;
        throw other;
      }),
    ).toThrow(other);
    expect(attempts).toBe(2);
  });
});

describe('LockWait stacks', () => {
  it('keeps the stack of an error thrown once the call has started, and leaves Error.stackTraceLimit as it was', () => {
    const limit = Error.stackTraceLimit;
    const thrown = (() => {
      try {
        new LockWait(5000).run((started) => {
          started();
          throw new Error('in the transaction');
        });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(thrown?.stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new LockWait(5000).run(() => 42)).toBe(42);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('LockWait.retry()', () => {
  it('runs a read again while it is refused with SQLITE_BUSY, and throws other errors at once', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let reads = 0;
    expect(
      new LockWait(5000).retry(() => {
        if (++reads < 3) throw busy;
        return 'read';
      }),
    ).toBe('read');
    expect(reads).toBe(3);
    const broken = new Error('not a database');
    expect(() =>
      new LockWait(5000).retry(() => {
        throw broken;
      }),
    ).toThrow(broken);
  });
});

describe('SqliteStore on a file it opened', () => {
  it("waits for another process's write lock and then writes", async () => {
    dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-lock-'));
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path });
    // Another thread (as another process would) holds the write lock for a moment.
    const holder = new Worker(
      `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const { parentPort } = require('node:worker_threads');
      const db = new Database(${JSON.stringify(path)});
      db.exec('BEGIN IMMEDIATE');
      parentPort.postMessage('locked');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 50);`,
      { eval: true },
    );
    await new Promise((resolve) => holder.once('message', resolve));
    const [enqueued] = await store.enqueue([{ queue: 'q', worker: 'w', args: { n: 1 } }]);
    expect(enqueued!.inserted).toBe(true);
    expect((await store.get(enqueued!.job.id))?.state).toBe('available');
    await holder.terminate();
    await store.close();
  });

  it('rejects with StoreUnavailableError when the lock stays held past busyTimeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-lock-'));
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path, busyTimeout: 30 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const error = await store.enqueue([{ queue: 'q', worker: 'w', args: {} }]).catch((e) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/SQLITE_BUSY/);
    other.exec('ROLLBACK');
    expect(await store.list()).toEqual([]);
    other.close();
    await store.close();
  });
});
