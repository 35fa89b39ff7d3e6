import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalSync } from '../src/sqlite-wal-sync.js';

async function withWal(body: (wal: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-wal-'));
  try {
    const wal = join(dir, 'jobs.db-wal');
    writeFileSync(wal, 'frames');
    await body(wal);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('WalSync#sync()', () => {
  it('starts a sync at once when none runs, and gives every call made while it runs the one sync after it', async () => {
    await withWal(async (path) => {
      const wal = new WalSync(path);
      const first = wal.sync();
      const second = wal.sync();
      const third = wal.sync();
      expect(second).not.toBe(first);
      expect(third).toBe(second);
      const order: string[] = [];
      await Promise.all([
        first.then(() => order.push('first')),
        second.then(() => order.push('second')),
      ]);
      expect(order).toEqual(['first', 'second']);
      // Nothing runs now: the next call starts a sync of its own.
      const fourth = wal.sync();
      expect(fourth).not.toBe(second);
      await fourth;
      await wal.close();
    });
  });

  it('rejects when the WAL cannot be opened, and the next call tries again', async () => {
    await withWal(async (path) => {
      // A WAL "inside" a regular file: ENOTDIR until the file makes way for a folder.
      const folder = `${path}.d`;
      writeFileSync(folder, 'not a folder');
      const wal = new WalSync(join(folder, 'jobs.db-wal'));
      await expect(wal.sync()).rejects.toMatchObject({ code: 'ENOTDIR' });
      rmSync(folder);
      mkdirSync(folder);
      writeFileSync(join(folder, 'jobs.db-wal'), 'frames');
      await expect(wal.sync()).resolves.toBeUndefined();
      await wal.close();
    });
  });

  it('resolves without syncing when there is no WAL file (nothing written to one)', async () => {
    await withWal(async (path) => {
      const wal = new WalSync(`${path}-missing`);
      await expect(wal.sync()).resolves.toBeUndefined();
      await wal.close();
    });
  });

  it('rejects once closed', async () => {
    await withWal(async (path) => {
      const wal = new WalSync(path);
      await wal.sync();
      await wal.close();
      await expect(wal.sync()).rejects.toThrow(/closed/);
    });
  });
});
