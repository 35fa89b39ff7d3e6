import type { Pid, ProcessContext, Runtime } from '@actorkit/core';
import { GenServer, Supervisor, serverName, TaskSupervisor } from '@actorkit/genserver';
import type { NewUser, SetupStep, User } from '../db/repo.js';
import { ServiceError } from '../services/http-client.js';
import { ApplicationDownError, type UsersApiHandlers } from './api.js';
import { type SetupReport, SetupTracker } from './setup-tracker.js';
import { type SetupDeps, steps } from './steps.js';

/** Registered names of the account-setup application's processes (one per runtime). */
export const names = {
  application: 'AccountSetup.Application',
  tracker: serverName<SetupTracker>('SetupTracker'),
  tasks: 'AccountSetupSupervisor',
} as const;

/** Options for {@link AccountSetup.start}. */
export interface AccountSetupOptions extends SetupDeps {
  runtime: Runtime;
  /** Attempts per step before a task gives up and records the failure. @default 5 */
  maxAttempts?: number;
}

/**
 * Scenario 1 as the article's `YourApp.Application` and `AccountSetupSupervisor`: an
 * application supervisor (one_for_one) over a `SetupTracker` and a `TaskSupervisor`
 * named `AccountSetupSupervisor`. `setUpUserAccount(user)` starts the CRM and the
 * fulfillment task, each `restart: 'transient'`, and returns as soon as they are
 * started.
 *
 * @example
 * const setup = await AccountSetup.start({ runtime, repo, crmUrl, fulfillmentUrl });
 * await setup.setUpUserAccount(repo.insertUser({ email, name, address }));
 */
export class AccountSetup {
  private constructor(
    readonly runtime: Runtime,
    readonly supervisor: Pid<any>,
    private readonly options: AccountSetupOptions,
  ) {}

  /** Starts the application's supervision tree. */
  static async start(options: AccountSetupOptions): Promise<AccountSetup> {
    const { runtime, repo } = options;
    const supervisor = await Supervisor.start(
      [
        {
          id: 'SetupTracker',
          start: ({ runtime, self }) =>
            GenServer.startLink(
              SetupTracker,
              { repo, supervisor: names.tasks },
              { runtime, link: self, name: names.tracker },
            ),
        },
        [TaskSupervisor, { name: names.tasks }],
      ],
      { runtime, name: names.application, strategy: 'one_for_one' },
    );
    return new AccountSetup(runtime, supervisor, options);
  }

  /**
   * The users API's handlers for this variant (see `startUsersApi`): `signUp` inserts
   * the user and starts its setup, reads go to the repo.
   *
   * @example
   * const api = await startUsersApi(setup.handlers());
   */
  handlers(): UsersApiHandlers {
    const { repo } = this.options;
    return {
      signUp: (user) => this.signUp(user),
      getUser: (id) => repo.getUser(id),
      listSetupFailures: () => repo.listSetupFailures(),
    };
  }

  /**
   * Inserts `user` and starts its setup (`setUpUserAccount`); resolves with the row once
   * both tasks are started. Throws `ApplicationDownError`, inserting nothing, when the
   * application supervisor is gone (it went past its own restart intensity, or was
   * stopped): no task could run, so accepting the user would lose its setup. Throws
   * `RepoError` when the email is taken.
   */
  async signUp(user: NewUser): Promise<User> {
    if (!this.runtime.isAlive(this.supervisor)) {
      throw new ApplicationDownError(
        `${names.application} is down (it exceeded its restart intensity or was stopped), so no account can be set up: nothing was saved. Try again once it is restarted.`,
      );
    }
    const row = this.options.repo.insertUser(user);
    await this.setUpUserAccount(row);
    return row;
  }

  /**
   * The article's `set_up_user_account/1`: starts the two setup tasks under
   * `AccountSetupSupervisor` and resolves once both are started (not finished).
   */
  async setUpUserAccount(user: User): Promise<void> {
    const { runtime } = this;
    for (const step of ['crm', 'fulfillment'] as const) {
      GenServer.cast(names.tracker, { type: 'queued', userId: user.id, step }, { runtime });
      try {
        await TaskSupervisor.startChild(names.tasks, this.task(step, user), {
          restart: 'transient',
          runtime,
        });
      } catch (error) {
        // The supervisor is down or restarting: record it rather than lose the user.
        const reason = `could not start: ${error instanceof Error ? error.message : String(error)}`;
        GenServer.cast(
          names.tracker,
          { type: 'giveUp', userId: user.id, step, reason },
          { runtime },
        );
      }
    }
  }

  /** Every step's status, and which users are completed, incomplete or pending. */
  report(): Promise<SetupReport> {
    return GenServer.call(names.tracker, { type: 'report' }, { runtime: this.runtime });
  }

  /** The current `AccountSetupSupervisor` (a new PID after each restart). */
  taskSupervisor(): Pid<any> | undefined {
    return this.runtime.whereis(names.tasks);
  }

  /** Stops the tasks, the tracker and the application supervisor. */
  stop(): Promise<void> {
    return Supervisor.stop(this.supervisor, 'shutdown', { runtime: this.runtime });
  }

  private task(step: SetupStep, user: User) {
    const { maxAttempts = 5 } = this.options;
    return (ctx: ProcessContext<any>) => runStep(ctx, step, user, this.options, maxAttempts);
  }
}

/**
 * One attempt at a step, inside its task. Success: `done`. A 4xx answer, or the last
 * allowed attempt failing: the task gives up (recorded) and exits normally, so a
 * transient task is not restarted. Any other failure: `error`, then the task crashes
 * and its supervisor restarts it.
 */
async function runStep(
  ctx: ProcessContext<any>,
  step: SetupStep,
  user: User,
  deps: SetupDeps,
  maxAttempts: number,
): Promise<void> {
  const { runtime } = ctx;
  const userId = user.id;
  const attempt = await GenServer.call(
    names.tracker,
    { type: 'begin', userId, step, pid: ctx.self },
    { runtime },
  );
  try {
    await steps[step](user, deps, ctx.signal);
    GenServer.cast(names.tracker, { type: 'done', userId, step }, { runtime });
  } catch (error) {
    // Shut down mid-request (ctx.signal aborted the fetch): the process is gone, and
    // its supervisor's shutdown is what the tracker records.
    if (ctx.signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if ((ServiceError.is(error) && error.permanent) || attempt >= maxAttempts) {
      const why = `gave up after ${attempt} attempt(s): ${reason}`;
      GenServer.cast(names.tracker, { type: 'giveUp', userId, step, reason: why }, { runtime });
      return;
    }
    GenServer.cast(names.tracker, { type: 'error', userId, step, error: reason }, { runtime });
    throw error;
  }
}
