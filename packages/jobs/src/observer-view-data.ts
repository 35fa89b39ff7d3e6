/**
 * @internal What the Jobs view reads besides the store's jobs: args through the
 * redaction hook, throughput from samples of the store's counts, and the PIDs of the
 * attempts running in this process.
 */
import { type Pid, type Runtime, runtimeOf } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { describeCause } from './errors.js';
import type { Job, JobState } from './job.js';
import { liveProducers } from './node-names.js';
import type { QueueCounts, Store } from './store.js';

/** Shows a job's args without its secrets: returns what to show instead of `args`. */
export type RedactArgs = (args: unknown, job: Job) => unknown;

/** Keys whose values {@link redactSecrets} masks, anywhere in the args. */
const SECRET_KEY =
  /pass(word|phrase)?|secret|token|api[-_]?key|auth|cookie|session|credential|private[-_]?key|card[-_]?number|cvc|cvv|ssn|iban/i;

/**
 * The Jobs view's default redaction: the args as stored, with the value of every key that
 * names a secret (`password`, `token`, `apiKey`, `secret`, `authorization`, `cookie`,
 * `session`, `credentials`, `privateKey`, `cardNumber`, `cvc`, `ssn`, `iban` …, at any
 * depth) replaced by `'[redacted]'`. Pass your own `redact` to show less (or more).
 */
export function redactSecrets(args: unknown): unknown {
  return mask(args, 0);
}

function mask(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 20) return '[deep]';
  if (Array.isArray(value)) return value.map((item) => mask(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : mask(item, depth + 1);
  }
  return out;
}

/**
 * `redact(job.args, job)` as JSON-safe data; never throws: a hook that throws, or returns
 * what JSON cannot hold, shows a note instead (never the args it failed on).
 */
export function shownArgs(redact: RedactArgs, job: Job): unknown {
  try {
    const shown = redact(job.args, job);
    const text = JSON.stringify(shown);
    return text === undefined ? null : JSON.parse(text);
  } catch (error) {
    return `[args hidden: the redact hook failed: ${describeCause(error)}]`;
  }
}

/** `job` with its args as the hook shows them. */
export function shownJob(redact: RedactArgs, job: Job): Job {
  return { ...job, args: shownArgs(redact, job) };
}

/** One sample of the counts. */
interface Sample {
  at: number;
  counts: Map<string, Partial<Record<JobState, number>>>;
}

/** Completed and failed jobs per second of one queue, between consecutive samples. */
export interface Throughput {
  queue: string;
  /** When each interval ended (ms on the store's clock). */
  at: number[];
  completed: number[];
  failed: number[];
}

/**
 * Throughput from samples of `store.counts()`, taken when the view is read (at most one
 * per `spacing` ms; `size` kept): no timer runs while nobody looks. Between two samples,
 * `completed` is the rise of the completed count, `failed` the rise of the retryable and
 * discarded counts, each per second and never below 0 (pruning and retries lower them).
 */
export class ThroughputHistory {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly spacing = 1000,
    private readonly size = 120,
  ) {}

  /** Keeps `counts` as a sample taken `at`, unless the last one is more recent than `spacing`. */
  add(at: number, counts: readonly QueueCounts[]): void {
    const last = this.samples.at(-1);
    if (last !== undefined && at - last.at < this.spacing) return;
    this.samples.push({ at, counts: new Map(counts.map((c) => [c.queue, c.counts])) });
    if (this.samples.length > this.size) this.samples.shift();
  }

  /** The throughput of `queue` over the samples kept. */
  of(queue: string): Throughput {
    const out: Throughput = { queue, at: [], completed: [], failed: [] };
    for (let i = 1; i < this.samples.length; i++) {
      const before = this.samples[i - 1] as Sample;
      const after = this.samples[i] as Sample;
      const seconds = (after.at - before.at) / 1000;
      const a = after.counts.get(queue);
      const b = before.counts.get(queue);
      const rise = (states: JobState[]) =>
        Math.max(
          0,
          states.reduce((sum, s) => sum + (a?.[s] ?? 0) - (b?.[s] ?? 0), 0),
        ) / seconds;
      out.at.push(after.at);
      out.completed.push(round(rise(['completed'])));
      out.failed.push(round(rise(['retryable', 'discarded'])));
    }
    return out;
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** An attempt running in this process, as its producer holds it. */
export interface RunningAttempt {
  job: Job;
  pid: Pid<any> | undefined;
  /** The incarnation of the node (producer) running it. */
  incarnation: string;
  /** The node's name. */
  node: string;
}

/**
 * The queues and attempts of the producers in `runtime` on `store`: each producer (found
 * by node name) is asked its state through `GenServer.getStatus`, as the observer reads
 * any server. A producer that does not answer within a second is left out; jobs running
 * in other OS processes are not seen here.
 */
export async function runningHere(
  store: Store,
  runtime: Runtime | undefined,
): Promise<{ queues: string[]; attempts: RunningAttempt[] }> {
  const queues = new Set<string>();
  const attempts: RunningAttempt[] = [];
  // Only the observer's runtime: a PID of another one would not open a process page.
  const producers = [...liveProducers(store).entries()].filter(
    ([, pid]) => runtime === undefined || (runtimeOf(pid) === runtime && runtime.isAlive(pid)),
  );
  await Promise.all(
    producers.map(async ([node, producer]) => {
      try {
        const status = await GenServer.getStatus(producer, 1000);
        const state = status.state as {
          config?: { queue?: unknown };
          node?: { incarnation?: unknown };
          running?: Map<string, { pid?: Pid<any>; job?: Job & { token?: number } }>;
        };
        if (typeof state.config?.queue === 'string') queues.add(state.config.queue);
        const incarnation = String(state.node?.incarnation ?? '');
        for (const attempt of state.running?.values() ?? []) {
          if (attempt.job === undefined) continue;
          const { token: _token, ...job } = attempt.job;
          attempts.push({ job, pid: attempt.pid, incarnation, node });
        }
      } catch {
        // A producer stopping or busy past the timeout: its jobs are not shown.
      }
    }),
  );
  attempts.sort((a, b) => (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0));
  return { queues: [...queues], attempts };
}

/**
 * The PIDs of the attempts running in `runtime` on `store`, by job id (see
 * {@link runningHere}); jobs running in other OS processes have no PID here.
 */
export async function executingPids(
  store: Store,
  runtime: Runtime | undefined,
): Promise<Map<string, { pid: Pid<any>; incarnation: string }>> {
  const pids = new Map<string, { pid: Pid<any>; incarnation: string }>();
  for (const attempt of (await runningHere(store, runtime)).attempts) {
    if (attempt.pid !== undefined) {
      pids.set(attempt.job.id, { pid: attempt.pid, incarnation: attempt.incarnation });
    }
  }
  return pids;
}
