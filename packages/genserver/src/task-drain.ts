/**
 * @internal `TaskSupervisor.drain`: graceful shutdown of a task supervisor's work. It stops
 * accepting new tasks, cancels pending retries, gives running tasks up to `timeout` ms
 * to end by themselves, then shuts down the rest as `terminateChild` does.
 */
import { isPid, type Name, type Pid, type Runtime, type Via } from '@actorkit/core';
import type { CallOptions } from './client.js';
import { DynamicSupervisor, type DynamicSupervisorRef } from './dynamic-supervisor.js';
import { ChildError } from './errors.js';
import { assertTimeout } from './task.js';
import { isDraining, startDrain } from './task-retry.js';

/** What `TaskSupervisor.drain` resolves with: the tasks running when it began, by how they ended. */
export interface DrainResult {
  /** Tasks that ended by themselves (done, failed or given up) within the timeout. */
  finished: number;
  /** Retried tasks whose pending retry the drain cancelled: they exited with their last error. */
  cancelled: number;
  /** Tasks still running at the timeout, shut down then (`'shutdown'`, then a kill after their `shutdown` ms). */
  stopped: number;
}

/** @internal Drains `supervisor` (see `TaskSupervisor.drain`). */
export async function drainTasks(
  supervisor: DynamicSupervisorRef,
  timeout: number,
  runtime: Runtime,
  lookup: CallOptions,
): Promise<DrainResult> {
  assertTimeout(timeout);
  const pid = resolveSupervisor(supervisor, runtime);
  const tasks = await childPids(supervisor, lookup);
  const state = pid === undefined ? { cancelled: 0 } : startDrain(runtime, pid);
  const ended = await waitForExits(runtime, tasks, timeout);
  const rest = await childPids(supervisor, lookup);
  await Promise.allSettled(
    rest.map((task) => DynamicSupervisor.terminateChild(supervisor, task, lookup)),
  );
  const cancelled = state.cancelled;
  return { finished: Math.max(0, ended - cancelled), cancelled, stopped: rest.length };
}

/** @internal Rejects a start on a draining supervisor with `ChildError` (`draining`). */
export function assertNotDraining(supervisor: DynamicSupervisorRef, runtime: Runtime): void {
  if (!isDraining(resolveSupervisor(supervisor, runtime))) return;
  throw new ChildError(
    'draining',
    `task supervisor ${String(supervisor)} is draining (TaskSupervisor.drain was called) and starts no new tasks; start them under another TaskSupervisor, or before the drain.`,
  );
}

/** @internal The supervisor's PID, looked up by name where needed; undefined if nobody has the name. */
export function resolveSupervisor(
  supervisor: DynamicSupervisorRef,
  runtime: Runtime,
): Pid<any> | undefined {
  if (isPid(supervisor)) return supervisor;
  try {
    if (typeof supervisor === 'object' && supervisor !== null) {
      const via = supervisor as Via;
      return via.via.whereisName(via.key);
    }
    return runtime.whereis(supervisor as Name);
  } catch {
    return undefined;
  }
}

async function childPids(supervisor: DynamicSupervisorRef, lookup: CallOptions) {
  const children = await DynamicSupervisor.whichChildren(supervisor, lookup);
  return children.flatMap((child) => (isPid(child.pid) ? [child.pid] : []));
}

/** Resolves with how many of `pids` exited before `timeout` ms passed on the runtime's clock. */
function waitForExits(runtime: Runtime, pids: Pid<any>[], timeout: number): Promise<number> {
  return new Promise((resolve) => {
    let ended = 0;
    let done = false;
    const unwatches: (() => boolean)[] = [];
    const finish = () => {
      if (done) return;
      done = true;
      if (timer !== undefined) runtime.cancelTimer(timer, { info: false });
      for (const unwatch of unwatches) unwatch();
      resolve(ended);
    };
    const timer =
      timeout === Number.POSITIVE_INFINITY ? undefined : runtime.callAfter(timeout, finish);
    for (const pid of pids) {
      unwatches.push(
        runtime.watch(pid, () => {
          if (done) return;
          ended++;
          if (ended === pids.length) finish();
        }),
      );
    }
    if (pids.length === 0) finish();
  });
}
