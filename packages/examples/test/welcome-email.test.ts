import { Runtime } from '@actorkit/core';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { Repo } from '../src/db/repo.js';
import { startMailSink } from '../src/services/mail-sink.js';
import { createMailer } from '../src/welcome-email/mailer.js';
import { logLostEmails, UserService } from '../src/welcome-email/user-service.js';
import { ValidationError } from '../src/welcome-email/validate.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const runtime = new Runtime();
  const repo = Repo.open();
  const sink = await startMailSink();
  const mailer = createMailer({ host: sink.host, port: sink.port });
  const lost: string[] = [];
  const stopLogging = logLostEmails(runtime, (line) => lost.push(line));
  cleanups.push(async () => {
    stopLogging();
    await runtime.stop();
    mailer.close();
    await sink.close();
    repo.close();
  });
  return { runtime, repo, sink, lost, users: new UserService({ runtime, repo, mailer }) };
}

const grace = { email: 'Grace@Example.com', name: 'Grace', address: '3 Beacon St, Boston, MA' };

describe('UserService.createUser()', () => {
  it('returns the user at once and the welcome email arrives at the SMTP sink', async () => {
    const { users, sink, repo } = await setUp();
    const result = await users.createUser(grace);
    expect(result.ok).toBe(true);
    expect(sink.received).toHaveLength(0);
    const [mail] = await sink.waitFor(1);
    expect(mail).toMatchObject({ to: ['grace@example.com'], subject: 'Welcome, Grace!' });
    expect(mail!.raw).toContain('your account is ready');
    expect(repo.listUsers().map((u) => u.email)).toEqual(['grace@example.com']);
  });

  it('returns a clear error for bad params, inserts nothing and sends nothing', async () => {
    const { runtime, users, repo, sink } = await setUp();
    const spawned: unknown[] = [];
    runtime.events.on('spawn', (event) => spawned.push(event.pid));
    const result = await users.createUser({ email: 'grace', name: '', address: 42 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ValidationError);
    expect((result.error as ValidationError).fields).toEqual({
      email: 'must be an email address like ada@example.com',
      name: 'must not be blank',
      address: 'must be a string',
    });
    expect(repo.listUsers()).toEqual([]);
    // No email task was started for it; and a valid user's email, created after it, is
    // the only one the sink gets.
    expect(spawned).toEqual([]);
    await users.createUser(grace);
    const mails = await sink.waitFor(1);
    expect(mails.map((m) => m.to)).toEqual([['grace@example.com']]);
    expect(spawned).toHaveLength(1);
  });

  it('refuses an email already taken', async () => {
    const { users } = await setUp();
    await users.createUser(grace);
    const again = await users.createUser(grace);
    expect(again.ok).toBe(false);
    expect(!again.ok && again.error.message).toMatch(/already exists/);
  });

  it('still creates the user when the mail server is down, and logs the lost email', async () => {
    const { users, sink, repo, lost } = await setUp();
    await sink.close();
    const result = await users.createUser(grace);
    expect(result.ok).toBe(true);
    expect(repo.listUsers()).toHaveLength(1);
    await waitFor(() => lost.length === 1, { what: 'the loss to be logged' });
    expect(lost[0]).toMatch(/welcome email to grace@example.com lost: .*ECONNREFUSED/);
  });
});
