import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueue } from '../src/enqueue.js';
import { StoreUnavailableError } from '../src/errors.js';
import { Queue } from '../src/queue.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { defineWorker } from '../src/worker.js';
import { deferred, nextReport, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

let dir = '';
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('a store that becomes unavailable', () => {
  it('keeps the outcome while another process holds the database, and records it once it is free', async () => {
    const { runtime, clock } = virtualRuntime();
    dir = mkdtempSync(join(tmpdir(), 'actorkit-jobs-busy-'));
    const path = join(dir, 'jobs.db');
    const store = new SqliteStore({ path, clock, busyTimeout: 0 });
    const gate = deferred();
    const Gated = defineWorker({ name: 'gated', perform: () => gate.promise });
    await Queue.start({ store, runtime, workers: [Gated], node: 'n', pollInterval: 1000 });
    const started = nextReport(runtime, (r) => r.event === 'start');
    const { job } = await enqueue(store, Gated, {});
    await started;

    // Another process takes the write lock: the queue's next write cannot happen.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const refused = nextReport(runtime, (r) => r.event === 'store_error');
    gate.resolve();
    expect((await refused).error).toBeInstanceOf(StoreUnavailableError);
    expect((await store.get(job.id))!.state).toBe('executing');

    other.exec('ROLLBACK');
    other.close();
    const stopped = nextReport(runtime, (r) => r.event === 'stop');
    await clock.advance(1000);
    expect((await stopped).jobId).toBe(job.id);
    expect((await store.get(job.id))!.state).toBe('completed');
    await store.close();
  });
});
