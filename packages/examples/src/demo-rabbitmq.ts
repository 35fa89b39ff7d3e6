/**
 * `pnpm demo:rabbitmq`: the durable account setup on RabbitMQ. Users are committed to
 * SQLite with their setup jobs in an outbox (one transaction); a relay publishes the jobs
 * to the broker with publisher confirms; two worker processes consume them, and one is
 * SIGKILLed by its PID mid-run, its unacked jobs redelivered by the broker to the other.
 * The summary shows every user set up (or given up on, with the reason), none lost, no
 * CRM contact duplicated. Exits by itself.
 *
 * The broker: `--amqp <url>` or `AMQP_URL` if given (queues are made under a prefix of
 * their own per run, `actorkit-demo.<run>.*`, and left there: delete them when done);
 * otherwise a private `rabbitmq-server` on 127.0.0.1 (free ports, its own data folder),
 * stopped and removed at the end. That needs Debian's `rabbitmq-server`
 * (`npm run setup:test` installs it).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Runtime } from '@actorkit/core';
// The jobs package's private broker for its tests, reused as is: this demo is the only
// other user, and it runs from the workspace, as the tests do.
import { type Broker, rabbitmqInstalled, startBroker } from '@actorkit/test-support';
import { type RabbitSummary, runRabbitSetup } from './account-setup-rabbitmq/demo-run.js';
import { plural, signups } from './demo-signups.js';
import { Progress } from './progress.js';
import { startCrm } from './services/crm.js';
import { startFulfillment } from './services/fulfillment.js';

const progress = new Progress();

/** The broker's URL without its password, for the output. */
function shown(url: string): string {
  const parsed = new URL(url);
  parsed.password = parsed.password === '' ? '' : '***';
  return parsed.toString().replace(/\/$/, '');
}

/** The broker given by `--amqp` or `AMQP_URL`, or a private one started here. */
async function broker(): Promise<{ url: string; own?: Broker }> {
  const { values } = parseArgs({ options: { amqp: { type: 'string' } }, strict: true });
  const given = values.amqp ?? process.env.AMQP_URL;
  if (given !== undefined && given !== '') {
    progress.log(`broker: ${shown(given)} (given)`);
    return { url: given };
  }
  if (!rabbitmqInstalled()) {
    throw new Error(
      'pnpm demo:rabbitmq needs a broker: pass --amqp <url> (or set AMQP_URL), or install Debian’s rabbitmq-server (`npm run setup:test`) for a private one.',
    );
  }
  progress.log(
    'broker: starting a private rabbitmq-server on 127.0.0.1 (free ports, its own data folder)…',
  );
  const own = await startBroker();
  progress.log(
    `broker: ${shown(own.url)} (private, started in ${(own.startMs / 1000).toFixed(1)} s)`,
  );
  return { url: own.url, own };
}

function printSummary(s: RabbitSummary, ms: number): void {
  const discarded = s.discarded.map((x) => `${x.name} / ${x.step}`).join(', ') || 'none';
  const kill = s.kill!;
  const lines = [
    '',
    '══ summary ══',
    `rabbitmq setup  ${s.setUp.length}/${s.total} users set up, ${plural(s.discarded.length, 'step')} given up with ${s.discarded.length === 1 ? 'its' : 'their'} reason (${discarded}), ${plural(s.lost.length, 'user')} lost${s.lost.length > 0 ? ` (${s.lost.join(', ')})` : ''}`,
    `                outbox: ${plural(s.relay.published, 'job')} published with publisher confirms, ${s.relay.pending} left unpublished, ${plural(s.relay.failures, 'publish', 'publishes')} failed and retried`,
    `                worker PID ${kill.pid} SIGKILLed with ${plural(kill.inFlight, 'step')} in flight: ${kill.redelivered} redelivered by the broker to PID ${kill.by.join(', ')} and run again; ${plural(s.retries, 'retry', 'retries')} in all`,
    `                broker: ${plural(s.broker.dead, 'job')} in the dead-letter queue ${s.broker.deadLetterQueue} (each with every attempt's error), ${s.broker.ready} ready`,
    `                CRM: ${s.crm.contacts} contacts for ${s.crm.users} users with a CRM id, ${s.crm.duplicates} duplicated by the re-runs`,
    `done in ${(ms / 1000).toFixed(1)} s`,
  ];
  for (const line of lines) progress.log(line);
}

async function main(): Promise<void> {
  const began = performance.now();
  const { url, own } = await broker();
  const runtime = new Runtime();
  const flaky = { latency: [100, 300] as const, errorRate: 0.15, dropRate: 0.05 };
  const crm = await startCrm({ ...flaky, seed: 31 });
  const fulfillment = await startFulfillment({ ...flaky, seed: 32 });
  try {
    progress.log(
      '\n── 1c. Deferring work on RabbitMQ: users in SQLite, their setup jobs through an outbox to the broker, two worker processes ──',
    );
    const summary = await runRabbitSetup({
      runtime,
      progress,
      url,
      path: fileURLToPath(new URL('../data/demo-rabbitmq.db', import.meta.url)),
      crm,
      fulfillment,
      signups,
    });
    printSummary(summary, performance.now() - began);
  } finally {
    await runtime.stop();
    await Promise.all([crm.close(), fulfillment.close()]);
    await own?.close();
  }
}

await main();
