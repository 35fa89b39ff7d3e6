import type { Pid, Runtime } from '@actorkit/core';
import { Supervisor } from '@actorkit/genserver';
import { job, Queue, SqliteStore, StoreUnavailableError } from '@actorkit/jobs';
import Database from 'better-sqlite3';
import { ApplicationDownError, type UsersApiHandlers } from '../account-setup/api.js';
import { type NewUser, Repo, RepoError, type User } from '../db/repo.js';
import {
  type DiscardedSetup,
  listDiscarded,
  readSetupStatus,
  type SetupStatus,
} from './setup-status.js';
import { SETUP_QUEUE, type SetupRetry, setupWorkers } from './workers.js';

/** Options for {@link DurableAccountSetup.start}. */
export interface DurableAccountSetupOptions extends SetupRetry {
  runtime: Runtime;
  /** The application's SQLite file: its users and their setup jobs, in one database. */
  path: string;
  crmUrl: string;
  fulfillmentUrl: string;
  /** Setup steps running at once. @default 10 */
  concurrency?: number;
  /**
   * This node's name in the store. Keep it stable across restarts: a restarted
   * application with the same name takes its killed predecessor's jobs back at once,
   * instead of after the lease. @default 'account-setup'
   */
  node?: string;
  /**
   * Ms a sign-up waits for another process's write to the database before it gives up
   * with `ApplicationDownError`. @default 10000
   */
  busyTimeout?: number;
}

/**
 * Scenario 1, durable: the account setup on `@actorkit/jobs` instead of a
 * `TaskSupervisor`. `signUp` inserts the user and its two setup jobs (CRM, fulfillment)
 * in one SQLite transaction, so after a kill at any instant there is a user with its
 * jobs or neither; the queue, a child of the application's supervisor, runs them with
 * retries, and after a crash or a `kill -9` the restarted application picks them up
 * again. Nothing is held in memory that a restart would lose.
 *
 * Compared with the in-memory variant (`../account-setup/application.ts`): a sign-up
 * costs a commit of three rows instead of two task starts; in exchange, work survives
 * the application, retries never spend a supervisor's restart intensity, and a step
 * that gives up is a discarded job with every attempt's error, retried by hand with
 * `store.retryJob(id)` or `actorkit-jobs --db <file> retry <id>`.
 *
 * @example
 * const setup = await DurableAccountSetup.start({ runtime, path: 'data/app.db', crmUrl, fulfillmentUrl });
 * const user = setup.signUp({ email: 'ada@example.com', name: 'Ada', address: '1 Main St, Boston, MA' });
 * // answered at once; the CRM and fulfillment steps run as jobs, surviving a kill.
 */
export class DurableAccountSetup {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly runtime: Runtime,
    readonly supervisor: Pid<any>,
    /** The jobs, on the application's own connection. */
    readonly store: SqliteStore,
    /** The users, as the steps read and write them. */
    readonly repo: Repo,
    private readonly db: Database.Database,
    private readonly insertSignUp: (user: NewUser) => number,
  ) {}

  /** Opens the database (creating it and its tables if needed) and starts the queue under the application's supervisor. */
  static async start(options: DurableAccountSetupOptions): Promise<DurableAccountSetup> {
    const { runtime, path, crmUrl, fulfillmentUrl } = options;
    const repo = Repo.open(path);
    const db = new Database(path);
    const busyTimeout = options.busyTimeout ?? 10_000;
    const store = new SqliteStore({ database: db, durability: 'process', busyTimeout });
    const workers = setupWorkers({ repo, crmUrl, fulfillmentUrl }, options);
    const queue = Queue.childSpec({
      store,
      queue: SETUP_QUEUE,
      workers: [workers.crm, workers.fulfillment],
      concurrency: options.concurrency ?? 10,
      node: options.node ?? 'account-setup',
    });
    const supervisor = await Supervisor.start([queue], {
      runtime,
      name: 'AccountSetupDurable.Application',
      strategy: 'one_for_one',
    });
    const insertSignUp = db.transaction((user: NewUser): number => {
      const { id } = db
        .prepare('INSERT INTO users (email, name, address) VALUES (?, ?, ?) RETURNING id')
        .get(user.email, user.name, user.address) as { id: number };
      store.insert([
        job(workers.crm, { userId: id }, { key: `crm:${id}` }),
        job(workers.fulfillment, { userId: id }, { key: `fulfillment:${id}` }),
      ]);
      return id;
    });
    const signUp = (user: NewUser) => insertSignUp.immediate(user);
    return new DurableAccountSetup(runtime, supervisor, store, repo, db, signUp);
  }

  /**
   * Inserts the user and its two setup jobs in one transaction and returns the user; the
   * steps run in the background, whether or not the queue is running right now. Throws
   * `RepoError` (`email_taken`, answered 409) when the email is already used, and
   * `ApplicationDownError` (503) when the database cannot take the write: another
   * process held it past `busyTimeout`, or the application was stopped. Either way
   * nothing was inserted.
   */
  signUp(user: NewUser): User {
    if (!this.db.open) {
      throw new ApplicationDownError(
        'The durable account setup was stopped: its database is closed.',
      );
    }
    try {
      return this.repo.getUser(this.insertSignUp(user))!;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new RepoError('email_taken', `A user with email ${user.email} already exists.`);
      }
      if (StoreUnavailableError.is(error) || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        const why = error instanceof Error ? error.message : String(error);
        throw new ApplicationDownError(`The database could not take the sign-up: ${why}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The user with `id` (with `crmId` and `fulfillmentCenterId` once its steps are done), or undefined. */
  getUser(id: number): User | undefined {
    return this.repo.getUser(id);
  }

  /** The setup steps that gave up: discarded jobs, each with its user and every attempt's error. */
  listSetupFailures(): Promise<DiscardedSetup[]> {
    return listDiscarded(this.store, this.repo);
  }

  /**
   * What the users API serves: `POST /users`, `GET /users/:id`, `GET /setup-failures`
   * (the discarded steps with each attempt's error, without stack traces).
   */
  handlers() {
    return {
      signUp: async (user: NewUser): Promise<User> => this.signUp(user),
      getUser: (id: number): User | undefined => this.getUser(id),
      // Over HTTP without the stacks (file paths of this machine); the observer's Jobs
      // view and `actorkit-jobs show` have them for whoever operates it.
      listSetupFailures: async (): Promise<DiscardedSetup[]> =>
        (await this.listSetupFailures()).map((failure) => ({
          ...failure,
          errors: failure.errors.map(({ stack: _stack, ...error }) => error),
        })),
    } satisfies UsersApiHandlers;
  }

  /** Where the setup stands: users, users set up, jobs by state, discarded steps. */
  status(): Promise<SetupStatus> {
    return readSetupStatus(this.store, this.repo);
  }

  /**
   * Stops the queue (running steps get its shutdown grace, then go back to `available`
   * for the next start) and closes the database. Stopping again does nothing.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Supervisor.stop(this.supervisor, 'shutdown', { runtime: this.runtime });
      await this.store.close();
      this.db.close();
      this.repo.close();
    })();
    return this.stopping;
  }
}
