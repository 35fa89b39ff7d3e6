// The account setup on RabbitMQ, its hand-off from the database to the broker: a sign-up
// commits the user and its outbox rows; the relay publishes them with confirms and deletes
// them only then. Against the run's broker, and against a private one that is stopped and
// started again (a real broker process, not a simulated outage).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@actorkit/core';
import { Queue } from '@actorkit/jobs';
import { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
import { type Broker, startBroker, waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  RabbitAccountSetup,
  type RabbitAccountSetupOptions,
} from '../src/account-setup-rabbitmq/application.js';
import { rabbitSetupWorkers, SETUP_QUEUE } from '../src/account-setup-rabbitmq/workers.js';
import { Repo } from '../src/db/repo.js';
import { startCrm } from '../src/services/crm.js';
import { startFulfillment } from '../src/services/fulfillment.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database file and queue-name prefix, removed after the test. */
function place(): { path: string; prefix: string } {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-rabbitmq-setup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { path: join(dir, 'app.db'), prefix: `test.${randomUUID().slice(0, 8)}` };
}

async function startApp(
  options: Omit<RabbitAccountSetupOptions, 'runtime'>,
): Promise<RabbitAccountSetup> {
  const runtime = new Runtime();
  const app = await RabbitAccountSetup.start({ runtime, ...options });
  cleanups.push(async () => {
    await app.stop();
    await runtime.stop();
  });
  return app;
}

/** A worker queue in this process, on its own store, running the setup steps against local services. */
async function startWorkers(url: string, prefix: string, path: string): Promise<void> {
  const [crm, fulfillment] = await Promise.all([startCrm(), startFulfillment()]);
  const runtime = new Runtime();
  const repo = Repo.open(path);
  const store = new RabbitMqStore({ url, prefix });
  cleanups.push(async () => {
    await runtime.stop();
    await store.close();
    repo.close();
    await Promise.all([crm.close(), fulfillment.close()]);
  });
  const workers = rabbitSetupWorkers({ repo, crmUrl: crm.url, fulfillmentUrl: fulfillment.url });
  await Queue.start({
    runtime,
    store,
    queue: SETUP_QUEUE,
    workers: [workers.crm, workers.fulfillment],
    concurrency: 2,
  });
}

const ada = { email: 'ada@example.com', name: 'Ada', address: '3 Beacon St, Boston, MA 02108' };

describe('RabbitAccountSetup.signUp()', () => {
  it('commits the user with an outbox row per step; the relay publishes them with confirms, deletes them, and workers set the user up', async () => {
    const url = inject('rabbitmqUrl');
    const { path, prefix } = place();
    const app = await startApp({ url, path, prefix });
    const user = app.signUp(ada);
    // Committed with the user, before the relay ran (the wake is a cast it handles later).
    expect(app.outbox.take(10).map(({ userId, step }) => ({ userId, step }))).toEqual([
      { userId: user.id, step: 'crm' },
      { userId: user.id, step: 'fulfillment' },
    ]);
    await waitFor(() => app.outbox.count() === 0, { timeout: 20_000, what: 'an empty outbox' });
    expect(await app.relayStats()).toMatchObject({ published: 2, pending: 0, failures: 0 });

    await startWorkers(url, prefix, path);
    const setUp = await waitFor(
      () => {
        const row = app.repo.getUser(user.id)!;
        return row.crmId !== null && row.fulfillmentCenterId !== null && row;
      },
      { timeout: 30_000, what: 'the user set up by the workers' },
    );
    expect(setUp.crmId).toMatch(/\S/);
    expect(app.repo.listSetupFailures()).toEqual([]);
  });

  it('answers while the broker is down, keeps the jobs in the outbox, and the next start publishes them once the broker is back', async () => {
    const broker: Broker = await startBroker();
    cleanups.push(() => broker.close());
    const { path, prefix } = place();
    const options = { url: broker.url, path, prefix, unavailableTimeout: 200, relayInterval: 50 };
    const first = await startApp(options);
    await broker.stop();

    const user = first.signUp(ada);
    await waitFor(async () => (await first.relayStats()).failures >= 2, {
      timeout: 20_000,
      what: 'publishes refused while the broker is down',
    });
    expect(first.outbox.count()).toBe(2);
    // The application goes too (a deploy, a crash): the rows stay in the database.
    await first.stop();

    await broker.start();
    const second = await startApp(options);
    await waitFor(() => second.outbox.count() === 0, { timeout: 30_000, what: 'an empty outbox' });
    expect(await second.relayStats()).toMatchObject({ published: 2, pending: 0 });
    await startWorkers(broker.url, prefix, path);
    await waitFor(
      () => {
        const row = second.repo.getUser(user.id)!;
        return row.crmId !== null && row.fulfillmentCenterId !== null;
      },
      { timeout: 30_000, what: 'the user set up by the workers' },
    );
  }, 120_000);
});
