import { Runtime } from '@actorkit/core';
import { TaskSupervisor } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { startUsersApi } from '../src/account-setup/api.js';
import { AccountSetup } from '../src/account-setup/application.js';
import { Repo, type User } from '../src/db/repo.js';
import { startCrm } from '../src/services/crm.js';
import type { FaultOptions } from '../src/services/faults.js';
import { locate, nearestCenter, startFulfillment } from '../src/services/fulfillment.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  faults: { crm?: FaultOptions; fulfillment?: FaultOptions } = {},
  options: { maxAttempts?: number } = {},
) {
  const runtime = new Runtime();
  const repo = Repo.open();
  const crm = await startCrm({ latency: 5, ...faults.crm });
  const fulfillment = await startFulfillment({ latency: 5, ...faults.fulfillment });
  const setup = await AccountSetup.start({
    runtime,
    repo,
    crmUrl: crm.url,
    fulfillmentUrl: fulfillment.url,
    ...options,
  });
  const api = await startUsersApi(setup.handlers());
  cleanups.push(async () => {
    await runtime.stop();
    await api.close();
    await crm.close();
    await fulfillment.close();
    repo.close();
  });
  const post = async (body: unknown) => {
    const response = await fetch(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    return { status: response.status, body: json };
  };
  return { runtime, repo, crm, setup, post };
}

const ada = { email: 'ada@example.com', name: 'Ada', address: '12 Pine St, Portland, OR 97201' };

describe('fulfillment service', () => {
  it('picks the nearest center from the address, without external geocoding', () => {
    expect(nearestCenter(locate(ada.address)!).center.id).toBe('fc-sea');
    expect(nearestCenter(locate('1 Congress Ave, Austin, TX 78701')!).center.id).toBe('fc-dfw');
    expect(locate('1 Main St, Atlantis, ZZ')).toBeUndefined();
  });
});

describe('POST /users', () => {
  it('answers 201 before the setup tasks finish, and both ids are stored once they do', async () => {
    const { repo, post } = await setUp({ crm: { latency: 250 }, fulfillment: { latency: 250 } });
    // Both services take 250 ms: ids still null in the 201 mean it did not wait for them.
    const { status, body } = await post(ada);
    expect(status).toBe(201);
    expect(body).toMatchObject({
      email: 'ada@example.com',
      crmId: null,
      fulfillmentCenterId: null,
    });
    const user = await waitFor(() => {
      const row = repo.getUser(body.id) as User;
      return row.crmId !== null && row.fulfillmentCenterId !== null && row;
    });
    expect(user.crmId).toMatch(/^crm_\d+$/);
    expect(user.fulfillmentCenterId).toBe('fc-sea');
  });

  it('refuses bad input with 422 and a taken email with 409, inserting nothing', async () => {
    const { repo, post } = await setUp();
    expect((await post({ email: 'nope', name: '' })).status).toBe(422);
    expect(repo.listUsers()).toHaveLength(0);
    expect((await post(ada)).status).toBe(201);
    expect((await post(ada)).status).toBe(409);
    expect(repo.listUsers()).toHaveLength(1);
  });
});

describe('AccountSetupSupervisor.setUpUserAccount()', () => {
  it('restarts a crashed transient task until the CRM answers', async () => {
    // The CRM fails the first two requests for this user (seeded script), then answers.
    const script = (key: string, attempt: number) =>
      key.includes('ada@') && attempt < 2 ? ('error' as const) : undefined;
    const { repo, setup, post } = await setUp({ crm: { script } });
    const supervisor = setup.taskSupervisor();
    const { body } = await post(ada);
    const report = await waitFor(async () => {
      const r = await setup.report();
      return r.completed.length === 1 && r;
    });
    expect(report.steps.find((s) => s.step === 'crm')?.attempts).toBe(3);
    expect(report.retries).toBe(2);
    expect(repo.getUser(body.id)?.crmId).toMatch(/^crm_/);
    expect(repo.listSetupFailures()).toEqual([]);
    expect(setup.taskSupervisor()).toBe(supervisor);
  });

  it('gives up at once on an address no retry can fix, and records it', async () => {
    const { repo, setup, post } = await setUp();
    const { body } = await post({ ...ada, address: '1 Main St, Atlantis, ZZ' });
    await waitFor(async () => (await setup.report()).incomplete.length === 1);
    const failures = repo.listSetupFailures();
    expect(failures).toMatchObject([{ userId: body.id, step: 'fulfillment' }]);
    expect(failures[0]!.reason).toMatch(/gave up after 1 attempt.*422/);
    await waitFor(() => repo.getUser(body.id)?.crmId);
  });

  it('gives up after maxAttempts failed attempts, records it, and is not restarted again', async () => {
    // The CRM answers 500 to every request for this user; each step may try twice.
    const script = (key: string) => (key.includes('ada@') ? ('error' as const) : undefined);
    const { runtime, repo, crm, setup, post } = await setUp(
      { crm: { script } },
      { maxAttempts: 2 },
    );
    const supervisor = setup.taskSupervisor()!;
    const { body } = await post(ada);
    // Both steps settled and no task left: a restart after the give-up would be a child here.
    const report = await waitFor(
      async () => {
        const r = await setup.report();
        const tasks = await TaskSupervisor.children(supervisor, { runtime });
        return r.incomplete.length === 1 && r.pending.length === 0 && tasks.length === 0 && r;
      },
      { what: 'the CRM step to give up and every task to finish' },
    );
    expect(report.steps.find((s) => s.step === 'crm')).toMatchObject({
      status: 'failed',
      attempts: 2,
    });
    expect(report.retries).toBe(1);
    expect(crm.stats.requests).toBe(2);
    const failures = repo.listSetupFailures();
    expect(failures).toMatchObject([{ userId: body.id, step: 'crm' }]);
    expect(failures[0]!.reason).toMatch(/^gave up after 2 attempt\(s\): .*500/);
    expect(repo.getUser(body.id)).toMatchObject({ crmId: null, fulfillmentCenterId: 'fc-sea' });
    expect(setup.taskSupervisor()).toBe(supervisor);
  });

  it('past 3 restarts in 5 s the TaskSupervisor goes down, the Application restarts it, and the lost setups are recorded', async () => {
    const { runtime, repo, crm, setup, post } = await setUp({
      crm: { errorRate: 1 },
      fulfillment: { latency: 400 },
    });
    const first = setup.taskSupervisor()!;
    const users = [];
    for (const name of ['a', 'b', 'c']) {
      users.push((await post({ ...ada, email: `${name}@example.com` })).body as User);
    }
    const second = await waitFor(() => {
      const pid = setup.taskSupervisor();
      return pid !== undefined && pid !== first && pid;
    });
    expect(runtime.isAlive(first)).toBe(false);
    expect(runtime.isAlive(second)).toBe(true);
    expect(runtime.isAlive(setup.supervisor)).toBe(true);
    const report = await waitFor(async () => {
      const r = await setup.report();
      return r.incomplete.length === 3 && r;
    });
    expect(report.completed).toEqual([]);
    expect(report.supervisorRestarts).toBe(1);
    const failures = repo.listSetupFailures();
    expect(failures).toHaveLength(6);
    expect(failures.every((f) => f.reason.startsWith('abandoned'))).toBe(true);
    for (const user of users) expect(repo.getUser(user.id)?.crmId).toBeNull();
    // The restarted supervisor takes new work once the CRM is healthy again.
    crm.configure({ errorRate: 0 });
    const { body } = await post({
      ...ada,
      email: 'later@example.com',
      address: '3 Beacon St, Boston, MA',
    });
    await waitFor(() => repo.getUser(body.id)?.fulfillmentCenterId === 'fc-ewr');
  });
});
