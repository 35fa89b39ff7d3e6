import type { Runtime } from '@actorkit/core';
import { Task } from '@actorkit/genserver';
import { type Repo, RepoError, type User } from '../db/repo.js';
import { type Mailer, WelcomeEmailError } from './mailer.js';
import { ValidationError, validateUser } from './validate.js';

/** What `createUser` returns: the user, or why it was refused. Nothing is thrown. */
export type CreateUserResult =
  | { ok: true; user: User }
  | { ok: false; error: ValidationError | RepoError };

/**
 * Scenario 3, as the article's `UserService.create_user/1`: validate, insert, start
 * the welcome email with `Task.start` and return at once. The email is nonessential:
 * if it fails, its task crashes, the crash is logged (see {@link logLostEmails}), and
 * the user is created all the same.
 *
 * @example
 * const users = new UserService({ runtime, repo, mailer });
 * const result = await users.createUser({ email: 'ada@example.com', name: 'Ada', address: '…' });
 * if (!result.ok) console.log(result.error.message);
 */
export class UserService {
  constructor(private readonly deps: { runtime: Runtime; repo: Repo; mailer: Mailer }) {}

  /** Creates a user and sends the welcome email in the background. */
  async createUser(params: unknown): Promise<CreateUserResult> {
    const valid = validateUser(params);
    if (valid instanceof ValidationError) return { ok: false, error: valid };
    let user: User;
    try {
      user = this.deps.repo.insertUser(valid);
    } catch (error) {
      if (RepoError.is(error)) return { ok: false, error };
      throw error;
    }
    const { mailer, runtime } = this.deps;
    Task.start(() => mailer.sendWelcomeEmail(user), { runtime });
    return { ok: true, user };
  }
}

/**
 * Logs every welcome email lost, from the crash reports of the tasks that sent them
 * (Elixir's logger prints a crashed `Task.start` the same way). Returns a function
 * that stops logging.
 */
export function logLostEmails(runtime: Runtime, log: (line: string) => void = console.warn) {
  const onCrash = (report: { error: unknown }) => {
    if (WelcomeEmailError.is(report.error)) log(`[warn] ${report.error.message}`);
  };
  runtime.events.on('crash', onCrash);
  return () => {
    runtime.events.off('crash', onCrash);
  };
}
