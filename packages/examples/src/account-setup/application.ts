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
 * application supervisor over a `SetupTracker` and a `TaskSupervisor` named
 * `AccountSetupSupervisor`. `setUpUserAccount(user)` starts the CRM and the fulfillment
 * task, each `restart: 'transient'`, and returns as soon as they are started.
 *
 * The strategy is `rest_for_one` (the article's is one_for_one): the tracker holds the
 * books of the running tasks, so if it ever crashed, the tasks it no longer knows are
 * stopped with it (and recorded by its `terminate`) rather than left unaccounted for.
 * The task supervisor, the last child, is restarted alone, as with one_for_one.
 *
 * **Nothing lost silently.** Every step ends with its id stored on the user or a row in
 * `setup_failures`: a failure is written to the database by whoever sees it (the task
 * that gives up, `setUpUserAccount` when a task cannot be started), never only told to
 * a tracker that may be gone; the tracker records the steps whose task supervisor went
 * down, and on its way down every step still open. Once the application supervisor is
 * gone (past its own restart intensity), `signUp` refuses with `ApplicationDownError`
 * (the API's `503`) instead of accepting users nobody will set up.
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
    /** The report of the last tracker that stopped, for `report()` once the application is down. */
    private readonly last: { report?: SetupReport },
  ) {}

  /** Starts the application's supervision tree. */
  static async start(options: AccountSetupOptions): Promise<AccountSetup> {
    const { runtime, repo } = options;
    const last: { report?: SetupReport } = {};
    const tracker = {
      repo,
      supervisorName: names.tasks,
      onStop: (r: SetupReport) => (last.report = r),
    };
    const supervisor = await Supervisor.start(
      [
        {
          id: 'SetupTracker',
          start: ({ runtime, self }) =>
            GenServer.startLink(SetupTracker, tracker, {
              runtime,
              link: self,
              name: names.tracker,
            }),
        },
        [TaskSupervisor, { name: names.tasks }],
      ],
      { runtime, name: names.application, strategy: 'rest_for_one' },
    );
    return new AccountSetup(runtime, supervisor, options, last);
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
   * `AccountSetupSupervisor` and resolves once both are started (not finished). A step
   * whose task cannot be started (the supervisor is down or restarting, the tracker is
   * gone) is recorded in `setup_failures` here and now.
   */
  async setUpUserAccount(user: User): Promise<void> {
    for (const step of ['crm', 'fulfillment'] as const) await this.startStep(step, user);
  }

  /**
   * Every step's status, and which users are completed, incomplete or pending. Once the
   * application is down, the last report its tracker made on the way down.
   */
  async report(): Promise<SetupReport> {
    try {
      return await GenServer.call(names.tracker, { type: 'report' }, { runtime: this.runtime });
    } catch (error) {
      if (this.last.report !== undefined && !this.runtime.isAlive(this.supervisor)) {
        return this.last.report;
      }
      throw error;
    }
  }

  /** The current `AccountSetupSupervisor` (a new PID after each restart). */
  taskSupervisor(): Pid<any> | undefined {
    return this.runtime.whereis(names.tasks);
  }

  /** Stops the tasks, the tracker and the application supervisor. */
  stop(): Promise<void> {
    return Supervisor.stop(this.supervisor, 'shutdown', { runtime: this.runtime });
  }

  private async startStep(step: SetupStep, user: User): Promise<void> {
    const { runtime } = this;
    const supervisor = runtime.whereis(names.tasks);
    try {
      if (supervisor === undefined) {
        throw new Error(`${names.tasks} is not running (down or being restarted)`);
      }
      // A call, not a cast: if the tracker is gone, this throws and the step is recorded below.
      await GenServer.call(
        names.tracker,
        { type: 'queued', userId: user.id, step, supervisor },
        { runtime },
      );
      await TaskSupervisor.startChild(supervisor, this.task(step, user), {
        restart: 'transient',
        runtime,
      });
    } catch (error) {
      const reason = `could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.options.repo.recordSetupFailure(user.id, step, reason);
      GenServer.cast(names.tracker, { type: 'giveUp', userId: user.id, step, reason }, { runtime });
    }
  }

  private task(step: SetupStep, user: User) {
    const { maxAttempts = 5 } = this.options;
    return (ctx: ProcessContext<any>) => runStep(ctx, step, user, this.options, maxAttempts);
  }
}

/**
 * One attempt at a step, inside its task. Success: `done`. A 4xx answer, or the last
 * allowed attempt failing: the task gives up (recorded in `setup_failures`) and exits normally, so a
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
    { type: 'begin', userId, step, pid: ctx.self, supervisor: ctx.parent },
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
      // Into the database first: the tracker hears of it too, if it is still there.
      deps.repo.recordSetupFailure(userId, step, why);
      GenServer.cast(names.tracker, { type: 'giveUp', userId, step, reason: why }, { runtime });
      return;
    }
    GenServer.cast(names.tracker, { type: 'error', userId, step, error: reason }, { runtime });
    throw error;
  }
}
