import type { JobBackoff } from './retry.js';

/**
 * A job's life, as Oban's: `scheduled` (waits for its time) → `available` → `executing`
 * → `completed`, or `retryable` (failed, waits for its backoff) → `executing` again …,
 * until `discarded` (gave up: attempts exhausted, or the worker said so) or `cancelled`
 * (by hand). `completed`, `discarded` and `cancelled` are final (a manual retry revives
 * the last two, and a completed job only when asked: `retryJob(id, { includeCompleted })`).
 */
export type JobState =
  | 'scheduled'
  | 'available'
  | 'executing'
  | 'retryable'
  | 'completed'
  | 'discarded'
  | 'cancelled';

/** Every state, in life order. */
export const JOB_STATES: readonly JobState[] = [
  'scheduled',
  'available',
  'executing',
  'retryable',
  'completed',
  'discarded',
  'cancelled',
];

/** The states a job waits in to be claimed (once its `runAt` has come). */
export const WAITING_STATES: readonly JobState[] = ['scheduled', 'available', 'retryable'];

/** The final states: pruned after the retention. */
export const FINAL_STATES: readonly JobState[] = ['completed', 'discarded', 'cancelled'];

/**
 * How an attempt that did not complete ended, as kept in the job's history:
 * - `'error'`: the worker threw or rejected;
 * - `'exit'`: its process exited without a result (killed, a linked process crashed, a timeout);
 * - `'rescued'`: its node died (lease lapsed, or the node restarted), so nobody knows.
 */
export type AttemptErrorKind = 'error' | 'exit' | 'rescued';

/** One failed attempt in a job's history: what went wrong, where and when. */
export interface AttemptError {
  attempt: number;
  /** When the attempt ended, in ms on the store's clock. */
  at: number;
  /** When it started, if known. */
  startedAt?: number;
  kind: AttemptErrorKind;
  /** The error's name (`TypeError`, …), or the exit reason's kind. */
  name: string;
  message: string;
  stack?: string;
  /** The node that ran the attempt. */
  node?: string;
}

/** A job as a store keeps it. Times are ms on the store's clock (`Date.now()` by default). */
export interface Job<Args = unknown> {
  id: string;
  queue: string;
  /** The worker's name. */
  worker: string;
  args: Args;
  state: JobState;
  /** 0 runs first; larger runs later. */
  priority: number;
  /** Attempts started so far (the running one included); requeues at shutdown and snoozes give theirs back. */
  attempt: number;
  maxAttempts: number;
  /** The uniqueness key it was enqueued with, if any. */
  key: string | null;
  insertedAt: number;
  /** When it may run (next). */
  runAt: number;
  /** When its latest attempt started. */
  attemptedAt: number | null;
  /** When it reached a final state. */
  finishedAt: number | null;
  /** The incarnation id of the node running it while `executing` (`store.nodes()` gives its name). */
  node: string | null;
  /** Every failed attempt, oldest first. */
  errors: AttemptError[];
  /** The backoff it was enqueued with, used instead of its worker's; absent when the worker's applies. */
  backoff?: JobBackoff;
}

/**
 * A job claimed for an attempt: the job, plus the fencing `token` every later write for
 * this attempt must present. The store rejects a write with a stale token, so an attempt
 * that outlived its lease cannot overwrite its successor.
 */
export interface ClaimedJob<Args = unknown> extends Job<Args> {
  token: number;
}

/** Which attempt a write is for: the job's id and the token its claim returned. */
export interface AttemptRef {
  id: string;
  token: number;
}

/** Uniqueness of a keyed job: which existing jobs count as duplicates. */
export interface UniqueOptions {
  /** Ms after an existing job's insertion during which it counts. @default Infinity */
  period?: number;
  /** States in which an existing job counts. @default every state but discarded and cancelled */
  states?: readonly JobState[];
}

/** A job to insert, as a store takes it (see `job()` for the typed way to build one). */
export interface NewJob {
  queue: string;
  worker: string;
  /** JSON-serialisable data. */
  args: unknown;
  /** @default 0 */
  priority?: number;
  /** @default 10 */
  maxAttempts?: number;
  /** The wait between its attempts, instead of its worker's backoff. @default the worker's */
  backoff?: JobBackoff;
  /** When it may run, in ms on the store's clock. @default now */
  runAt?: number;
  /** Ms from the insertion until it may run; instead of `runAt`. @default 0 */
  delay?: number;
  /** A uniqueness key: an enqueue whose key matches a job in `unique.states` returns that job instead. */
  key?: string;
  unique?: UniqueOptions;
}

/** What an enqueue did for one job: inserted it, or found a duplicate by its key. */
export interface Enqueued<Args = unknown> {
  job: Job<Args>;
  /** False when the key matched an existing job, which is returned instead. */
  inserted: boolean;
}

/** The default uniqueness states: a discarded or cancelled job does not block a new one. */
export const DEFAULT_UNIQUE_STATES: readonly JobState[] = [
  'scheduled',
  'available',
  'executing',
  'retryable',
  'completed',
];

/** The default attempts of a job. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * @internal The due time a store keeps for a job due at `runAt`, `now` being the store's
 * time: a time still to come rounded up to a whole ms, one already come as it is. Timers
 * fire on whole ms (actorkit's, as Erlang's), so a queue cannot wake at 1000.5: with the
 * due time rounded up, a job starts exactly at its due time on a virtual clock, and never
 * before it on any clock.
 */
export function dueTime(runAt: number, now: number): number {
  return runAt > now ? Math.ceil(runAt) : runAt;
}
