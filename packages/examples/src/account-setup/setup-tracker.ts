import { Down, isCrash, type Pid } from '@actorkit/core';
import { type Call, type From, GenServer, noreply, ok, reply } from '@actorkit/genserver';
import type { Repo, SetupStep } from '../db/repo.js';

/** Where one setup step of one user stands. */
export interface StepRecord {
  userId: number;
  step: SetupStep;
  /**
   * `queued`: its task is being started; `running`: a task is on it; `retrying`: its
   * task crashed and the supervisor should restart it.
   */
  status: 'queued' | 'running' | 'retrying' | 'done' | 'failed';
  attempts: number;
  lastError: string | undefined;
}

/** What `report` answers: every step, and totals for the demo's summary. */
export interface SetupReport {
  steps: StepRecord[];
  /** Users whose two steps are done. */
  completed: number[];
  /** Users with a failed step (recorded in `setup_failures`). */
  incomplete: number[];
  /** Users with a step still running or retrying. */
  pending: number[];
  /** Attempts beyond the first, over all steps. */
  retries: number;
  /** How many times a task supervisor went down (and was restarted, while the application lived). */
  supervisorRestarts: number;
}

type StepKey = { userId: number; step: SetupStep };
type TrackerCall =
  | Call<'queued', true, StepKey & { supervisor: Pid<any> }>
  | Call<'begin', number, StepKey & { pid: Pid<any>; supervisor: Pid<any> }>
  | Call<'report', SetupReport>;
type TrackerCast =
  | (StepKey & { type: 'done' })
  | (StepKey & { type: 'error'; error: string })
  | (StepKey & { type: 'giveUp'; reason: string });

interface TrackedStep extends StepRecord {
  /** The step's current task, once it has begun. */
  pid: Pid<any> | undefined;
  /** The task supervisor the step's task runs under: when it goes down, so does the task. */
  supervisor: Pid<any>;
}

interface TrackerState {
  records: Map<string, TrackedStep>;
  /** The task supervisors this tracker monitors. */
  supervisors: Set<Pid<any>>;
  supervisorRestarts: number;
}

/** Options for the tracker. */
export interface SetupTrackerOptions {
  repo: Repo;
  /** The registered name of the task supervisor, for the failure reasons. */
  supervisorName: string;
  /** Called from `terminate` with the last report, once every unsettled step is recorded. */
  onStop?: (report: SetupReport) => void;
}

/**
 * Keeps the books of account setup, so that no failed setup is silently dropped (the
 * article's advice on thoughtful retries). A step is `queued` (a call, so whoever starts
 * a task knows the tracker has it, or records the failure itself), then its task reports
 * `begin` (which returns the attempt number), `done`, `error` (it is about to crash and
 * be restarted) or `giveUp` (already written to `setup_failures` by the task). The
 * tracker monitors every task and each task supervisor a step was queued on: a task shut
 * down mid-way, or a step whose supervisor went down, is recorded in `setup_failures` as
 * abandoned. It traps exits, so when the application stops (or gives up past its own
 * restart intensity) `terminate` records every step still unsettled: the DOWN messages
 * already in its mailbox are handled first, then the parent's exit.
 *
 * Not covered: a tracker killed outright (`exit(pid, 'kill')`, or a `terminate` longer
 * than its shutdown timeout) records nothing more, as any process that is killed.
 */
export class SetupTracker extends GenServer<TrackerState, TrackerCall, TrackerCast> {
  private repo!: Repo;
  private supervisorName!: string;
  private onStop: ((report: SetupReport) => void) | undefined;

  init(options: SetupTrackerOptions) {
    this.repo = options.repo;
    this.supervisorName = options.supervisorName;
    this.onStop = options.onStop;
    this.ctx.trapExit(true);
    return ok<TrackerState>({ records: new Map(), supervisors: new Set(), supervisorRestarts: 0 });
  }

  override handleCall(request: TrackerCall, _from: From<any>, state: TrackerState) {
    if (request.type === 'report') return reply(reportOf(state), state);
    this.watch(state, request.supervisor);
    const key = keyOf(request);
    const previous = state.records.get(key);
    const { userId, step, supervisor } = request;
    if (request.type === 'queued') {
      const record = {
        userId,
        step,
        supervisor,
        attempts: 0,
        lastError: undefined,
        pid: undefined,
      };
      state.records.set(key, { ...record, status: 'queued' });
      return reply(true as const, state);
    }
    const attempts = (previous?.attempts ?? 0) + 1;
    this.ctx.monitor(request.pid);
    const lastError = previous?.lastError;
    state.records.set(key, {
      userId,
      step,
      supervisor,
      attempts,
      lastError,
      pid: request.pid,
      status: 'running',
    });
    return reply(attempts, state);
  }

  override handleCast(request: TrackerCast, state: TrackerState) {
    const record = state.records.get(keyOf(request));
    // A settled step stays settled: a late report from a task that was shut down changes nothing.
    if (record === undefined || record.status === 'done' || record.status === 'failed') {
      return noreply(state);
    }
    if (request.type === 'done') record.status = 'done';
    if (request.type === 'error') {
      record.status = 'retrying';
      record.lastError = request.error;
    }
    if (request.type === 'giveUp') this.fail(record, request.reason);
    return noreply(state);
  }

  override handleInfo(message: unknown, state: TrackerState) {
    if (!(message instanceof Down)) return noreply(state);
    if (state.supervisors.delete(message.pid)) {
      state.supervisorRestarts++;
      for (const record of state.records.values()) {
        if (record.supervisor === message.pid) this.fail(record, this.abandoned(record));
      }
      return noreply(state);
    }
    for (const record of state.records.values()) {
      if (record.pid !== message.pid || record.status !== 'running') continue;
      // A crash is restarted (transient); any other exit before `done` means the
      // supervisor stopped the task mid-way.
      if (isCrash(message.reason)) record.status = 'retrying';
      else if (message.reason !== 'normal') this.fail(record, this.abandoned(record));
    }
    return noreply(state);
  }

  /** The application is stopping (or the tracker crashed): no step still open will finish under this tracker. */
  override terminate(reason: unknown, state: TrackerState) {
    const why = `abandoned: the account-setup application stopped (${describe(reason)}) before this step finished.`;
    for (const record of state.records.values()) this.fail(record, withLastError(why, record));
    this.onStop?.(reportOf(state));
  }

  private fail(record: StepRecord, reason: string): void {
    if (record.status === 'done' || record.status === 'failed') return;
    record.status = 'failed';
    this.repo.recordSetupFailure(record.userId, record.step, reason);
  }

  private abandoned(record: StepRecord): string {
    const why = `abandoned: ${this.supervisorName} went down (past its restart intensity, or the application stopped), taking this task with it.`;
    return withLastError(why, record);
  }

  private watch(state: TrackerState, supervisor: Pid<any>): void {
    if (state.supervisors.has(supervisor)) return;
    // Monitoring a supervisor that is already gone delivers DOWN (noproc) at once.
    state.supervisors.add(supervisor);
    this.ctx.monitor(supervisor);
  }
}

function withLastError(why: string, record: StepRecord): string {
  return record.lastError === undefined ? why : `${why} Last error: ${record.lastError}`;
}

function describe(reason: unknown): string {
  try {
    return reason instanceof Error ? reason.message : String(reason);
  } catch {
    return 'an unprintable reason';
  }
}

function keyOf(step: StepKey): string {
  return `${step.userId}:${step.step}`;
}

function reportOf(state: TrackerState): SetupReport {
  const steps = [...state.records.values()].map(
    ({ pid: _pid, supervisor: _supervisor, ...record }) => record,
  );
  const byUser = new Map<number, StepRecord[]>();
  for (const step of steps) byUser.set(step.userId, [...(byUser.get(step.userId) ?? []), step]);
  const completed: number[] = [];
  const incomplete: number[] = [];
  const pending: number[] = [];
  for (const [userId, list] of byUser) {
    if (list.some((s) => s.status === 'failed')) incomplete.push(userId);
    else if (list.length === 2 && list.every((s) => s.status === 'done')) completed.push(userId);
    else pending.push(userId);
  }
  const retries = steps.reduce((sum, s) => sum + Math.max(0, s.attempts - 1), 0);
  const { supervisorRestarts } = state;
  return { steps, completed, incomplete, pending, retries, supervisorRestarts };
}
