/**
 * A worker process of the account setup on RabbitMQ: one `Queue` of the setup steps on a
 * `RabbitMqStore`, as many of them as you like, on as many machines:
 *
 * ```sh
 * node --conditions=actorkit-source --import tsx src/account-setup-rabbitmq/worker-main.ts \
 *   --amqp amqp://guest:guest@127.0.0.1:5672 --db data/account-setup.db \
 *   --crm http://127.0.0.1:4001 --fulfillment http://127.0.0.1:4002 \
 *   [--prefix actorkit.jobs] [--node worker-1] [--concurrency 4] [--stop-on-stdin-end]
 * ```
 *
 * The steps read and write the users in the application's SQLite file (`--db`): in this
 * example every process is on one machine; on several, the steps would reach the users
 * through the application's database server or its API. It prints one JSON object a
 * line on stdout: `ready` (its PID), then each job report (`start`, `stop`, `exception`,
 * `discard` …). SIGTERM or SIGINT stops it gracefully (attempts under way get the
 * queue's shutdown grace, then go back to the broker), and so does the end of its stdin
 * with `--stop-on-stdin-end`; SIGKILL leaves its unacked deliveries to the broker, which
 * gives them to another consumer.
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@actorkit/core';
import { isJobReport, Queue } from '@actorkit/jobs';
import { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
import { Repo } from '../db/repo.js';
import type { WorkerLine } from './worker-process.js';
import { rabbitSetupWorkers, SETUP_QUEUE } from './workers.js';

const say = (line: WorkerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      amqp: { type: 'string' },
      db: { type: 'string' },
      crm: { type: 'string' },
      fulfillment: { type: 'string' },
      prefix: { type: 'string' },
      node: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'stop-on-stdin-end': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const { amqp, db, crm, fulfillment } = values;
  if ([amqp, db, crm, fulfillment].includes(undefined)) {
    throw new Error('Expected --amqp <url> --db <file> --crm <url> --fulfillment <url>.');
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new Error(`Expected --concurrency to be an integer >= 1, got ${values.concurrency}.`);
  }
  return { ...values, amqp: amqp!, db: db!, crm: crm!, fulfillment: fulfillment!, concurrency };
}

function reportJobs(runtime: Runtime): void {
  runtime.events.on('report', (report: unknown) => {
    if (!isJobReport(report)) return;
    const { event: type, jobId, worker, attempt, decision } = report;
    const message = (report.error as { message?: unknown } | undefined)?.message;
    const error = typeof message === 'string' ? message : undefined;
    say({ event: 'job', type, jobId, worker, attempt, error, decision });
  });
}

async function main(): Promise<void> {
  const args = options();
  const runtime = new Runtime();
  reportJobs(runtime);
  const repo = Repo.open(args.db);
  const store = new RabbitMqStore({ url: args.amqp, ...(args.prefix && { prefix: args.prefix }) });
  const workers = rabbitSetupWorkers({
    repo,
    crmUrl: args.crm,
    fulfillmentUrl: args.fulfillment,
  });
  await Queue.start({
    runtime,
    store,
    queue: SETUP_QUEUE,
    workers: [workers.crm, workers.fulfillment],
    concurrency: args.concurrency,
    ...(args.node && { node: args.node }),
  });
  say({ event: 'ready', pid: process.pid });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await runtime.stop({ timeout: 10_000 });
      await store.close();
      repo.close();
      process.stdin.destroy();
      say({ event: 'stopped' });
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.on('error', shutdown);
  if (args['stop-on-stdin-end']) process.stdin.on('end', shutdown).resume();
}

await main();
