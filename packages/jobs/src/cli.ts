/**
 * `actorkit-jobs`: look at and act on jobs from a shell, in a SQLite database file (while
 * the application runs or not: SQLite lets several processes share the file), or through
 * a running observer's Jobs view (`jobsView(store)` of this package, any store).
 *
 *   actorkit-jobs --db data/jobs.db list [--state s[,s]] [--queue q] [--worker w] [--limit n]
 *   actorkit-jobs --url http://127.0.0.1:4000 --token T list …   (the same commands)
 *   actorkit-jobs … show <id>
 *   actorkit-jobs … retry <id> | --all-discarded [--queue q] [--worker w]
 *   actorkit-jobs … cancel <id>
 *   actorkit-jobs … discard <id>
 *   actorkit-jobs … counts
 *
 * Through an observer whose Jobs view shows a RabbitMQ store, the same commands work where a
 * broker can answer: `list --state executing|discarded` (the attempts in the observer's
 * process, the dead letters), `show` and `retry` a dead letter (back to its work queue),
 * `retry --all-discarded`, `discard` (removes a dead letter), `counts` (the messages per
 * queue: ready, unacked, consumers, delayed, dead); the rest exits with 1 and the view's
 * "not available on this store: <why>".
 *
 * Every command takes `--json` for output a program reads, and prints the same either way.
 * `show` prints a job's args through `--redact <module>`, a module exporting
 * `redact(args, job)`, when given (against an observer, on top of the view's own hook).
 * Exit codes: 0 done, 1 the command could not be done (no such job, a job in a state the
 * action does not apply to, the database or the observer unavailable), 2 a usage error.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { JobActionRefusedError } from './cli-actions.js';
import {
  type CliBackend,
  CliFailure,
  type ObserverTarget,
  observerBackend,
  storeBackend,
} from './cli-backend.js';
import {
  formatBrokerQueues,
  formatCounts,
  formatJobDetail,
  formatJobList,
  safeJson,
} from './cli-format.js';
import { describeCause, JobsError } from './errors.js';
import { JOB_STATES, type JobState } from './job.js';
import type { RedactArgs } from './observer-view-data.js';
import type { AmqpTarget } from './rabbitmq/cli-backend.js';
import { SqliteStore } from './sqlite-store.js';

export type { RedactArgs } from './observer-view-data.js';

const USAGE = `usage: actorkit-jobs (--db <file> | --url <observer url> --token <token>) <command> [options] [--json]
where:
  --db <file>                          a SQLite jobs database (never created)
  --url <url> --token <token>          a running observer with the Jobs view, of any store (--view <id>,
                                       default jobs); the token may come from ACTORKIT_OBSERVER_TOKEN
  --amqp <url> [--prefix p] [--management <url>] [--queues q,q]   a RabbitMQ store's broker, directly
                                       (prefix actorkit.jobs; the management API for unacked counts,
                                       delay queues and every queue; else the --queues to look at)
commands:
  list [--state s[,s…]] [--queue q] [--worker w] [--limit n]   jobs in id order (limit 100)
  show <id> [--redact <module>]        a job: args, timing, every failed attempt and its stack
  retry <id>                           make a job available now (one more attempt if it had none)
  retry --all-discarded [--queue q] [--worker w]   retry every discarded job (of a queue, a worker)
  cancel <id>                          cancel a job that is not final
  discard <id>                         discard a job that is not final
  counts                               jobs per queue and state
on a RabbitMQ store (--url of an observer, or --amqp): list --state discarded (the dead letters;
  executing too through --url: the observer's attempts), show and retry a dead letter (back to its
  queue), retry --all-discarded, discard <id> (removes a dead letter), counts (messages per
  queue); what a broker cannot do is refused, saying why`;

/** A command line, parsed. */
export type CliCommand =
  | { command: 'list'; state?: JobState[]; queue?: string; worker?: string; limit: number }
  | { command: 'show'; id: string; redact?: string }
  | { command: 'retry'; id: string }
  | { command: 'retry-all'; queue?: string; worker?: string }
  | { command: 'cancel' | 'discard'; id: string }
  | { command: 'counts' };

/** Where the jobs are: a database file, a running observer, or a RabbitMQ broker. */
export type CliSource = { db: string } | { observer: ObserverTarget } | { amqp: AmqpTarget };

/** A command line, parsed: the command, where the jobs are and the output format. */
export type CliRequest = CliCommand & { source: CliSource; json: boolean };

/** A usage error: the message and the usage; the CLI exits with 2. */
export class CliUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n${USAGE}`);
    this.name = 'CliUsageError';
  }
}

/** Parses the command line; throws `CliUsageError` on bad input or `--help`. */
export function parseCli(argv: readonly string[]): CliRequest {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    throw new CliUsageError('actorkit-jobs: jobs in a SQLite database file or a running observer.');
  }
  const source = sourceOf(values);
  const [name, ...rest] = positionals;
  if (name === undefined) throw new CliUsageError('a command is required.');
  const command = toCommand(name, rest, values, 'db' in source);
  const allowed = FLAGS_OF[command.command];
  for (const flag of ['state', 'queue', 'worker', 'limit', 'all-discarded', 'redact'] as const) {
    if (values[flag] !== undefined && !allowed.includes(flag)) {
      throw new CliUsageError(`--${flag} does not apply to ${name}.`);
    }
  }
  return { ...command, source, json: values.json ?? false };
}

function sourceOf(values: RawValues): CliSource {
  const { db, url, view, amqp } = values;
  const token = values.token ?? process.env.ACTORKIT_OBSERVER_TOKEN;
  if (db !== undefined && url !== undefined) {
    throw new CliUsageError('--db and --url exclude each other: give one.');
  }
  for (const flag of ['prefix', 'management', 'queues'] as const) {
    if (values[flag] !== undefined && amqp === undefined) {
      throw new CliUsageError(`--${flag} goes with --amqp.`);
    }
  }
  if (amqp !== undefined) return amqpSource(values, amqp);
  if (db !== undefined) {
    if (values.token !== undefined || view !== undefined) {
      throw new CliUsageError(
        `--${view !== undefined ? 'view' : 'token'} goes with --url, not --db.`,
      );
    }
    return { db };
  }
  if (url === undefined) {
    throw new CliUsageError(
      '--db <file> or --url <observer url> is required (or --amqp <broker url>).',
    );
  }
  if (!/^https?:\/\/[^/]+/.test(url) || !URL.canParse(url)) {
    throw new CliUsageError(
      `--url must be the observer's http URL, like http://127.0.0.1:4000; got ${url}.`,
    );
  }
  if (token === undefined || token === '') {
    throw new CliUsageError(
      "--url needs the observer's token: --token <token>, or ACTORKIT_OBSERVER_TOKEN.",
    );
  }
  return { observer: { url, token, view: view ?? 'jobs' } };
}

function amqpSource(values: RawValues, amqp: string): CliSource {
  const others = (['db', 'url', 'token', 'view'] as const).filter((f) => values[f] !== undefined);
  if (others.length > 0) {
    throw new CliUsageError(`--amqp excludes --${others.join(', --')}: give one source.`);
  }
  if (!/^amqps?:\/\/[^/]/.test(amqp) || !URL.canParse(amqp)) {
    throw new CliUsageError(
      `--amqp must be the broker's amqp:// or amqps:// URL, like amqp://user:pass@127.0.0.1:5672; got ${amqp}.`,
    );
  }
  const management = values.management;
  if (management !== undefined && (!/^https?:\/\//.test(management) || !URL.canParse(management))) {
    throw new CliUsageError(
      `--management must be the management API's http URL, like http://127.0.0.1:15672; got ${management}.`,
    );
  }
  const queues = (values.queues ?? '')
    .split(',')
    .map((q) => q.trim())
    .filter((q) => q !== '');
  return { amqp: { url: amqp, prefix: values.prefix, managementUrl: management, queues } };
}

const FLAGS_OF: Record<CliCommand['command'], readonly string[]> = {
  list: ['state', 'queue', 'worker', 'limit'],
  show: ['redact'],
  retry: [],
  'retry-all': ['queue', 'worker', 'all-discarded'],
  cancel: [],
  discard: [],
  counts: [],
};

function parseRaw(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      view: { type: 'string' },
      amqp: { type: 'string' },
      prefix: { type: 'string' },
      management: { type: 'string' },
      queues: { type: 'string' },
      json: { type: 'boolean' },
      state: { type: 'string' },
      queue: { type: 'string' },
      worker: { type: 'string' },
      limit: { type: 'string' },
      'all-discarded': { type: 'boolean' },
      redact: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type RawValues = ReturnType<typeof parseRaw>['values'];

function toCommand(
  name: string,
  rest: readonly string[],
  values: RawValues,
  sqlite: boolean,
): CliCommand {
  const { queue, worker } = values;
  const jobId = (command: string) => idOf(command, rest, sqlite);
  switch (name) {
    case 'list':
      noArguments(name, rest);
      return { command: 'list', state: states(values.state), queue, worker, limit: limit(values) };
    case 'counts':
      noArguments(name, rest);
      return { command: 'counts' };
    case 'retry':
      if (values['all-discarded']) {
        noArguments('retry --all-discarded', rest);
        return { command: 'retry-all', queue, worker };
      }
      return { command: 'retry', id: jobId(name) };
    case 'show':
      return { command: 'show', id: jobId(name), redact: values.redact };
    case 'cancel':
    case 'discard':
      return { command: name, id: jobId(name) };
    default:
      throw new CliUsageError(`unknown command ${JSON.stringify(name)}.`);
  }
}

function noArguments(name: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new CliUsageError(`${name} takes no argument, got ${rest.join(' ')}.`);
}

/** The job id argument: a positive integer in a SQLite database; through an observer, any store's id (a RabbitMQ job's is a UUID). */
function idOf(name: string, rest: readonly string[], sqlite: boolean): string {
  const pattern = sqlite ? /^[1-9]\d*$/ : /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
  if (rest.length !== 1 || !pattern.test(rest[0] ?? '')) {
    const got = rest.length === 0 ? 'nothing' : rest.join(' ');
    const also = name === 'retry' ? ' (or --all-discarded)' : '';
    const kind = sqlite ? 'a positive integer' : 'letters, digits, . _ : -';
    throw new CliUsageError(`${name} takes one job id${also}, ${kind}; got ${got}.`);
  }
  return rest[0] as string;
}

function states(value: string | undefined): JobState[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((state) => state.trim());
  for (const state of list) {
    if (!JOB_STATES.includes(state as JobState)) {
      throw new CliUsageError(`--state must be among ${JOB_STATES.join(', ')}; got ${state}.`);
    }
  }
  return list as JobState[];
}

function limit(values: RawValues): number {
  if (values.limit === undefined) return 100;
  const n = Number(values.limit);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliUsageError(`--limit must be an integer >= 1, got ${values.limit}.`);
  }
  return n;
}

/** What `main` writes to and how it shows args; tests and embedding programs pass their own. */
export interface CliIo {
  /** Where output goes. @default process.stdout */
  out?: (text: string) => void;
  /** Where errors go. @default process.stderr */
  err?: (text: string) => void;
  /** Shows args without secrets; `--redact <module>` replaces it. @default args as stored */
  redact?: RedactArgs;
}

/**
 * Runs the CLI with `argv` (without `node` and the script); resolves with the exit code:
 * 0 done, 1 not done (the reason on `err`), 2 a usage error (the usage on `err`).
 *
 * @example
 * process.exitCode = await main(['--db', 'data/jobs.db', 'list', '--state', 'discarded']);
 * process.exitCode = await main(['--url', 'http://127.0.0.1:4000', '--token', token, 'counts']);
 */
export async function main(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  let request: CliRequest;
  try {
    request = parseCli(argv);
  } catch (error) {
    err(`${(error as Error).message}\n`);
    return 2;
  }
  let db: Database.Database | undefined;
  let closing: (() => Promise<void>) | undefined;
  try {
    const redact =
      request.command === 'show' ? await redactor(request.redact, io.redact) : undefined;
    let backend: CliBackend;
    if ('db' in request.source) {
      db = openDatabase(request.source.db);
      backend = storeBackend(new SqliteStore({ database: db }));
    } else if ('observer' in request.source) {
      backend = observerBackend(request.source.observer);
    } else {
      // Loaded only for --amqp: the other sources never load amqplib.
      const { amqpBackend } = await import('./rabbitmq/cli-backend.js');
      const broker = amqpBackend(request.source.amqp);
      closing = broker.close;
      backend = broker;
    }
    out(`${await run(backend, request, redact, err)}\n`);
    return 0;
  } catch (error) {
    const known =
      error instanceof CliFailure ||
      error instanceof JobsError ||
      error instanceof JobActionRefusedError;
    err(`actorkit-jobs: ${known ? error.message : describeCause(error)}\n`);
    return 1;
  } finally {
    db?.close();
    await closing?.();
  }
}

/** Opens an existing jobs database; refuses a missing file or one without jobs tables (never creates them). */
function openDatabase(path: string): Database.Database {
  if (!existsSync(path)) throw new CliFailure(`no database file at ${path}.`);
  const db = new Database(path, { fileMustExist: true });
  const table = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'actorkit_jobs'`)
    .get();
  if (table === undefined) {
    db.close();
    throw new CliFailure(`${path} holds no jobs (no actorkit_jobs table): is it the right file?`);
  }
  return db;
}

async function redactor(
  module: string | undefined,
  given: RedactArgs | undefined,
): Promise<RedactArgs> {
  if (module === undefined) return given ?? ((args) => args);
  const loaded = (await import(pathToFileURL(resolve(module)).href)) as { redact?: unknown };
  if (typeof loaded.redact !== 'function') {
    throw new CliFailure(`--redact ${module} must export a function redact(args, job).`);
  }
  return loaded.redact as RedactArgs;
}

async function run(
  backend: CliBackend,
  request: CliRequest,
  redact: RedactArgs | undefined,
  err: (text: string) => void,
): Promise<string> {
  switch (request.command) {
    case 'list': {
      const { state, queue, worker, limit } = request;
      const { jobs, notes } = await backend.list({ state, queue, worker, limit });
      for (const note of notes ?? []) err(`actorkit-jobs: note: ${note}\n`);
      return request.json ? safeJson(jobs) : formatJobList(jobs);
    }
    case 'counts':
      return counts(backend, request.json);
    case 'show': {
      const job = await backend.get(request.id);
      const args = (redact ?? ((a) => a))(job.args, job);
      return request.json ? safeJson({ ...job, args }) : formatJobDetail(job, args);
    }
    case 'retry-all': {
      const { queue, worker } = request;
      const count = await backend.retryAll({ queue, worker, states: ['discarded'] });
      return request.json ? safeJson({ retried: count }) : `retried ${count} discarded jobs.`;
    }
    case 'retry':
    case 'cancel':
    case 'discard': {
      const { before, after, message } = await backend.act(request.command, request.id);
      if (request.json) return safeJson(after);
      return message ?? `job ${request.id}: ${before} -> ${after.state}`;
    }
  }
}

/** Jobs per queue and state; from a store that counts no jobs by state (a broker), its queues' depths instead. */
async function counts(backend: CliBackend, json: boolean): Promise<string> {
  try {
    const counted = await backend.counts();
    return json ? safeJson(counted) : formatCounts(counted);
  } catch (error) {
    const broker = backend.broker;
    if (!(error instanceof CliFailure && error.code === 'not_available') || broker === undefined) {
      throw error;
    }
    const answer = await broker();
    return json ? safeJson(answer) : formatBrokerQueues(answer);
  }
}

// Run as a script (`tsx src/cli.ts`); the bin imports `main` instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
