/**
 * A worker process of the RabbitMQ scale-out tests: one Queue on a RabbitMqStore, running
 * `touch` jobs until it is killed, or until SIGTERM stops it gracefully (the queue drains,
 * the store closes, and the process exits by itself). Each job's side effect is a row keyed
 * by job id in a SQLite file all workers share (idempotent: ON CONFLICT DO NOTHING), plus a
 * row per execution (the duplicate count), and, once the job's work is over, a row in
 * `finished`.
 *
 * It reports on stdout, one JSON object per line (synchronous on a pipe, so a line printed
 * before a SIGKILL is never lost): ready, start and stop (an attempt began; its completion
 * was acked), fenced, lease_lost, store_error, stopped, unhandled.
 *
 * Env: AMQP_URL, PREFIX, DB, NODE_NAME, CONCURRENCY (and so the prefetch), PAUSE (a job
 * takes between PAUSE/2 and PAUSE ms), plus the store's UNAVAILABLE_TIMEOUT, QUEUE_TYPE
 * ('quorum' or 'classic') and DELIVERY_LIMIT.
 */
import { Runtime } from '@actorkit/core';
import Database from 'better-sqlite3';
// Straight from the modules (not src/index.ts): the children need no observer view.
import { Queue } from '../../../src/queue.js';
import { RabbitMqStore } from '../../../src/rabbitmq/index.js';
import { isJobReport } from '../../../src/report.js';
import { defineWorker } from '../../../src/worker.js';

const env = process.env;
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const errorName = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : String(error);
for (const kind of ['unhandledRejection', 'uncaughtException'] as const) {
  process.on(kind, (error) => {
    say({ event: 'unhandled', kind, error: errorName(error) });
    process.exit(70);
  });
}

const db = new Database(env.DB!);
db.pragma('busy_timeout = 30000');
const recordEffect = db.transaction((jobId: string, n: number) => {
  db.prepare('INSERT INTO executions (job_id, n, pid) VALUES (?, ?, ?)').run(jobId, n, process.pid);
  db.prepare(
    'INSERT INTO effects (job_id, n, pid) VALUES (?, ?, ?) ON CONFLICT (job_id) DO NOTHING',
  ).run(jobId, n, process.pid);
});

const finish = db.prepare('INSERT INTO finished (job_id) VALUES (?) ON CONFLICT DO NOTHING');
const pause = Number(env.PAUSE ?? 2);
const Touch = defineWorker({
  name: 'touch',
  perform: async ({ n }: { n: number }, ctx) => {
    // The effect first, then the rest of the work: an attempt killed in flight has made its
    // effect, and its job runs again (at least once), so duplicates show up when they may.
    recordEffect(ctx.job.id, n);
    await new Promise((resolve) => setTimeout(resolve, (pause / 2) * (1 + Math.random())));
    // And a mark that the whole job ran: a job acked before its worker resolved (and lost
    // with its process) would have its effect but no mark.
    finish.run(ctx.job.id);
  },
});

const store = new RabbitMqStore({
  url: env.AMQP_URL!,
  prefix: env.PREFIX!,
  unavailableTimeout: Number(env.UNAVAILABLE_TIMEOUT ?? 2000),
  reconnectDelay: 50,
  maxReconnectDelay: 500,
  heartbeat: 5,
  queueType: env.QUEUE_TYPE === 'classic' ? 'classic' : 'quorum',
  deliveryLimit: Number(env.DELIVERY_LIMIT ?? 20),
});
const runtime = new Runtime();
runtime.events.on('report', (report: unknown) => {
  if (!isJobReport(report)) return;
  switch (report.event) {
    case 'start':
    case 'stop':
    case 'fenced':
      say({ event: report.event, jobId: report.jobId });
      break;
    case 'lease_lost':
      say({ event: 'lease_lost' });
      break;
    case 'store_error':
      say({ event: 'store_error', error: errorName(report.error) });
      break;
    default:
      say({ event: report.event, jobId: report.jobId, error: errorName(report.error) });
  }
});
await store.declareQueue('default');
await Queue.start({
  runtime,
  store,
  workers: [Touch],
  node: env.NODE_NAME!,
  concurrency: Number(env.CONCURRENCY ?? 10),
  heartbeatInterval: 500,
  lease: 5000,
  shutdownGrace: 10_000,
});
say({ event: 'ready', pid: process.pid });

process.once('SIGTERM', async () => {
  await runtime.stop({ timeout: 20_000 });
  await store.close();
  db.close();
  say({ event: 'stopped' });
});
