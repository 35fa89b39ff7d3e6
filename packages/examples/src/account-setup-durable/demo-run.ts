/**
 * The durable half of `pnpm demo`'s account setup: the application in a child process
 * (`main.ts`), users signed up through its API, the process SIGKILLed by its PID
 * mid-setup and restarted, and a count, from the database and the CRM, of what became
 * of every user.
 */
import { rmSync } from 'node:fs';
import { SqliteStore } from '@actorkit/jobs';
import { Repo } from '../db/repo.js';
import { plural, type Signup, signUpAll } from '../demo-signups.js';
import { bar, type Progress } from '../progress.js';
import type { RunningCrm } from '../services/crm.js';
import type { RunningService } from '../services/http-service.js';
import { AppProcess } from './app-process.js';
import { readSetupStatus, type SetupStatus } from './setup-status.js';
import { SETUP_QUEUE, type SetupArgs } from './workers.js';

/** What the durable run ends with, for the demo's summary. */
export interface DurableSummary {
  total: number;
  setUp: string[];
  /** Discarded steps: who, which, after how many attempts, the last error. */
  discarded: { name: string; step: string; attempts: number; killed: number; error: string }[];
  /** Users with a step still to run (the demo's wait ran out): the next start runs them. */
  pending: string[];
  /** Users neither set up, nor with a discarded step, nor with a step to run: must stay empty. */
  lost: string[];
  kills: number;
  /** Jobs a restarted process took back from its killed predecessor. */
  rescued: number;
  /** Attempts beyond each job's first (kills included). */
  retries: number;
  /** CRM contacts, users with a CRM id, and contacts sharing an email (duplicates). */
  crm: { contacts: number; users: number; duplicates: number };
}

/** Options for {@link runDurableSetup}. */
export interface DurableRunOptions {
  progress: Progress;
  /** The application's SQLite file; deleted first. */
  path: string;
  crm: RunningCrm;
  fulfillment: RunningService;
  signups: readonly Signup[];
  /** SIGKILLs mid-setup, each followed by a restart. @default 2 */
  kills?: number;
  /** The observer's port in the application process. @default 0 */
  observerPort?: number;
  /** Ms to wait for every job to settle. @default 40000 */
  timeout?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the durable account setup as described in the module doc and resolves with the
 * summary and the application process, still running (the caller stops it, or keeps it
 * for `--live`).
 */
export async function runDurableSetup(
  options: DurableRunOptions,
): Promise<{ summary: DurableSummary; app: AppProcess }> {
  const { progress, path, crm, fulfillment, signups } = options;
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const start = () =>
    AppProcess.start({
      path,
      crmUrl: crm.url,
      fulfillmentUrl: fulfillment.url,
      observerPort: options.observerPort ?? 0,
    });
  let app = await start();
  progress.log(`  application process PID ${app.pid}: users API ${app.api}, SQLite ${path}`);
  progress.log(`  its observer, with the Jobs view: ${app.ready.dashboard}`);
  const store = new SqliteStore({ path });
  const repo = Repo.open(path);
  try {
    await signUpAll(app.api, signups, progress, 'the user and its 2 setup jobs, one transaction');
    let kills = 0;
    let rescued = 0;
    const wanted = options.kills ?? 2;
    const total = signups.length * 2;
    const deadline = Date.now() + (options.timeout ?? 40_000);
    let status = await readSetupStatus(store, repo);
    while (status.pending > 0 && Date.now() < deadline) {
      progress.update(statusLine(status, total, kills));
      // Mid-setup: this process has completed steps (a few before the first kill, one
      // after a restart, whose work may be only what it took back) and has others in flight.
      const running = app.stepsInFlight();
      const done = app.jobReports('stop').length;
      if (kills < wanted && done >= (kills === 0 ? 3 : 1) && running > 0) {
        progress.log(
          `  ✗ kill -9 ${app.pid} (SIGKILL by PID) with ${plural(running, 'step')} in flight, ${status.jobs.completed}/${total} done`,
        );
        await app.kill();
        kills++;
        const began = performance.now();
        app = await start();
        const back = app.jobReports('rescue').flatMap((r) => r.jobIds ?? []).length;
        rescued += back;
        progress.log(
          `  restarted as PID ${app.pid} in ${((performance.now() - began) / 1000).toFixed(1)} s: it took back ${back === 1 ? 'the job' : `the ${back} jobs`} its predecessor was running, at once`,
        );
      }
      await sleep(100);
      status = await readSetupStatus(store, repo);
    }
    progress.done(statusLine(status, total, kills));
    const summary = await summarize(store, repo, crm, status, { kills, rescued });
    for (const d of summary.discarded) {
      const killed = d.killed === 0 ? '' : `, ${d.killed} of them ended by a kill`;
      progress.log(
        `  discarded: ${d.name} / ${d.step} after ${d.attempts} attempt(s)${killed}: ${d.error.slice(0, 100)}`,
      );
    }
    return { summary, app };
  } catch (error) {
    await app.stop();
    throw error;
  } finally {
    await store.close();
    repo.close();
  }
}

function statusLine(status: SetupStatus, total: number, kills: number): string {
  const { completed, executing, retryable, discarded } = status.jobs;
  const settled = completed + discarded;
  return `  jobs ${bar(settled, total)}  completed ${completed}, running ${executing}, waiting to retry ${retryable}, discarded ${discarded}; kills ${kills}`;
}

async function summarize(
  store: SqliteStore,
  repo: Repo,
  crm: RunningCrm,
  status: SetupStatus,
  counts: { kills: number; rescued: number },
): Promise<DurableSummary> {
  const users = repo.listUsers();
  const jobs = await store.list({ queue: SETUP_QUEUE, limit: 1000 });
  const failed = new Set(status.discarded.map((d) => d.userId));
  const waiting = new Set(
    jobs
      .filter((j) => ['scheduled', 'available', 'executing', 'retryable'].includes(j.state))
      .map((j) => (j.args as SetupArgs).userId),
  );
  const setUp = users.filter((u) => u.crmId !== null && u.fulfillmentCenterId !== null);
  const emails = new Set([...crm.contacts.values()].map((c) => c.email));
  return {
    total: users.length,
    setUp: setUp.map((u) => u.name),
    discarded: status.discarded.map((d) => ({
      name: d.name ?? `user ${d.userId}`,
      step: d.step,
      attempts: d.attempts,
      killed: d.errors.filter((e) => e.kind === 'rescued').length,
      error: d.errors.at(-1)?.message ?? '',
    })),
    pending: users.filter((u) => !setUp.includes(u) && waiting.has(u.id)).map((u) => u.name),
    lost: users
      .filter((u) => !setUp.includes(u) && !failed.has(u.id) && !waiting.has(u.id))
      .map((u) => u.name),
    ...counts,
    retries: jobs.reduce((n, j) => n + Math.max(0, j.attempt - 1), 0),
    crm: {
      contacts: crm.contacts.size,
      users: users.filter((u) => u.crmId !== null).length,
      duplicates: crm.contacts.size - emails.size,
    },
  };
}
