import type { Pid, Runtime } from '@actorkit/core';

/**
 * Below this many processes a walk starts from `runtime.processes()`, one copy of the
 * process table (about 1 ms per 10,000 processes); above it, the copy would block the
 * event loop (80 ms at a million), so the walk goes without one.
 */
export const SNAPSHOT_MAX = 10_000;

/**
 * Walks the live processes of a runtime a few at a time, so that a walk over a million
 * of them never holds the event loop: `cursor()` gives the PIDs one by one.
 *
 * Core lists processes only as one array (`runtime.processes()`), too costly to build
 * at once when there are many. So a walk over many processes goes through two lists it
 * can read piece by piece: the processes found alive by the last complete walk (their
 * PIDs are kept), then the PIDs spawned since (`parsePid` of each id from the last walk's
 * end to `stats.spawned`). This relies on core numbering processes 1, 2, 3… in spawn
 * order, as `#PID<node.id.0>` shows; `test/process-walk.test.ts` pins it. A process
 * spawned during a walk may or may not be seen by it; one that exits is skipped.
 */
export class ProcessWalk {
  /** The processes alive when the last committed walk reached them. */
  private known: Pid<any>[] = [];
  /** The highest process id the last committed walk covered. */
  private coveredTo = 0;

  /** `snapshotMax`: the most processes a walk copies the process table for. */
  constructor(
    private readonly runtime: Runtime,
    private readonly snapshotMax = SNAPSHOT_MAX,
  ) {}

  /**
   * A cursor over the live processes: each call gives the next PID, or undefined at the
   * end. Reaching the end records what it found, so the next walks start from it.
   */
  cursor(): () => Pid<any> | undefined {
    const runtime = this.runtime;
    if (runtime.processCount <= this.snapshotMax) return this.snapshotCursor();
    const known = this.known;
    const from = this.coveredTo;
    const to = runtime.stats.spawned;
    const found: Pid<any>[] = [];
    let i = 0;
    let id = from;
    return () => {
      while (i < known.length) {
        const pid = known[i++]!;
        if (runtime.isAlive(pid)) {
          found.push(pid);
          return pid;
        }
      }
      while (id < to) {
        id++;
        const pid = runtime.parsePid(`<${runtime.node}.${id}.0>`);
        if (runtime.isAlive(pid)) {
          found.push(pid);
          return pid;
        }
      }
      this.record(found, to);
      return undefined;
    };
  }

  private snapshotCursor(): () => Pid<any> | undefined {
    const runtime = this.runtime;
    const spawned = runtime.stats.spawned;
    const pids = runtime.processes();
    let i = 0;
    return () => {
      while (i < pids.length) {
        const pid = pids[i++]!;
        if (runtime.isAlive(pid)) return pid;
      }
      this.record(pids, spawned);
      return undefined;
    };
  }

  /** Keeps what a finished walk found, unless a walk that started later got there first. */
  private record(found: Pid<any>[], coveredTo: number): void {
    if (coveredTo < this.coveredTo) return;
    this.known = found;
    this.coveredTo = coveredTo;
  }

  /** Forgets what the walks found (the observer went to sleep). */
  reset(): void {
    this.known = [];
    this.coveredTo = 0;
  }
}
