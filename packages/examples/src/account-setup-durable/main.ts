/**
 * The durable account-setup application as a process of its own, so it can be killed:
 *
 * ```sh
 * node --conditions=actorkit-source --import tsx src/account-setup-durable/main.ts \
 *   --db data/account-setup.db --crm http://127.0.0.1:4001 --fulfillment http://127.0.0.1:4002 \
 *   [--port 0] [--observer 0] [--max-attempts 6] [--stop-on-stdin-end]
 * ```
 *
 * It opens the database, starts the queue and serves the users API (`POST /users`,
 * `GET /users/:id`, `GET /setup-failures`), with the observer and its Jobs view
 * (`jobsView` of the store: queues, retries, discarded jobs with their errors) if
 * `--observer` gives a port. It prints one JSON object a line on stdout: `ready` (its
 * PID and URLs), then each job report of the setup queue. SIGTERM or SIGINT stops it
 * gracefully (running steps go back to `available`) and it exits 0, and so does the end
 * of its stdin with `--stop-on-stdin-end` (its parent died); SIGKILL leaves the work in
 * the database for the next start.
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@actorkit/core';
import { isJobReport, jobsView } from '@actorkit/jobs';
import { startObserver } from '@actorkit/observer';
import { startUsersApi } from '../account-setup/api.js';
import type { AppLine } from './app-process.js';
import { DurableAccountSetup } from './application.js';

const say = (line: AppLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      crm: { type: 'string' },
      fulfillment: { type: 'string' },
      port: { type: 'string', default: '0' },
      observer: { type: 'string' },
      'max-attempts': { type: 'string' },
      'stop-on-stdin-end': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const { db, crm, fulfillment } = values;
  if (db === undefined || crm === undefined || fulfillment === undefined) {
    throw new Error('Expected --db <file> --crm <url> --fulfillment <url>.');
  }
  const maxAttempts = values['max-attempts'];
  return {
    path: db,
    crmUrl: crm,
    fulfillmentUrl: fulfillment,
    port: integer('--port', values.port),
    observerPort:
      values.observer === undefined ? undefined : integer('--observer', values.observer),
    stopWithParent: values['stop-on-stdin-end'],
    ...(maxAttempts === undefined ? {} : { maxAttempts: integer('--max-attempts', maxAttempts) }),
  };
}

function integer(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Expected ${flag} to be an integer >= 0, got ${JSON.stringify(text)}.`);
  }
  return value;
}

function reportJobs(runtime: Runtime): void {
  runtime.events.on('report', (report: unknown) => {
    if (!isJobReport(report)) return;
    const { event: type, jobId, jobIds, worker, attempt, decision } = report;
    // An attempt's error arrives as the AttemptError kept on the job: { message, kind, … }.
    const message = (report.error as { message?: unknown } | undefined)?.message;
    const error = typeof message === 'string' ? message : undefined;
    say({ event: 'job', type, jobId, jobIds, worker, attempt, error, decision });
  });
}

async function main(): Promise<void> {
  const { port, observerPort, stopWithParent, ...setupOptions } = options();
  const runtime = new Runtime();
  reportJobs(runtime);
  const setup = await DurableAccountSetup.start({ runtime, ...setupOptions });
  const api = await startUsersApi(setup.handlers(), { port });
  const observer =
    observerPort === undefined
      ? undefined
      : await startObserver(runtime, { port: observerPort, views: [jobsView(setup.store)] });
  say({
    event: 'ready',
    pid: process.pid,
    api: api.url,
    ...(observer && { observer: observer.url, dashboard: observer.dashboardUrl }),
  });
  let stopping = false;
  // Ctrl-C in a terminal signals the whole process group, and a parent may send SIGTERM
  // as well: one shutdown however many arrive.
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await api.close();
      await observer?.close();
      await setup.stop();
      await runtime.stop();
      process.stdin.destroy();
      say({ event: 'stopped' });
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Nobody reads the reports any more (the parent is gone): stop rather than crash on EPIPE.
  process.stdout.on('error', shutdown);
  // Started by a parent (the demo, a test): stop when it is gone, rather than outlive it.
  if (stopWithParent) process.stdin.on('end', shutdown).resume();
}

await main();
