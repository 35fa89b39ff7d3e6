/**
 * The two-process workload: two child OS processes (`node-child.ts`) drain one database,
 * `@actorkit/jobs` queue nodes or the minimal queue's drain loops, while the parent enqueues
 * the jobs and watches for the last completion. Used by `jobs.bench.ts` and, alone, by
 * `two-process-throughput.ts` (with each process's CPU time, for profiling).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { defineWorker, job, SqliteStore } from '@actorkit/jobs';
import Database from 'better-sqlite3';
import { perSecond } from '../../core/bench/measure.js';
import { bundleForNode } from '../test/bundle.js';
import { MinimalQueue } from './minimal-queue.js';

export type Durability = 'process' | 'machine';

/**
 * The shape of a run: how many jobs, enqueued in batches of `batch`, `concurrency` per
 * child; first `warmup` jobs run through the same children untimed, so that the timed jobs
 * meet warm processes, as in the one-process rows (whose process runs the workload once
 * before it is timed) and in a queue that has been running a while. 0 times cold children,
 * whose first thousands of jobs run before V8 has optimised the code they take.
 */
export interface TwoProcessShape {
  jobs: number;
  batch: number;
  concurrency: number;
  warmup: number;
}

/** A run's jobs/s and the CPU time (µs, user + system) per job of the parent and of the two children together. */
export interface TwoProcessResult {
  rate: number;
  parentCpuPerJob: number;
  childrenCpuPerJob: number;
}

const childScript = fileURLToPath(
  new URL('../node_modules/.cache/jobs-bench/node-child.mjs', import.meta.url),
);

/** Bundles the child (`node-child.ts`) into plain JavaScript: call once before `twoProcesses`. */
export async function bundleChild(): Promise<void> {
  await bundleForNode(fileURLToPath(new URL('./node-child.ts', import.meta.url)), childScript);
}

/** CPU time (µs, user + system) a live process has used so far, from /proc; 0 where there is none. */
function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return 0;
  }
}

/** Starts a child node; `ready` resolves once it runs; `kill` ends it (SIGTERM: it exits at once, writing a profile if asked). */
function startChild(env: Record<string, string>) {
  // CHILD_NODE_ARGS: node options for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
  const nodeArgs = process.env.CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve) =>
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if ((JSON.parse(line) as { event: string }).event === 'ready') resolve();
    }),
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { ready, exited, cpu: () => cpuOf(child.pid), kill: () => child.kill('SIGTERM') };
}

/**
 * Jobs/s with two OS processes draining one database (`concurrency` each) in `dir`: once
 * both are ready and have run the `warmup` jobs, the parent enqueues the jobs, and the time
 * runs until it sees every one of them completed (it looks every 10 ms, the same for both
 * systems, from the first job it has not yet seen completed: see `watchCompletions`).
 */
export async function twoProcesses(
  system: 'actorkit' | 'minimal',
  durability: Durability,
  dir: string,
  { jobs, batch, concurrency, warmup }: TwoProcessShape,
): Promise<TwoProcessResult> {
  const path = join(dir, 'jobs.db');
  let enqueue: (from: number) => Promise<unknown> | void;
  let close: () => Promise<void> | void;
  let table: string;
  if (system === 'actorkit') {
    const store = new SqliteStore({ path, durability });
    const Noop = defineWorker({ name: 'noop', perform: () => undefined });
    enqueue = (from) =>
      store.enqueue(Array.from({ length: batch }, (_, n) => job(Noop, { n: from + n })));
    close = () => store.close();
    table = 'actorkit_jobs';
  } else {
    const queue = new MinimalQueue(
      path,
      durability === 'machine' ? 'FULL' : 'NORMAL',
      true,
      concurrency,
    );
    enqueue = (from) => queue.enqueue(Array.from({ length: batch }, (_, n) => ({ n: from + n })));
    close = () => queue.close();
    table = 'jobs';
  }
  const watcher = new Database(path, { readonly: true });
  const allCompleted = watchCompletions(watcher, table);
  const env = {
    DB: path,
    SYSTEM: system,
    DURABILITY: durability,
    CONCURRENCY: String(concurrency),
  };
  const children = ['a', 'b'].map((name) => startChild({ ...env, NODE_NAME: name }));
  await Promise.all(children.map((c) => c.ready));
  for (let i = 0; i < warmup; i += batch) await enqueue(-warmup + i);
  while (!allCompleted()) await sleep(10);
  const childrenCpu = children.reduce((sum, c) => sum + c.cpu(), 0);
  const parentCpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < jobs; i += batch) await enqueue(i);
  while (!allCompleted()) await sleep(10);
  const rate = perSecond(jobs, started);
  const parent = process.cpuUsage(parentCpu);
  const childrenUsed = children.reduce((sum, c) => sum + c.cpu(), 0) - childrenCpu;
  for (const child of children) child.kill();
  await Promise.all(children.map((c) => c.exited));
  watcher.close();
  await close();
  return {
    rate,
    parentCpuPerJob: (parent.user + parent.system) / jobs,
    childrenCpuPerJob: childrenUsed / jobs,
  };
}

/**
 * A check that every job in `table` is completed, for a watcher polling while two children
 * drain it: each call reads from the first job it has not yet seen completed (ids grow with
 * insertion and jobs complete roughly in id order), so a poll reads the pages completed
 * since the last one. It used to count the completed jobs over the whole timed range at each
 * poll: a scan of the table every 10 ms from a connection whose page cache every commit of
 * the children empties, which cost the parent 4–6 µs of CPU a job with the jobs store's rows
 * and 2.7–3.0 µs with the minimal queue's smaller ones, taken from the two cores the children
 * share (2.4–3.0 and 1.9–2.1 µs with this check). Call it once all jobs are enqueued.
 */
function watchCompletions(watcher: Database.Database, table: string): () => boolean {
  const firstPending = watcher
    .prepare(`SELECT id FROM ${table} WHERE id > ? AND state != 'completed' ORDER BY id LIMIT 1`)
    .pluck(true);
  let completedUpTo = 0;
  return () => {
    const pending = firstPending.get(completedUpTo) as number | undefined;
    if (pending === undefined) return true;
    completedUpTo = pending - 1;
    return false;
  };
}
