/**
 * The run behind `pnpm demo:rabbitmq`: the account setup's API and outbox relay in this
 * process, two worker processes (`worker-main.ts`) consuming the setup queue of a
 * RabbitMQ broker, users signed up through the API first (their jobs wait in the broker,
 * confirmed, until the workers start), one worker SIGKILLed by its PID while steps are
 * in flight, and a count, from the database and the CRM, of what became
 * of every user.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Runtime } from '@actorkit/core';
import { startUsersApi } from '../account-setup/api.js';
import type { User } from '../db/repo.js';
import { plural, type Signup, signUpAll } from '../demo-signups.js';
import { bar, type Progress } from '../progress.js';
import type { RunningCrm } from '../services/crm.js';
import type { RunningService } from '../services/http-service.js';
import { RabbitAccountSetup } from './application.js';
import { WorkerProcess, type WorkerProcessOptions } from './worker-process.js';
import { SETUP_QUEUE } from './workers.js';

/** What the run ends with, for the demo's summary. */
export interface RabbitSummary {
  total: number;
  setUp: string[];
  /** Steps that gave up, with the reason the worker recorded. */
  discarded: { name: string; step: string; reason: string }[];
  /** Users neither set up nor with their missing steps recorded as given up: must stay empty. */
  lost: string[];
  /** Jobs the relay published (each confirmed by the broker), and rows left in the outbox. */
  relay: { published: number; pending: number; failures: number };
  /**
   * What the broker counts of the setup queue once every user is settled: its dead-letter
   * queue (`<prefix>.account-setup.dead`, the discarded jobs with every attempt's error in
   * their headers) and the jobs ready, delivered to nobody.
   */
  broker: { deadLetterQueue: string; dead: number; ready: number };
  workers: number[];
  /** The worker killed, the jobs it had in flight, and which of those another worker ran again. */
  kill: { pid: number; inFlight: number; redelivered: number; by: number[] } | undefined;
  /** Attempts that failed and were retried, over every worker. */
  retries: number;
  /** CRM contacts, users with a CRM id, and contacts sharing an email (duplicates). */
  crm: { contacts: number; users: number; duplicates: number };
}

/** Options for {@link runRabbitSetup}. */
export interface RabbitRunOptions {
  runtime: Runtime;
  progress: Progress;
  /** The broker. */
  url: string;
  /** The application's SQLite file; deleted first. */
  path: string;
  crm: RunningCrm;
  fulfillment: RunningService;
  signups: readonly Signup[];
  /** Steps each worker runs at once (its prefetch). @default 4 */
  concurrency?: number;
  /** Ms to wait for every user to be set up or given up on. @default 40000 */
  timeout?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the account setup on RabbitMQ as described in the module doc and resolves with
 * its summary; every process it started is stopped, and the broker's queues it used
 * (named `actorkit-demo.<run>.…`) are left empty but for the dead letters.
 */
export async function runRabbitSetup(options: RabbitRunOptions): Promise<RabbitSummary> {
  const { runtime, progress, url, path, crm, fulfillment, signups } = options;
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  // A prefix of its own per run: a broker you gave may hold an earlier run's queues.
  const prefix = `actorkit-demo.${randomUUID().slice(0, 8)}`;
  const app = await RabbitAccountSetup.start({ runtime, path, url, prefix });
  const api = await startUsersApi(app.handlers());
  const workers: WorkerProcess[] = [];
  try {
    progress.log(
      `  users API ${api.url} (this process, SQLite ${path}); queues ${prefix}.* on the broker`,
    );
    // The users sign up before any worker runs: their jobs wait in the broker, confirmed,
    // and each worker starts with a full prefetch, so the kill finds steps in flight.
    const bundling = WorkerProcess.prepare();
    await signUpAll(api.url, signups, progress, 'the user and its 2 outbox rows, one transaction');
    await waitForOutbox(app, options.timeout ?? 40_000);
    const { published } = await app.relayStats();
    progress.log(
      `  ${published} setup jobs confirmed by the broker, waiting in its queue; no worker yet`,
    );
    await bundling;
    const common = { url, prefix, path, crmUrl: crm.url, fulfillmentUrl: fulfillment.url };
    workers.push(...(await startWorkers(common, options.concurrency ?? 4, progress)));
    const kill = await killOneMidRun(app, workers, progress, options.timeout ?? 40_000);
    const [victim, survivor] = kill.order;
    const broker = await brokerCounts(app, app.repo.listSetupFailures().length);
    await survivor.stop();
    const relay = await app.relayStats();
    // What the other worker started after the kill: the broker's redeliveries among them.
    const redone = new Set(
      survivor.lines
        .slice(kill.survivorMark)
        .flatMap((l) => (l.event === 'job' && l.type === 'start' ? [l.jobId!] : [])),
    );
    const summary = summarize(app, crm, { relay, broker }, workers, {
      pid: victim.pid,
      inFlight: kill.inFlight.length,
      redelivered: kill.inFlight.filter((id) => redone.has(id)).length,
      by: [survivor.pid],
    });
    for (const d of summary.discarded) {
      progress.log(`  gave up: ${d.name} / ${d.step}: ${d.reason.slice(0, 110)}`);
    }
    return summary;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await api.close();
    await app.stop();
  }
}

/** Starts the two worker processes, in parallel, and logs their PIDs. */
async function startWorkers(
  common: Omit<WorkerProcessOptions, 'node' | 'concurrency'>,
  concurrency: number,
  progress: Progress,
): Promise<WorkerProcess[]> {
  const started = performance.now();
  const workers = await Promise.all(
    ['worker-1', 'worker-2'].map((node) => WorkerProcess.start({ ...common, node, concurrency })),
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  progress.log(
    `  2 worker processes, PIDs ${workers.map((w) => w.pid).join(' and ')}, ${concurrency} steps at once each, started in ${seconds} s`,
  );
  return workers;
}

/** Waits until the relay has published every outbox row (rejects after `timeout` ms). */
async function waitForOutbox(app: RabbitAccountSetup, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (app.outbox.count() > 0) {
    if (Date.now() > deadline) {
      const { lastError } = await app.relayStats();
      throw new Error(
        `The outbox was not published within ${timeout} ms: ${lastError ?? 'no error'}.`,
      );
    }
    await sleep(50);
  }
}

/**
 * Waits until every user is settled, SIGKILLing one worker by its PID on the way, once it
 * has completed a few steps and has others in flight. Resolves with the killed worker
 * first, then the other, and the jobs the killed one had in flight.
 */
async function killOneMidRun(
  app: RabbitAccountSetup,
  workers: WorkerProcess[],
  progress: Progress,
  timeout: number,
): Promise<{ order: [WorkerProcess, WorkerProcess]; inFlight: string[]; survivorMark: number }> {
  const deadline = Date.now() + timeout;
  let killed: { victim: WorkerProcess; inFlight: string[]; survivorMark: number } | undefined;
  for (;;) {
    const state = settled(app);
    progress.update(statusLine(app, state, workers, killed !== undefined));
    if (killed === undefined) {
      const victim = workers.find(
        (w) => w.jobReports('stop').length >= 3 && w.inFlight().length >= 2,
      );
      if (victim !== undefined) {
        const survivorMark = workers.find((w) => w !== victim)!.lines.length;
        await victim.kill();
        // Every line it printed is read by now: what it had started and not finished.
        killed = { victim, inFlight: victim.inFlight(), survivorMark };
        progress.log(
          `  ✗ kill -9 ${victim.pid} (SIGKILL by PID) with ${plural(killed.inFlight.length, 'step')} in flight, ${victim.jobReports('stop').length} completed`,
        );
      }
    }
    const quiet = state.open === 0 && app.outbox.count() === 0;
    if (killed !== undefined && quiet) break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  progress.done(statusLine(app, settled(app), workers, killed !== undefined));
  if (killed === undefined) throw new Error('No worker had steps in flight to kill.');
  const survivor = workers.find((w) => w !== killed.victim)!;
  return { order: [killed.victim, survivor], ...killed };
}

/**
 * The setup queue's counts as the broker gives them (`RabbitMqStore.counts`), once its
 * dead-letter queue holds at least `given` jobs: a step's `setup_failures` row is written
 * before its job is dead-lettered, so the broker may be a moment behind.
 */
async function brokerCounts(
  app: RabbitAccountSetup,
  given: number,
): Promise<RabbitSummary['broker']> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [counts] = await app.store.counts([SETUP_QUEUE]);
    const dead = counts?.counts.discarded ?? 0;
    if (dead >= given || Date.now() > deadline) {
      const deadLetterQueue = `${app.prefix}.${SETUP_QUEUE}.dead`;
      return { deadLetterQueue, dead, ready: counts?.ready ?? 0 };
    }
    await sleep(50);
  }
}

/** Users set up, and steps neither done nor recorded as given up. */
function settled(app: RabbitAccountSetup): { users: User[]; setUp: number; open: number } {
  const users = app.repo.listUsers();
  const failed = new Set(app.repo.listSetupFailures().map((f) => `${f.userId}/${f.step}`));
  let open = 0;
  for (const u of users) {
    if (u.crmId === null && !failed.has(`${u.id}/crm`)) open++;
    if (u.fulfillmentCenterId === null && !failed.has(`${u.id}/fulfillment`)) open++;
  }
  const setUp = users.filter((u) => u.crmId !== null && u.fulfillmentCenterId !== null).length;
  return { users, setUp, open };
}

function statusLine(
  app: RabbitAccountSetup,
  state: ReturnType<typeof settled>,
  workers: WorkerProcess[],
  killed: boolean,
): string {
  const steps = state.users.length * 2;
  const done = workers.map((w) => w.jobReports('stop').length).join(' + ');
  return `  steps ${bar(steps - state.open, steps)}  users set up ${state.setUp}/${state.users.length}, in the outbox ${app.outbox.count()}, completed per worker ${done}; kills ${killed ? 1 : 0}`;
}

function summarize(
  app: RabbitAccountSetup,
  crm: RunningCrm,
  { relay, broker }: Pick<RabbitSummary, 'relay' | 'broker'>,
  workers: WorkerProcess[],
  kill: RabbitSummary['kill'],
): RabbitSummary {
  const { users } = settled(app);
  const byId = new Map(users.map((u) => [u.id, u]));
  const setUp = users.filter((u) => u.crmId !== null && u.fulfillmentCenterId !== null);
  // A step recorded as given up that ran again after a kill and succeeded is done.
  const discarded = app.repo
    .listSetupFailures()
    .filter(
      (f) =>
        (f.step === 'crm' ? byId.get(f.userId)?.crmId : byId.get(f.userId)?.fulfillmentCenterId) ==
        null,
    );
  const unsettled = new Set(
    users
      .filter(
        (u) =>
          (u.crmId === null && !discarded.some((f) => f.userId === u.id && f.step === 'crm')) ||
          (u.fulfillmentCenterId === null &&
            !discarded.some((f) => f.userId === u.id && f.step === 'fulfillment')),
      )
      .map((u) => u.name),
  );
  const emails = new Set([...crm.contacts.values()].map((c) => c.email));
  return {
    total: users.length,
    setUp: setUp.map((u) => u.name),
    discarded: discarded.map((f) => ({
      name: byId.get(f.userId)?.name ?? `user ${f.userId}`,
      step: f.step,
      reason: f.reason,
    })),
    lost: [...unsettled],
    relay: { published: relay.published, pending: relay.pending, failures: relay.failures },
    broker,
    workers: workers.map((w) => w.pid),
    kill,
    retries: workers.reduce(
      (n, w) => n + w.jobReports('exception').filter((r) => r.decision === 'retry').length,
      0,
    ),
    crm: {
      contacts: crm.contacts.size,
      users: users.filter((u) => u.crmId !== null).length,
      duplicates: crm.contacts.size - emails.size,
    },
  };
}
