import type { Pid, Runtime } from '@actorkit/core';
import { GenServer, Supervisor } from '@actorkit/genserver';
import { RabbitMqStore } from '@actorkit/jobs/rabbitmq';
import Database from 'better-sqlite3';
import { ApplicationDownError, type UsersApiHandlers } from '../account-setup/api.js';
import { type NewUser, Repo, RepoError, type User } from '../db/repo.js';
import { Outbox } from './outbox.js';
import { OutboxRelay, type RelayStats } from './outbox-relay.js';
import { rabbitSetupWorkers, SETUP_QUEUE } from './workers.js';

/** Options for {@link RabbitAccountSetup.start}. */
export interface RabbitAccountSetupOptions {
  runtime: Runtime;
  /** The application's SQLite file: its users and the outbox of their setup jobs. */
  path: string;
  /** The broker, `amqp://user:password@host:5672/vhost`. */
  url: string;
  /** The prefix of the broker's queue names (the workers must use the same). @default 'actorkit.jobs' */
  prefix?: string;
  /** Ms between the relay's looks at the outbox when no sign-up woke it. @default 250 */
  relayInterval?: number;
  /**
   * Ms a publish (and the start's queue declaration) waits for a connection to the broker
   * before it fails; a failed publish leaves its row for the relay's next pass. @default 5000
   */
  unavailableTimeout?: number;
}

/**
 * Scenario 1 on RabbitMQ: the API side of the account setup whose steps run in worker
 * processes, on as many machines as needed, consuming one queue of a broker. The users
 * stay in the application's SQLite database; the setup jobs go to RabbitMQ.
 *
 * A broker cannot take part in a database transaction, so `signUp` does not publish: it
 * commits the user and a row per step in the outbox (`outbox.ts`) in one transaction,
 * and answers. The `OutboxRelay`, under the application's supervisor, publishes each
 * row as a job with a publisher confirm and deletes it only after the confirm. Nothing
 * is lost between the commit and the broker: a crash leaves the rows, which the next
 * start publishes. A job may go out twice (a crash between confirm and delete) and may
 * be delivered twice (a worker killed before its ack reached the broker): the steps are
 * idempotent (`workers.ts`).
 *
 * Compared with the SQLite variant (`../account-setup-durable/`), where users and jobs
 * share one transaction: the broker spreads the work over machines and confirms each
 * job on a quorum queue, but cannot list, count or cancel its jobs, so what became of a
 * user is read from the users table and `setup_failures`, not from the queue.
 *
 * @example
 * const setup = await RabbitAccountSetup.start({ runtime, path: 'data/app.db', url: 'amqp://127.0.0.1' });
 * setup.signUp({ email: 'ada@example.com', name: 'Ada', address: '1 Main St, Boston, MA' });
 * // committed with its two outbox rows; the relay publishes them at once.
 */
export class RabbitAccountSetup {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly runtime: Runtime,
    readonly supervisor: Pid<any>,
    /** The prefix of the broker's queue names. */
    readonly prefix: string,
    /** The publishing side of the broker. */
    readonly store: RabbitMqStore,
    readonly repo: Repo,
    readonly outbox: Outbox,
    private readonly db: Database.Database,
    private readonly insertSignUp: (user: NewUser) => number,
  ) {}

  /**
   * Opens the database (creating its tables if needed), declares the setup queue on the
   * broker and starts the relay. Rejects with the store's `BrokerUnavailableError` when
   * the broker cannot be reached within its `unavailableTimeout`.
   */
  static async start(options: RabbitAccountSetupOptions): Promise<RabbitAccountSetup> {
    const { runtime, path, url } = options;
    const repo = Repo.open(path);
    const db = new Database(path);
    db.pragma('busy_timeout = 10000');
    const outbox = Outbox.open(db);
    const store = new RabbitMqStore({
      url,
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.unavailableTimeout !== undefined && {
        unavailableTimeout: options.unavailableTimeout,
      }),
    });
    try {
      // At deploy time, not in the instant before a crash (see the jobs README).
      await store.declareQueue(SETUP_QUEUE);
    } catch (error) {
      await store.close();
      db.close();
      repo.close();
      throw error;
    }
    // Only names and queues are published: the relay needs no services.
    const workers = rabbitSetupWorkers({ repo, crmUrl: '', fulfillmentUrl: '' });
    const relay = OutboxRelay.childSpec({
      outbox,
      store,
      workers,
      interval: options.relayInterval ?? 250,
    });
    const supervisor = await Supervisor.start([relay], {
      runtime,
      name: 'AccountSetupRabbitMq.Application',
      strategy: 'one_for_one',
    });
    const insertSignUp = db.transaction((user: NewUser): number => {
      const { id } = db
        .prepare('INSERT INTO users (email, name, address) VALUES (?, ?, ?) RETURNING id')
        .get(user.email, user.name, user.address) as { id: number };
      outbox.add(id, ['crm', 'fulfillment']);
      return id;
    });
    const signUp = (user: NewUser) => insertSignUp.immediate(user);
    const prefix = options.prefix ?? 'actorkit.jobs';
    return new RabbitAccountSetup(runtime, supervisor, prefix, store, repo, outbox, db, signUp);
  }

  /**
   * Commits the user and its two outbox rows in one transaction, wakes the relay and
   * returns the user. Throws `RepoError` (`email_taken`, 409) when the email is used, and
   * `ApplicationDownError` (503) when the database cannot take the write or the
   * application was stopped; either way nothing was inserted. The broker being away
   * does not fail a sign-up: its jobs wait in the outbox.
   */
  signUp(user: NewUser): User {
    if (!this.db.open) {
      throw new ApplicationDownError('The account setup was stopped: its database is closed.');
    }
    let id: number;
    try {
      id = this.insertSignUp(user);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new RepoError('email_taken', `A user with email ${user.email} already exists.`);
      }
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new ApplicationDownError(`The database could not take the sign-up: ${code}.`, {
          cause: error,
        });
      }
      throw error;
    }
    GenServer.cast(OutboxRelay.NAME, 'wake', { runtime: this.runtime });
    return this.repo.getUser(id)!;
  }

  /** What the relay did: jobs published, rows pending, publishes that failed. */
  relayStats(): Promise<RelayStats> {
    return GenServer.call(OutboxRelay.NAME, { type: 'stats' }, { runtime: this.runtime });
  }

  /**
   * What the users API serves: `POST /users`, `GET /users/:id`, `GET /setup-failures`
   * (the steps that gave up, as the workers recorded them).
   */
  handlers(): UsersApiHandlers {
    return {
      signUp: async (user) => this.signUp(user),
      getUser: (id) => this.repo.getUser(id),
      listSetupFailures: () => this.repo.listSetupFailures(),
    };
  }

  /**
   * Stops the relay (a pass under way finishes: its confirmed rows are deleted), closes
   * the broker connection and the database. Rows still in the outbox are published by
   * the next start. Stopping again does nothing.
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
