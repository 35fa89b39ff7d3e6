/** @internal Group commit for `SqliteStore` at durability 'machine': one fsync of the WAL for many commits. */
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * @internal Makes commits written to a database's write-ahead log with `synchronous =
 * NORMAL` durable, off the event loop: `sync()` resolves once an fdatasync of the WAL file
 * that began after the call has finished (the same sync `synchronous = FULL` does at each
 * commit, inside it). Calls made while a sync runs share the next one, so at 1,000 commits
 * a second and ~4 ms an fsync, a sync covers a few commits rather than each commit waiting
 * ~4 ms on the event-loop thread in turn.
 *
 * The first sync also syncs the WAL's folder (SQLite does so for a WAL it created); with
 * no WAL file there is nothing to sync. A failed sync rejects every call waiting for it;
 * the next call tries again.
 *
 * @example
 * const wal = new WalSync('data/jobs.db-wal');
 * db.pragma('synchronous = NORMAL');
 * insert.run(row);
 * await wal.sync(); // the row survives power loss from here on
 */
export class WalSync {
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private waiting: Promise<void> | undefined;
  private closed = false;

  /** @param wal The WAL file: the database's path with `-wal` appended. */
  constructor(private readonly wal: string) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (this.waiting !== undefined) return this.waiting;
    const running = this.running;
    if (running === undefined) return this.start();
    // The running sync may have begun before the caller's write: wait for it, then sync again.
    const next = (): Promise<void> => {
      this.waiting = undefined;
      return this.start();
    };
    const waiting = running.then(next, next);
    this.waiting = waiting;
    return waiting;
  }

  /** Closes the WAL's file handle once no sync runs; later syncs reject. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.waiting]);
    await this.handle?.close();
    this.handle = undefined;
  }

  private start(): Promise<void> {
    const run = this.flush().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async flush(): Promise<void> {
    if (this.closed) throw new Error(`the store was closed before ${this.wal} was synced`);
    if (this.handle === undefined) {
      let handle: FileHandle;
      try {
        handle = await open(this.wal, 'r');
      } catch (error) {
        // No WAL: nothing was written to one since the database was last checkpointed and closed.
        if ((error as { code?: unknown }).code === 'ENOENT') return;
        throw error;
      }
      await syncFolder(dirname(this.wal));
      this.handle = handle;
    }
    await this.handle.datasync();
  }
}

/** Syncs a folder's entries (a new file's name); a no-op where folders cannot be opened (Windows). */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(folder, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}
