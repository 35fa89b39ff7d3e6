import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** A user row. */
export interface User {
  id: number;
  email: string;
  name: string;
  address: string;
  /** Set by the CRM task once the CRM has the user. */
  crmId: string | null;
  /** Set by the fulfillment task once the nearest center is known. */
  fulfillmentCenterId: string | null;
  createdAt: string;
}

/** What creating a user takes. */
export interface NewUser {
  email: string;
  name: string;
  address: string;
}

/** Which account-setup step failed for good. */
export type SetupStep = 'crm' | 'fulfillment';

/** A setup step that gave up: recorded, not silently dropped, as the article advises. */
export interface SetupFailure {
  id: number;
  userId: number;
  step: SetupStep;
  reason: string;
  failedAt: string;
}

const schema = `
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    crm_id TEXT,
    fulfillment_center_id TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE TABLE IF NOT EXISTS setup_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    step TEXT NOT NULL CHECK (step IN ('crm', 'fulfillment')),
    reason TEXT NOT NULL,
    failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE INDEX IF NOT EXISTS setup_failures_user_step ON setup_failures (user_id, step);
`;

const userColumns = `id, email, name, address, crm_id AS crmId,
  fulfillment_center_id AS fulfillmentCenterId, created_at AS createdAt`;

/**
 * The examples' database, as an Ecto `Repo` in the article: SQLite through
 * better-sqlite3, embedded and synchronous (a query never yields to the event loop,
 * so it is safe to call from any process). `Repo.open()` is in memory (tests);
 * `Repo.open('data/examples.db')` a file, created with its folder.
 */
export class Repo {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (and migrates) the database at `path`. @default ':memory:' */
  static open(path = ':memory:'): Repo {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(schema);
    return new Repo(db);
  }

  /** Inserts a user; throws `RepoError` (`email_taken`) if the email is already used. */
  insertUser(user: NewUser): User {
    try {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO users (email, name, address) VALUES (?, ?, ?)')
        .run(user.email, user.name, user.address);
      return this.getUser(Number(lastInsertRowid))!;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new RepoError('email_taken', `A user with email ${user.email} already exists.`);
      }
      throw error;
    }
  }

  /** The user with `id`, or undefined. */
  getUser(id: number): User | undefined {
    return this.db.prepare(`SELECT ${userColumns} FROM users WHERE id = ?`).get(id) as
      | User
      | undefined;
  }

  /** Every user, oldest first. */
  listUsers(): User[] {
    return this.db.prepare(`SELECT ${userColumns} FROM users ORDER BY id`).all() as User[];
  }

  /** Stores the CRM's id for the user. */
  setCrmId(userId: number, crmId: string): void {
    this.db.prepare('UPDATE users SET crm_id = ? WHERE id = ?').run(crmId, userId);
  }

  /** Stores the user's nearest fulfillment center. */
  setFulfillmentCenterId(userId: number, centerId: string): void {
    this.db
      .prepare('UPDATE users SET fulfillment_center_id = ? WHERE id = ?')
      .run(centerId, userId);
  }

  /**
   * Records that `step` gave up for `userId`, and why; returns whether a row was added.
   * Idempotent, so every part that sees a step fail may record it without counting it
   * twice: nothing is added when the step already has a row (the first reason stands)
   * or is done after all (its id is stored on the user).
   */
  recordSetupFailure(userId: number, step: SetupStep, reason: string): boolean {
    const { changes } = this.db
      .prepare(
        `INSERT INTO setup_failures (user_id, step, reason)
         SELECT @userId, @step, @reason
         WHERE NOT EXISTS (SELECT 1 FROM setup_failures WHERE user_id = @userId AND step = @step)
           AND NOT EXISTS (SELECT 1 FROM users WHERE id = @userId
             AND (CASE @step WHEN 'crm' THEN crm_id ELSE fulfillment_center_id END) IS NOT NULL)`,
      )
      .run({ userId, step, reason });
    return changes > 0;
  }

  /** Every recorded setup failure, oldest first. */
  listSetupFailures(): SetupFailure[] {
    return this.db
      .prepare(
        'SELECT id, user_id AS userId, step, reason, failed_at AS failedAt FROM setup_failures ORDER BY id',
      )
      .all() as SetupFailure[];
  }

  /** Closes the database; the Repo is unusable afterwards. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** A database operation was refused for a reason the caller can act on. */
export class RepoError extends Error {
  override readonly name = 'RepoError';

  constructor(
    readonly code: 'email_taken',
    message: string,
  ) {
    super(message);
  }

  static is(value: unknown): value is RepoError {
    return value instanceof RepoError;
  }
}
