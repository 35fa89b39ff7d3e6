// The durable account setup in this process, through the handlers the users API serves.
// Kills of its own process are in account-setup-durable-kill.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@actorkit/core';
import { isJobReport, job } from '@actorkit/jobs';
import { waitFor } from '@actorkit/test-support';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationDownError } from '../src/account-setup/api.js';
import { DurableAccountSetup } from '../src/account-setup-durable/application.js';
import { setupWorkers } from '../src/account-setup-durable/workers.js';
import { RepoError } from '../src/db/repo.js';
import { startCrm } from '../src/services/crm.js';
import type { FaultOptions } from '../src/services/faults.js';
import { startFulfillment } from '../src/services/fulfillment.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  faults: { crm?: FaultOptions; fulfillment?: FaultOptions } = {},
  options: { maxAttempts?: number; busyTimeout?: number } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'actorkit-durable-setup-'));
  const path = join(dir, 'app.db');
  const runtime = new Runtime();
  const crm = await startCrm({ latency: 5, ...faults.crm });
  const fulfillment = await startFulfillment({ latency: 5, ...faults.fulfillment });
  const setup = await DurableAccountSetup.start({
    runtime,
    path,
    crmUrl: crm.url,
    fulfillmentUrl: fulfillment.url,
    backoff: { initial: 5, factor: 1, max: 5, jitter: 0 },
    ...options,
  });
  cleanups.push(async () => {
    await setup.stop();
    await runtime.stop();
    await crm.close();
    await fulfillment.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { runtime, crm, fulfillment, setup, path, handlers: setup.handlers() };
}

const ada = { email: 'ada@example.com', name: 'Ada', address: '12 Pine St, Portland, OR 97201' };
const hedy = { email: 'hedy@example.com', name: 'Hedy', address: '1 Nowhere Rd, Atlantis, ZZ' };

describe('signUp()', () => {
  it('commits the user with its two setup jobs, which then set the user up', async () => {
    const { setup, handlers, crm } = await setUp();
    const user = await handlers.signUp(ada);
    expect(user).toMatchObject({ email: ada.email, crmId: null, fulfillmentCenterId: null });
    const jobs = await setup.store.list({ queue: 'account-setup' });
    expect(jobs.map((j) => [j.worker, j.args, j.key])).toEqual([
      ['account-setup.crm', { userId: user.id }, `crm:${user.id}`],
      ['account-setup.fulfillment', { userId: user.id }, `fulfillment:${user.id}`],
    ]);
    const done = await waitFor(() => {
      const row = handlers.getUser(user.id)!;
      return row.crmId !== null && row.fulfillmentCenterId !== null && row;
    });
    expect(done).toMatchObject({
      crmId: [...crm.contacts.keys()][0],
      fulfillmentCenterId: 'fc-sea',
    });
    expect((await setup.status()).jobs.completed).toBe(2);
  });

  it('throws RepoError for a taken email and inserts neither a user nor a job', async () => {
    const { setup, handlers } = await setUp();
    await handlers.signUp(ada);
    await expect(handlers.signUp({ ...ada, name: 'Other' })).rejects.toThrow(RepoError);
    expect(setup.repo.listUsers()).toHaveLength(1);
    expect(await setup.store.list({ queue: 'account-setup' })).toHaveLength(2);
  });
});

describe('signUp() when the database cannot take it', () => {
  it('throws ApplicationDownError while another process holds the write lock, and inserts nothing', async () => {
    const { setup, handlers, path } = await setUp({}, { busyTimeout: 50 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(handlers.signUp(ada)).rejects.toThrow(ApplicationDownError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(setup.repo.listUsers()).toEqual([]);
    expect(await setup.store.list({ queue: 'account-setup' })).toEqual([]);
    // Once the lock is gone, the same sign-up goes through.
    expect(await handlers.signUp(ada)).toMatchObject({ email: ada.email });
  });

  it('throws ApplicationDownError once the application is stopped', async () => {
    const { setup, handlers } = await setUp();
    await setup.stop();
    await expect(handlers.signUp(ada)).rejects.toThrow(ApplicationDownError);
  });
});

describe('setup steps', () => {
  it('retry a failing service with backoff until it answers', async () => {
    // The CRM fails the first two requests for Ada with a 500, then succeeds.
    const script = (_key: string, attempt: number) => (attempt < 2 ? 'error' : undefined);
    const { handlers, crm, setup } = await setUp({ crm: { script } });
    const user = await handlers.signUp(ada);
    await waitFor(() => handlers.getUser(user.id)!.crmId);
    const [crmJob] = await setup.store.list({ worker: 'account-setup.crm' });
    expect(crmJob).toMatchObject({ state: 'completed', attempt: 3 });
    expect(crmJob!.errors.map((e) => e.message)).toEqual([
      expect.stringContaining('HTTP 500'),
      expect.stringContaining('HTTP 500'),
    ]);
    expect(crm.contacts.size).toBe(1);
  });

  it('discard a 4xx answer at once, listed with its error by listSetupFailures', async () => {
    const { handlers } = await setUp();
    const user = await handlers.signUp(hedy);
    const [failure] = await waitFor(async () => {
      const failures = await handlers.listSetupFailures();
      return failures.length > 0 && failures;
    });
    expect(failure).toMatchObject({ userId: user.id, name: 'Hedy', step: 'fulfillment' });
    expect(failure!.attempts).toBe(1);
    expect(failure!.errors[0]!.message).toMatch(/HTTP 422 .*unknown city/);
    expect(failure!.errors[0]).not.toHaveProperty('stack');
    await waitFor(() => handlers.getUser(user.id)!.crmId, { what: 'the CRM step of Hedy' });
  });

  it('discard a step after maxAttempts, keeping every attempt’s error', async () => {
    const { handlers } = await setUp({ crm: { script: () => 'error' } }, { maxAttempts: 3 });
    const user = await handlers.signUp(ada);
    const [failure] = await waitFor(async () => {
      const failures = await handlers.listSetupFailures();
      return failures.length > 0 && failures;
    });
    expect(failure).toMatchObject({ userId: user.id, step: 'crm', attempts: 3 });
    expect(failure!.errors.map((e) => [e.attempt, e.kind])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(handlers.getUser(user.id)).toMatchObject({ crmId: null, fulfillmentCenterId: 'fc-sea' });
  });

  it('complete without calling the service when an earlier attempt already did the step', async () => {
    const { runtime, handlers, crm, fulfillment, setup } = await setUp();
    const user = await handlers.signUp(ada);
    await waitFor(() => {
      const row = handlers.getUser(user.id)!;
      return row.crmId !== null && row.fulfillmentCenterId !== null;
    });
    const requests = { crm: crm.stats.requests, fulfillment: fulfillment.stats.requests };
    // A second run of both steps for Ada, as after a kill between the work and its record.
    const stopped = new Set<string>();
    runtime.events.on('report', (r: unknown) => {
      if (isJobReport(r) && r.event === 'stop') stopped.add(r.jobId!);
    });
    const workers = setupWorkers({
      repo: setup.repo,
      crmUrl: crm.url,
      fulfillmentUrl: fulfillment.url,
    });
    const again = setup.store.insert([
      job(workers.crm, { userId: user.id }),
      job(workers.fulfillment, { userId: user.id }),
    ]);
    await waitFor(() => again.every((e) => stopped.has(e.job.id)), { what: 'the second runs' });
    expect({ crm: crm.stats.requests, fulfillment: fulfillment.stats.requests }).toEqual(requests);
    expect(crm.contacts.size).toBe(1);
  });
});
