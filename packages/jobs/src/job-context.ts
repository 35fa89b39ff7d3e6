/** @internal The `ctx` a worker's `perform` gets: the attempt process's context, plus the job. */
import type { ReceiveContext } from '@actorkit/core';
import { AttemptProcessContext } from '@actorkit/genserver';
import type { Job } from './job.js';
import type { JobContext } from './worker.js';

/**
 * @internal A retried task's attempt context (every call goes to the attempt's process),
 * plus the job it runs; its `attempt` is the job's.
 */
export class AttemptContext<Args> extends AttemptProcessContext implements JobContext<Args> {
  constructor(
    ctx: ReceiveContext<any>,
    readonly job: Job<Args>,
  ) {
    super(ctx, job.attempt);
  }
}
