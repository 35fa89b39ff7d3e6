/**
 * `pnpm demo`: the article's three scenarios end to end against real local services,
 * with live progress and a final summary. Account setup runs twice: in memory (the
 * article's TaskSupervisor, losing work when its restart intensity is exceeded), then
 * durably on @actorkit/jobs in a child process that the demo kills with SIGKILL
 * mid-setup and restarts. Exits by itself: every server, process, database and runtime
 * is closed at the end.
 *
 * `pnpm demo --live` (`pnpm demo:live`) runs the same, then keeps the services, the
 * durable application and the observers running until Ctrl-C, signing up a visitor
 * every few seconds so the observer's Jobs view has something to show.
 *
 * Ports: `OBSERVER_PORT` (this process's observer) and `JOBS_OBSERVER_PORT` (the durable
 * application's); a free one each by default.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@actorkit/core';
import { startObserver } from '@actorkit/observer';
import { startUsersApi } from './account-setup/api.js';
import { AccountSetup } from './account-setup/application.js';
import type { AppProcess } from './account-setup-durable/app-process.js';
import { type DurableSummary, runDurableSetup } from './account-setup-durable/demo-run.js';
import type { BalanceFetcher } from './crypto-sync/account-sync.js';
import { CryptoSync, httpBalanceFetcher } from './crypto-sync/app.js';
import { Repo } from './db/repo.js';
import { plural, signups } from './demo-signups.js';
import { bar, Progress } from './progress.js';
import { startBalanceService } from './services/balance-service.js';
import { type RunningCrm, startCrm } from './services/crm.js';
import { startFulfillment } from './services/fulfillment.js';
import type { RunningService } from './services/http-service.js';
import { startMailSink } from './services/mail-sink.js';
import { createMailer } from './welcome-email/mailer.js';
import { logLostEmails, UserService } from './welcome-email/user-service.js';

const progress = new Progress();
const live = process.argv.includes('--live');
const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Summary {
  setUp: {
    total: number;
    completed: string[];
    incomplete: string[];
    retries: number;
    restarts: number;
    failures: number;
    slowestAnswerMs: number;
  };
  durable: DurableSummary;
  sync: {
    users: number;
    ticks: number;
    failures: number;
    naiveDrift: number;
    driftFreeDrift: number;
    peak: number;
    max: number;
  };
  email: { created: number; rejected: number; delivered: number; lost: number };
}

async function accountSetup(
  runtime: Runtime,
  repo: Repo,
  urls: { crm: string; fulfillment: string },
): Promise<Summary['setUp']> {
  progress.log('\n── 1. Deferring work: account setup (TaskSupervisor, restart: transient) ──');
  const setup = await AccountSetup.start({
    runtime,
    repo,
    crmUrl: urls.crm,
    fulfillmentUrl: urls.fulfillment,
  });
  const api = await startUsersApi(setup.handlers());
  let supervisor = setup.taskSupervisor();
  let slowest = 0;
  const names = new Map<number, string>();
  for (const [name, address] of signups) {
    const started = performance.now();
    const response = await fetch(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${name}@example.com`, name, address }),
    });
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    const user = (await response.json()) as { id: number };
    names.set(user.id, name);
    progress.log(
      `  POST /users ${name.padEnd(9)} → ${response.status} in ${ms.toFixed(0)} ms (setup continues in the background)`,
    );
    await sleep(40);
  }
  const deadline = Date.now() + 20_000;
  let report = await setup.report();
  for (;;) {
    report = await setup.report();
    const now = setup.taskSupervisor();
    if (now !== undefined && supervisor !== undefined && now !== supervisor) {
      progress.log(
        `  ! AccountSetupSupervisor ${supervisor} exceeded 3 restarts in 5 s and went down; the Application restarted it as ${now}`,
      );
    }
    if (now !== undefined) supervisor = now;
    const settled = report.completed.length + report.incomplete.length;
    progress.update(
      `  setup ${bar(settled, signups.length)}  completed ${report.completed.length}, incomplete ${report.incomplete.length}, retries ${report.retries}`,
    );
    if (settled === signups.length || Date.now() > deadline) break;
    await sleep(100);
  }
  progress.done();
  const failures = repo.listSetupFailures();
  for (const f of failures)
    progress.log(`  setup_failures: ${names.get(f.userId)} / ${f.step}: ${f.reason.slice(0, 110)}`);
  await api.close();
  await setup.stop();
  return {
    total: signups.length,
    completed: report.completed.map((id) => names.get(id)!),
    incomplete: report.incomplete.map((id) => names.get(id)!),
    retries: report.retries,
    restarts: report.supervisorRestarts,
    failures: failures.length,
    slowestAnswerMs: Math.round(slowest),
  };
}

/** Wraps `fetch` to record when each user's syncs start, for the drift measurement. */
function timed(fetch: BalanceFetcher, starts: Map<string, number[]>): BalanceFetcher {
  return (userId, signal) => {
    starts.set(userId, [...(starts.get(userId) ?? []), performance.now()]);
    return fetch(userId, signal);
  };
}

function driftPerTick(starts: number[] | undefined, interval: number): number {
  if (starts === undefined || starts.length < 2) return 0;
  return (starts.at(-1)! - starts[0]!) / (starts.length - 1) - interval;
}

async function cryptoSync(runtime: Runtime, balancesUrl: string): Promise<Summary['sync']> {
  progress.log(
    '\n── 2. Ongoing work: crypto balance sync (GenServer + sendAfter, DynamicSupervisor + Registry) ──',
  );
  const interval = 400;
  const starts = new Map<string, number[]>();
  const fetchBalance = timed(httpBalanceFetcher(balancesUrl), starts);
  const app = await CryptoSync.start({ runtime, fetchBalance, interval, maxConcurrency: 3 });
  // The drift-free variant runs beside it in its own runtime (the apps use the same names).
  const other = new Runtime();
  const driftFree = await CryptoSync.start({
    runtime: other,
    fetchBalance,
    interval,
    variant: 'drift-free',
  });
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  for (const user of users) await app.startSync(user);
  await driftFree.startSync('zoe (drift-free)');
  progress.log(
    `  started ${users.length} syncs every ${interval} ms, at most 3 requests at once; and one drift-free sync`,
  );
  const until = Date.now() + 4000;
  let stopped = false;
  while (Date.now() < until) {
    await sleep(250);
    if (!stopped && until - Date.now() < 2000) {
      await app.stopSync('frank');
      progress.log('  stopped the sync of frank at run time (DynamicSupervisor.terminateChild)');
      stopped = true;
    }
    const states = await Promise.all(
      users.filter((u) => app.whereis(u)).map((u) => app.getState(u)),
    );
    const line = states.map((s) => `${s.userId} $${s.balance?.usd.toFixed(0) ?? '…'}`).join('  ');
    progress.update(`  ${line}`);
  }
  progress.done();
  const states = await Promise.all(users.filter((u) => app.whereis(u)).map((u) => app.getState(u)));
  for (const s of states) {
    progress.log(
      `  ${s.userId.padEnd(6)} ${s.runs} syncs, ${s.failures} failed, last run ${s.lastRunAt?.toISOString()}, ${s.balance?.amount} BTC = $${s.balance?.usd}`,
    );
  }
  const stats = await app.limiterStats();
  const naiveDrift = driftPerTick(starts.get('alice'), interval);
  const driftFreeDrift = driftPerTick(starts.get('zoe (drift-free)'), interval);
  progress.log(
    `  drift per tick: naive AccountSync ${signed(naiveDrift)} ms (its work time), DriftFreeSync ${signed(driftFreeDrift)} ms`,
  );
  await driftFree.stop();
  await other.stop();
  await app.stop();
  return {
    users: users.length,
    ticks: states.reduce((n, s) => n + s.runs + s.failures, 0),
    failures: states.reduce((n, s) => n + s.failures, 0),
    naiveDrift: Math.round(naiveDrift),
    driftFreeDrift: Math.round(driftFreeDrift * 10) / 10,
    peak: stats.peak,
    max: stats.max,
  };
}

async function welcomeEmail(runtime: Runtime, repo: Repo): Promise<Summary['email']> {
  progress.log('\n── 3. Nonessential work: welcome email (Task.start) ──');
  const sink = await startMailSink();
  const mailer = createMailer({ host: sink.host, port: sink.port });
  const service = new UserService({ runtime, repo, mailer });
  let lost = 0;
  const stopLogging = logLostEmails(runtime, (line) => {
    lost++;
    progress.log(`  ${line}`);
  });
  const people = ['linus', 'guido', 'bjarne', 'yukihiro'];
  let created = 0;
  let rejected = 0;
  for (const name of people) {
    const result = await service.createUser({
      email: `${name}@example.org`,
      name,
      address: '1 Main St, Boston, MA',
    });
    if (result.ok) created++;
    progress.log(
      `  createUser(${name}) → ${result.ok ? `ok, user #${result.user.id} (email on its way)` : result.error.message}`,
    );
  }
  const bad = await service.createUser({ email: 'not-an-email', name: '' });
  rejected++;
  progress.log(`  createUser(bad params) → ${bad.ok ? 'ok?!' : bad.error.message}`);
  const mails = await sink.waitFor(people.length);
  progress.log(
    `  mail sink received ${mails.length} mails: ${mails.map((m) => m.subject).join(' | ')}`,
  );
  await sink.close();
  progress.log('  the mail server is now down…');
  const late = await service.createUser({
    email: 'ada.late@example.org',
    name: 'Ada',
    address: '1 Main St, Boston, MA',
  });
  if (late.ok) created++;
  progress.log(
    `  createUser(ada.late) → ${late.ok ? `ok, user #${late.user.id} created anyway` : late.error.message}`,
  );
  const deadline = Date.now() + 5000;
  while (lost === 0 && Date.now() < deadline) await sleep(20);
  stopLogging();
  mailer.close();
  return { created, rejected, delivered: mails.length, lost };
}

/** The durable account setup, with services of its own (fresh CRM contacts to count). */
async function durableAccountSetup(): Promise<{
  durable: DurableSummary;
  app: AppProcess;
  services: [RunningCrm, RunningService];
}> {
  progress.log(
    '\n── 1b. Deferring work, durably: account setup as jobs (@actorkit/jobs on SQLite, the application in its own process) ──',
  );
  const flaky = { latency: [100, 300] as const, errorRate: 0.15, dropRate: 0.05 };
  const crm = await startCrm({ ...flaky, seed: 21 });
  const fulfillment = await startFulfillment({ ...flaky, seed: 22 });
  try {
    const { summary, app } = await runDurableSetup({
      progress,
      path: fileURLToPath(new URL('../data/demo-durable.db', import.meta.url)),
      crm,
      fulfillment,
      signups,
      observerPort: Number(process.env.JOBS_OBSERVER_PORT ?? 0),
    });
    return { durable: summary, app, services: [crm, fulfillment] };
  } catch (error) {
    await Promise.all([crm.close(), fulfillment.close()]);
    throw error;
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  const dbPath = fileURLToPath(new URL('../data/demo.db', import.meta.url));
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const repo = Repo.open(dbPath);
  const runtime = new Runtime();
  // The live dashboard of this node: open the URL while the scenarios run.
  const observer = await startObserver(runtime, { port: Number(process.env.OBSERVER_PORT ?? 0) });
  const flaky = { errorRate: 0.15, dropRate: 0.05 };
  const crm = await startCrm({ latency: [100, 300], ...flaky, seed: 11 });
  const fulfillment = await startFulfillment({ latency: [100, 300], ...flaky, seed: 12 });
  const balances = await startBalanceService({
    latency: [60, 140],
    errorRate: 0.1,
    dropRate: 0.05,
    seed: 13,
  });
  progress.log(
    `actorkit demo: CRM ${crm.url}, fulfillment ${fulfillment.url}, balances ${balances.url}, SQLite ${dbPath}`,
  );
  progress.log(
    `observer: ${observer.dashboardUrl} (live tree, processes, mailboxes; terminal view: pnpm --filter @actorkit/observer top --url ${observer.url} --token ${observer.token})${live ? '' : '; pnpm demo:live keeps it open'}`,
  );
  let durable: Awaited<ReturnType<typeof durableAccountSetup>> | undefined;
  try {
    const setUp = await accountSetup(runtime, repo, { crm: crm.url, fulfillment: fulfillment.url });
    durable = await durableAccountSetup();
    if (!live) await durable.app.stop();
    const sync = await cryptoSync(runtime, balances.url);
    const email = await welcomeEmail(runtime, repo);
    printSummary({ setUp, durable: durable.durable, sync, email }, performance.now() - began);
    if (live) await keepRunning(durable.app, observer.dashboardUrl);
  } finally {
    await durable?.app.stop();
    await observer.close();
    await runtime.stop();
    const services = [crm, fulfillment, balances, ...(durable?.services ?? [])];
    await Promise.all(services.map((service) => service.close()));
    repo.close();
  }
}

/**
 * `--live`: keeps the durable application, its observer and the services running until
 * Ctrl-C (SIGINT) or SIGTERM, signing up a visitor every 3 s (every fifth at an address
 * no service can place, so the Jobs view shows retries and discarded jobs).
 */
async function keepRunning(app: AppProcess, observerUrl: string): Promise<void> {
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  progress.log('');
  progress.log(`live: the durable application's observer (Jobs view): ${app.ready.dashboard}`);
  progress.log(`live: this process's observer: ${observerUrl}`);
  progress.log(`live: users API ${app.api}; a visitor signs up every 3 s. Ctrl-C to stop.`);
  for (let n = 1; ; n++) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, 3000, undefined);
    });
    const signal = await Promise.race([stop, tick]);
    clearTimeout(timer);
    if (signal !== undefined) {
      progress.log(`live: ${signal}, stopping…`);
      await app.stop();
      progress.log('stopped.');
      return;
    }
    const address = n % 5 === 0 ? '9 Lost Lane, Atlantis, ZZ 00000' : signups[n % 15]![1];
    const response = await fetch(`${app.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `visitor${n}@example.com`, name: `visitor ${n}`, address }),
    }).catch(() => undefined);
    progress.log(`live: POST /users visitor ${n} → ${response?.status ?? 'no answer'}`);
  }
}

function printSummary(s: Summary, ms: number): void {
  const d = s.durable;
  const discarded = d.discarded.map((x) => `${x.name} / ${x.step}`).join(', ') || 'none';
  const lines = [
    '',
    '══ summary ══',
    `account setup   ${s.setUp.completed.length}/${s.setUp.total} users set up, ${s.setUp.retries} retries, AccountSetupSupervisor restarted ${s.setUp.restarts}×, ${s.setUp.failures} failures recorded in setup_failures`,
    `                not set up: ${s.setUp.incomplete.join(', ') || 'none'}; slowest POST /users answer ${s.setUp.slowestAnswerMs} ms`,
    `durable setup   ${d.setUp.length}/${d.total} users set up, ${plural(d.discarded.length, 'step')} discarded with ${d.discarded.length === 1 ? 'its' : 'their'} errors (${discarded}), ${d.pending.length > 0 ? `${plural(d.pending.length, 'user')} still to set up at the next start, ` : ''}${plural(d.lost.length, 'user')} lost`,
    `                ${plural(d.kills, 'SIGKILL')} mid-setup, ${plural(d.rescued, 'job')} taken back by the restarts, ${plural(d.retries, 'retry', 'retries')} (a kill counts as one)`,
    `                CRM: ${d.crm.contacts} contacts for ${d.crm.users} users with a CRM id, ${d.crm.duplicates} duplicated by the re-runs`,
    `crypto sync     ${s.sync.users} users, ${s.sync.ticks} ticks (${s.sync.failures} failed and retried next tick), peak ${s.sync.peak}/${s.sync.max} concurrent requests`,
    `                drift per tick: naive ${signed(s.sync.naiveDrift)} ms, drift-free ${signed(s.sync.driftFreeDrift)} ms`,
    `welcome email   ${s.email.created} users created, ${s.email.rejected} rejected, ${s.email.delivered} emails delivered, ${s.email.lost} lost and logged`,
    `done in ${(ms / 1000).toFixed(1)} s`,
  ];
  for (const line of lines) progress.log(line);
}

await main();
