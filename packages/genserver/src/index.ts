export { Agent, type AgentRef, AgentServer, type AgentTarget } from './agent.js';
export { AttemptProcessContext } from './attempt-context.js';
export {
  type AnyChildSpecLike,
  type Backoff,
  type ChildId,
  type ChildModule,
  type ChildSpec,
  type ChildSpecLike,
  type ChildSpecOverrides,
  childSpec,
  type StartContext,
} from './child-spec.js';
export {
  type CallOptions,
  type ServerName,
  type ServerRef,
  type ServerTarget,
  serverName,
} from './client.js';
export {
  DynamicSupervisor,
  type DynamicSupervisorFlags,
  type DynamicSupervisorOptions,
  type DynamicSupervisorRef,
} from './dynamic-supervisor.js';
export { From } from './envelopes.js';
export {
  AlreadyPresentError,
  AlreadyStartedError,
  BadReturnValue,
  CallingSelfError,
  ChildError,
  ChildSpecError,
  StartError,
} from './errors.js';
export {
  type AnyServer,
  type Call,
  type CallsOf,
  type CastsOf,
  GenServer,
  type InitArg,
  type ReplyFor,
  type ReplyOf,
  type ServerModule,
  type StartLinkOptions,
  type StartOptions,
  type StateOf,
} from './gen-server.js';
export {
  type Action,
  type CallResult,
  Ignore,
  type InitResult,
  ignore,
  type MaybePromise,
  NoReply,
  type NoReplyResult,
  noreply,
  Ok,
  ok,
  Reply,
  reply,
  Stop,
  stop,
} from './results.js';
export {
  backoffDelay,
  checkBackoff,
  type ErrorDecision,
  type FailedAttempt,
  isErrorDecision,
  type RetryBackoff,
  type RetryOptions,
} from './retry.js';
export type { ServerStatus } from './server-loop.js';
export type { ChildStart, StartedChild } from './started-child.js';
export {
  type MachineEvent,
  type MachineSnapshot,
  StateMachine,
  type StateMachineChildOptions,
  type StateMachineDest,
  type StateMachineLinkOptions,
  type StateMachineOptions,
  type StateMachineRef,
} from './statem.js';
export {
  Supervisor,
  type SupervisorChildSpecOptions,
  type SupervisorModule,
  type SupervisorOptions,
  type SupervisorRef,
  type SupervisorSpec,
} from './supervisor.js';
export {
  type ChildRestartedReport,
  type ChildTerminatedReport,
  type IntensityShutdownReport,
  isSupervisorReport,
  type ShutdownErrorReport,
  type StartErrorReport,
  type SupervisorReport,
  type SupervisorReportBase,
} from './supervisor-report.js';
export type {
  ChildCounts,
  ChildInfo,
  RestartCount,
  Strategy,
  SupervisorFlags,
} from './supervisor-server.js';
export {
  type AsyncOptions,
  type AsyncStreamOptions,
  type ShutdownTimeout,
  type StreamResult,
  Task,
  type TaskFn,
  type TaskLinkOptions,
  type TaskOptions,
  type TaskResult,
} from './task.js';
export type { DrainResult } from './task-drain.js';
export { isTaskReply, TaskReply } from './task-reply.js';
export {
  type AttemptContext,
  type AttemptFn,
  isTaskRetryReport,
  type TaskRetryOptions,
  type TaskRetryReport,
} from './task-retry.js';
export {
  type LookupOptions,
  type RetriedAsyncOptions,
  type RetriedChildOptions,
  type SupervisedAsyncOptions,
  type SupervisedLinkOptions,
  type SupervisedStreamOptions,
  type TaskChildOptions,
  type TaskMfa,
  TaskSupervisor,
  type TaskSupervisorOptions,
  type TaskSupervisorRef,
} from './task-supervisor.js';
export type { YieldManyEntry, YieldManyOptions } from './task-yield-many.js';
