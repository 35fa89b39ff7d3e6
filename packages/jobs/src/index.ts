export type { CronEntry } from './cron.js';
export { enqueue, type JobOptions, job } from './enqueue.js';
export {
  describeCause,
  FencedError,
  JobNotFoundError,
  JobsError,
  JobTimeoutError,
  LeaseLostError,
  StaleAttemptError,
  StoreUnavailableError,
  UnknownWorkerError,
  UnsupportedCapabilityError,
} from './errors.js';
export {
  type AttemptError,
  type AttemptErrorKind,
  type AttemptRef,
  type ClaimedJob,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_UNIQUE_STATES,
  type Enqueued,
  FINAL_STATES,
  JOB_STATES,
  type Job,
  type JobState,
  type NewJob,
  type UniqueOptions,
  WAITING_STATES,
} from './job.js';
export {
  type JobsViewOptions,
  jobsView,
  type RedactArgs,
  redactSecrets,
} from './observer-view.js';
export {
  type BrokerInspector,
  type BrokerQueue,
  type BrokerQueues,
  type DeadLetters,
  UnknownQueueError,
} from './observer-view-broker.js';
export { Queue, type QueueOptions, type QueueStartOptions } from './queue.js';
export { isJobReport, type JobEvent, type JobReport } from './report.js';
export {
  type Backoff,
  backoffDelay,
  type ErrorDecision,
  type FailedAttempt,
  type JobBackoff,
  type RetryOptions,
} from './retry.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export {
  type ClaimRequest,
  type JobQuery,
  type NodeInfo,
  type NodeRef,
  type Outcome,
  type QueueCounts,
  type RateLimit,
  type RescueResult,
  type RetryFilter,
  type RetryJobOptions,
  requireCapabilities,
  type SettleResult,
  type Store,
  type StoreCapabilities,
} from './store.js';
export {
  type ArgsOf,
  defineWorker,
  type JobContext,
  type Perform,
  type Worker,
  type WorkerDefinition,
} from './worker.js';
