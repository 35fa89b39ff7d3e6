export { type Clock, RealClock, type RealClockOptions, VirtualClock } from './clock.js';
export type {
  Dest,
  Handler,
  Name,
  ProcessBody,
  ProcessContext,
  ReceiveContext,
  ReceiveOptions,
  Spawnable,
  SpawnOptions,
  Via,
  ViaRegistry,
} from './context.js';
export {
  cancelTimer,
  defaultRuntime,
  exit,
  send,
  sendAfter,
  spawn,
  whereis,
} from './default-runtime.js';
export {
  ActorkitError,
  ExitError,
  InvalidArgumentError,
  MailboxFullError,
  NameTakenError,
  NoProcError,
  RuntimeStoppedError,
  TimeoutError,
} from './errors.js';
export {
  Crash,
  type ExitReason,
  formatReason,
  isCleanExit,
  isCrash,
  isNormalExit,
} from './exit-reason.js';
export type { MailboxOptions, OverflowPolicy } from './mailbox.js';
export {
  Down,
  Exit,
  type Inbox,
  isDown,
  isExit,
  type SystemMessage,
  TIMEOUT,
  type Timeout,
} from './messages.js';
export { comparePids, isPid, Pid, runtimeOf } from './pid.js';
export type { ProcessStatus } from './process.js';
export { isRef, makeRef, Ref } from './ref.js';
export {
  type DispatchOptions,
  type MetaKey,
  Registry,
  type RegistryEntry,
  type RegistryOptions,
  type RegistryRecord,
} from './registry.js';
export {
  type RegistryListenerMessage,
  RegistryRegister,
  RegistryUnregister,
} from './registry-listeners.js';
export { ANY, type MatchGuard, type MatchPattern, type ValuePattern } from './registry-pattern.js';
export {
  type ProcessInfo,
  Runtime,
  type RuntimeOptions,
  type RuntimeStats,
  type SendAfterOptions,
  type StopOptions,
} from './runtime.js';
export type { SchedulerOptions } from './scheduler.js';
export type {
  CrashReport,
  DeadLetterEvent,
  ExitEvent,
  MailboxOverflowEvent,
  Report,
  RuntimeEvents,
  SpawnEvent,
  Telemetry,
} from './telemetry.js';
export { TimerRef } from './timers.js';
