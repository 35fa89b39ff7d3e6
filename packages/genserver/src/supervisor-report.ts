import { isCleanExit, type Pid, type Report, type Runtime } from '@actorkit/core';
import type { ChildId } from './child-spec.js';

/**
 * What every supervisor report has: OTP's supervisor reports (`supervisor_report` in
 * the logger) as `report` events on `runtime.events`, from `Supervisor`,
 * `DynamicSupervisor` and `TaskSupervisor` alike. Narrow a `Report` to one with
 * `isSupervisorReport`.
 */
export interface SupervisorReportBase {
  type: 'supervisor';
  /** The supervisor that reports. */
  supervisor: Pid<any>;
  /** The child's id (a `DynamicSupervisor` child's is its spec's id, `'Task'` for a task). */
  id: ChildId;
}

/**
 * A child exited by itself and the supervisor noticed; whether it is restarted depends
 * on its `restart` type. As in OTP, emitted for a permanent child whatever the reason,
 * and for a transient or temporary one only when the reason is not clean (`'normal'`,
 * `'shutdown'`, `{ shutdown: detail }`), so tasks that finish make no noise. Not
 * emitted when the supervisor stopped the child (`terminateChild`, a sibling's
 * `one_for_all` restart, its own shutdown).
 */
export interface ChildTerminatedReport extends SupervisorReportBase {
  event: 'child_terminated';
  /** The child that exited. */
  pid: Pid<any>;
  /** Its exit reason. */
  reason: unknown;
}

/** A child was started again after it exited: `pid` is the new process. */
export interface ChildRestartedReport extends SupervisorReportBase {
  event: 'child_restarted';
  pid: Pid<any>;
}

/**
 * A child's `start` failed: it threw, rejected, or resolved with something that is not a
 * PID (then `reason` is a `ChildSpecError`). At a restart, the supervisor tries again,
 * each attempt counting toward its intensity.
 */
export interface StartErrorReport extends SupervisorReportBase {
  event: 'start_error';
  reason: unknown;
}

/**
 * A child the supervisor stopped did not exit as asked: it exited with `reason` other
 * than `'shutdown'`, typically `'killed'` because it outlived its `shutdown` ms. Not
 * emitted for `shutdown: 'brutal_kill'`, whose children are expected to die `'killed'`.
 */
export interface ShutdownErrorReport extends SupervisorReportBase {
  event: 'shutdown_error';
  pid: Pid<any>;
  reason: unknown;
}

/**
 * The supervisor gives up: restarting child `id` would exceed `maxRestarts` within
 * `maxSeconds`. It stops every child and exits `'shutdown'`, and its own supervisor
 * decides what next.
 */
export interface IntensityShutdownReport extends SupervisorReportBase {
  event: 'shutdown';
  reason: 'reached_max_restart_intensity';
}

/**
 * Every report a supervisor emits on `runtime.events` (`'report'`), told apart by
 * `event`.
 *
 * @example
 * runtime.events.on('report', (report) => {
 *   if (isSupervisorReport(report) && report.event === 'child_terminated') {
 *     logger.warn(`${String(report.id)} (${report.pid}) exited: ${formatReason(report.reason)}`);
 *   }
 * });
 */
export type SupervisorReport =
  | ChildTerminatedReport
  | ChildRestartedReport
  | StartErrorReport
  | ShutdownErrorReport
  | IntensityShutdownReport;

/** True for a report a supervisor emitted; narrows it to `SupervisorReport`. */
export function isSupervisorReport(report: Report): report is Report & SupervisorReport {
  return report.type === 'supervisor';
}

/**
 * @internal Emits a supervisor report, building it only when someone listens, so a
 * supervisor's reports cost one check otherwise.
 */
export function emitSupervisorReport(
  runtime: Runtime,
  supervisor: Pid<any>,
  event: SupervisorReport['event'],
  id: ChildId,
  pid: Pid<any> | undefined,
  reason: unknown,
): void {
  if (!runtime.events.has('report')) return;
  const report: Report = { type: 'supervisor', event, supervisor, id };
  if (pid !== undefined) report.pid = pid;
  if (event !== 'child_restarted') report.reason = reason;
  runtime.events.emit('report', report);
}

/**
 * @internal Whether a child the supervisor stopped exited as expected, as OTP judges it:
 * `'shutdown'` (or `'killed'` for `'brutal_kill'`), or `'normal'` for a child that is not
 * permanent (it may have finished by itself meanwhile).
 */
export function stoppedAsAsked(
  reason: unknown,
  shutdown: number | 'brutal_kill' | 'infinity',
  restart: 'permanent' | 'transient' | 'temporary',
): boolean {
  if (reason === (shutdown === 'brutal_kill' ? 'killed' : 'shutdown')) return true;
  return reason === 'noproc' || (reason === 'normal' && restart !== 'permanent');
}

/** @internal Whether a child's own exit is reported (`child_terminated`), as OTP does. */
export function exitIsReported(
  restart: 'permanent' | 'transient' | 'temporary',
  reason: unknown,
): boolean {
  return restart === 'permanent' || !isCleanExit(reason);
}
