import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

storeContract('SqliteStore in memory', (clock) => {
  const store = new SqliteStore({ path: ':memory:', clock });
  return { store, reopen: () => store, close: () => store.close() };
});
