import type { ReceiveContext } from '@actorkit/core';
import { InvalidArgumentError } from '@actorkit/core';
import type { Job } from './job.js';
import { checkOptions, fn, integer, number, text } from './options.js';
import { backoffCheck, type RetryOptions } from './retry.js';

/**
 * What a worker's `perform` gets besides its args: the attempt's process context
 * (`ctx.signal` aborts when the attempt is stopped: shutdown, timeout, lost lease) and
 * the job (`ctx.job.id` and `ctx.attempt` to make side effects idempotent).
 */
export interface JobContext<Args = unknown> extends ReceiveContext<any> {
  /** The job being run. */
  readonly job: Job<Args>;
  /** This attempt's number, 1 for the first. */
  readonly attempt: number;
}

/** The function a worker runs per attempt; it resolves when the work is done and throws when it failed. */
export type Perform<Args> = (args: Args, ctx: JobContext<Args>) => unknown;

/** What `defineWorker` takes. */
export interface WorkerDefinition<Args> extends RetryOptions {
  /** The worker's name, stored with each job: keep it stable across releases. */
  name: string;
  perform: Perform<Args>;
  /** The queue its jobs go to unless `enqueue` says otherwise. @default 'default' */
  queue?: string;
  /** Its jobs' priority, 0 first. @default 0 */
  priority?: number;
  /** Ms an attempt may run before it is stopped and counted as failed (`JobTimeoutError`). @default Infinity */
  timeout?: number;
  /**
   * Checks (and may convert) args at enqueue, throwing if they are wrong: a schema's
   * `parse` (zod, valibot …) fits. Types are checked at compile time regardless.
   * @default none
   */
  parse?: (args: unknown) => Args;
}

/** A worker: a named `perform` function and its options. Build one with `defineWorker`. */
export interface Worker<Args = any>
  extends Readonly<Required<Omit<WorkerDefinition<Args>, 'parse' | 'onError' | 'backoff'>>> {
  readonly backoff: RetryOptions['backoff'];
  readonly onError: RetryOptions['onError'];
  readonly parse: ((args: unknown) => Args) | undefined;
  /** @internal Carries the args type. */
  readonly __args?: Args;
}

/** The args type of a worker. */
export type ArgsOf<W> = W extends Worker<infer A> ? A : never;

const WORKER_CHECKS = {
  name: text,
  perform: fn,
  queue: text,
  priority: integer(0),
  timeout: number(1, true),
  maxAttempts: integer(1),
  backoff: backoffCheck,
  onError: fn,
  parse: fn,
};

/**
 * Defines a worker: the code that runs a job, typed by its args, with its retry policy.
 * `enqueue(store, worker, args)` checks `args` against the type (and against `parse`, if
 * given); a queue runs each attempt as a process with `perform(args, ctx)`.
 *
 * A worker must be safe to run more than once for the same job: delivery is at least
 * once (a node that dies after the work but before recording it runs it again). Key
 * external side effects by `ctx.job.id`.
 *
 * @example
 * export const SendWelcome = defineWorker({
 *   name: 'send-welcome',
 *   queue: 'mail',
 *   maxAttempts: 5,
 *   async perform({ userId }: { userId: number }, ctx) {
 *     await mailer.send(welcomeFor(userId), { idempotencyKey: `welcome:${ctx.job.id}`, signal: ctx.signal });
 *   },
 * });
 */
export function defineWorker<Args>(definition: WorkerDefinition<Args>): Worker<Args> {
  checkOptions(definition, WORKER_CHECKS, 'defineWorker definition');
  if (definition.name === undefined || definition.perform === undefined) {
    throw new InvalidArgumentError(
      'defineWorker definition',
      'an object with a name and a perform function',
      definition,
    );
  }
  return Object.freeze({
    name: definition.name,
    perform: definition.perform,
    queue: definition.queue ?? 'default',
    priority: definition.priority ?? 0,
    timeout: definition.timeout ?? Number.POSITIVE_INFINITY,
    maxAttempts: definition.maxAttempts ?? 10,
    backoff: definition.backoff,
    onError: definition.onError,
    parse: definition.parse,
  });
}
