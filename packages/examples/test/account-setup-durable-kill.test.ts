// The durable account setup killed for real: its application runs as a child Node process
// (src/account-setup-durable/main.ts) on a SQLite file, and is SIGKILLed by its PID while
// setup steps are in flight or sign-ups are being committed. The CRM and fulfillment
// services live in this process, so they outlive every kill and see every request.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Job, SqliteStore } from '@actorkit/jobs';
import { waitFor } from '@actorkit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess } from '../src/account-setup-durable/app-process.js';
import { readSetupStatus } from '../src/account-setup-durable/setup-status.js';
import { bundleForNode } from '../src/bundle-for-node.js';
import { Repo, type User } from '../src/db/repo.js';
import { type RunningCrm, startCrm } from '../src/services/crm.js';
import { startFulfillment } from '../src/services/fulfillment.js';
import type { RunningService } from '../src/services/http-service.js';

const examples = fileURLToPath(new URL('..', import.meta.url));
let signUpChild = '';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let dir = '';
const apps: AppProcess[] = [];
const loops: ChildProcess[] = [];
const services: RunningService[] = [];

// The sign-up loop is started 8 times: bundled once, as AppProcess bundles the application.
beforeAll(async () => {
  signUpChild = await bundleForNode(
    fileURLToPath(new URL('./durable-sign-up-child.ts', import.meta.url)),
    `sign-up-child-${process.pid}`,
  );
}, 60_000);

afterAll(() => {
  if (signUpChild !== '') rmSync(signUpChild, { force: true });
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.kill();
  for (const loop of loops.splice(0))
    if (loop.exitCode === null && loop.signalCode === null) loop.kill('SIGKILL');
  for (const service of services.splice(0)) await service.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function world() {
  dir = mkdtempSync(join(tmpdir(), 'actorkit-durable-kill-'));
  const flaky = { latency: [50, 150] as const, errorRate: 0.1, dropRate: 0.05 };
  const crm = await startCrm({ ...flaky, seed: 21 });
  const fulfillment = await startFulfillment({ ...flaky, seed: 22 });
  services.push(crm, fulfillment);
  const path = join(dir, 'app.db');
  const start = async () => {
    const app = await AppProcess.start({ path, crmUrl: crm.url, fulfillmentUrl: fulfillment.url });
    apps.push(app);
    return app;
  };
  return { path, crm, fulfillment, start };
}

/** `POST /users` on the application; resolves with the status, or `'no answer'` when the process died. */
async function signUp(api: string, n: number, address = '1 Main St, Boston, MA') {
  const body = JSON.stringify({ email: `user${n}@example.com`, name: `user ${n}`, address });
  try {
    const response = await fetch(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, user: (await response.json()) as User };
  } catch {
    return { status: 'no answer' as const };
  }
}

/** Everything the database says, read from this process once the application is gone. */
async function readBack(path: string) {
  const store = new SqliteStore({ path });
  const repo = Repo.open(path);
  try {
    const jobs: Job[] = await store.list({ queue: 'account-setup', limit: 10_000 });
    return { users: repo.listUsers(), jobs, status: await readSetupStatus(store, repo) };
  } finally {
    await store.close();
    repo.close();
  }
}

/** Which users the CRM holds more than one contact for: duplicates a re-run created. */
function duplicateContacts(crm: RunningCrm): string[] {
  const seen = new Map<string, number>();
  for (const contact of crm.contacts.values())
    seen.set(contact.email, (seen.get(contact.email) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([email]) => email);
}

describe('the durable account setup under SIGKILL', () => {
  it('sets every user up exactly once, as the services see it, across kills mid-setup', async () => {
    const { path, crm, start } = await world();
    const KILLS = 4;
    const BATCH = 10;
    let app = await start();
    let n = 0;
    const answers = [await signUp(app.api, n++, '1 Nowhere Rd, Atlantis, ZZ')];
    const rescued: string[] = [];
    for (let round = 0; round <= KILLS; round++) {
      // Each round signs users up, so that there is work to interrupt, then kills mid-setup:
      // while a step of this process has started and not finished.
      for (let i = 0; i < BATCH; i++) answers.push(await signUp(app.api, n++));
      if (round === KILLS) break;
      const current = app;
      await waitFor(() => current.stepsInFlight() > 0, {
        timeout: 30_000,
        what: 'a step in flight',
      });
      await app.kill();
      app = await start();
      rescued.push(...app.jobReports('rescue').flatMap((r) => r.jobIds ?? []));
    }
    const USERS = n;
    expect(answers.map((a) => a.status)).toEqual(Array(USERS).fill(201));
    const final = app;
    await waitFor(async () => (await readBack(path)).status.pending === 0, {
      timeout: 60_000,
      interval: 100,
      what: 'every setup job to be completed or discarded',
    });
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    // A restarted application took back the jobs its killed predecessor was running.
    expect(rescued.length).toBeGreaterThan(0);
    expect(final.lines.at(-1)).toEqual({ event: 'stopped' });

    const { users, jobs, status } = await readBack(path);
    expect(users).toHaveLength(USERS);
    expect(jobs).toHaveLength(2 * USERS);
    expect(jobs.filter((j) => j.state !== 'completed' && j.state !== 'discarded')).toEqual([]);
    // Set up, or discarded with an error per attempt (a kill counts as one, kind 'rescued').
    const discarded = new Map(status.discarded.map((d) => [`${d.userId}/${d.step}`, d]));
    for (const user of users) {
      for (const [step, value] of [
        ['crm', user.crmId],
        ['fulfillment', user.fulfillmentCenterId],
      ] as const) {
        const failure = discarded.get(`${user.id}/${step}`);
        if (value !== null) expect(failure, `${user.email} ${step}`).toBeUndefined();
        else expect(failure?.errors.length, `${user.email} ${step}`).toBeGreaterThan(0);
      }
    }
    // The first user's address is one no service can place.
    expect(discarded.get(`${users[0]!.id}/fulfillment`)?.errors.at(-1)?.message).toMatch(
      /HTTP 422/,
    );
    // As the CRM sees it: no user twice, and each user's CRM id is its own contact. (A
    // contact without a CRM id on its user can only come from a step killed after the
    // CRM answered and then discarded: none expected, and not a duplicate.)
    expect(duplicateContacts(crm)).toEqual([]);
    const emails = new Set(users.map((u) => u.email));
    expect([...crm.contacts.values()].filter((c) => !emails.has(c.email))).toEqual([]);
    const withCrm = users.filter((u) => u.crmId !== null);
    expect(withCrm.length).toBeGreaterThan(0);
    for (const user of withCrm) expect(crm.contacts.get(user.crmId!)?.email).toBe(user.email);
  }, 180_000);

  it('commits a sign-up with its two jobs or not at all, whenever the kill lands', async () => {
    const { path, crm, fulfillment } = await world();
    const KILLS = 8;
    for (let kill = 0; kill < KILLS; kill++) {
      // The application signing users up in a tight loop: most instants are inside a sign-up.
      const child = spawn(process.execPath, [signUpChild, path, crm.url, fulfillment.url], {
        cwd: examples,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      loops.push(child);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.includes('"signed-up"')) resolve();
        });
        void exited.then(() => reject(new Error(`the sign-up loop exited: ${stderr}`)));
      });
      await pause(Math.random() * 200);
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
    const { users, jobs } = await readBack(path);
    expect(users.length).toBeGreaterThanOrEqual(KILLS * 100);
    const jobsOf = new Map<number, string[]>();
    for (const j of jobs) {
      const { userId } = j.args as { userId: number };
      jobsOf.set(userId, [...(jobsOf.get(userId) ?? []), j.key!].sort());
    }
    // Every user has its two jobs, and every job its user.
    const incomplete = users.filter((u) => jobsOf.get(u.id)?.length !== 2).map((u) => u.id);
    expect(incomplete).toEqual([]);
    for (const user of users) {
      expect(jobsOf.get(user.id)).toEqual([`crm:${user.id}`, `fulfillment:${user.id}`]);
    }
    const ids = new Set(users.map((u) => u.id));
    expect([...jobsOf.keys()].filter((id) => !ids.has(id))).toEqual([]);
  }, 240_000);
});
