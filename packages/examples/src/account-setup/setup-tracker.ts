import { Down, isCrash, type Name, type Pid, type Ref } from '@actorkit/core';
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
  /** How many times the task supervisor went down and was restarted. */
  supervisorRestarts: number;
}

type TrackerCall =
  | Call<'begin', number, { userId: number; step: SetupStep; pid: Pid<any> }>
  | Call<'report', SetupReport>;
type TrackerCast =
  | { type: 'queued'; userId: number; step: SetupStep }
  | { type: 'done'; userId: number; step: SetupStep }
  | { type: 'error'; userId: number; step: SetupStep; error: string }
  | { type: 'giveUp'; userId: number; step: SetupStep; reason: string };

interface TrackerState {
  records: Map<string, StepRecord & { pid: Pid<any> | undefined }>;
  supervisor: { pid: Pid<any>; ref: Ref } | undefined;
  supervisorRestarts: number;
}

/** Options for the tracker. */
export interface SetupTrackerOptions {
  repo: Repo;
  /** The registered name of the task supervisor whose tasks report here. */
  supervisor: Name;
}

/**
 * Keeps the books of account setup, so that no failed setup is silently dropped (the
 * article's advice on thoughtful retries). Each step's task reports `begin` (which
 * returns its attempt number), `done`, `error` (it is about to crash and be
 * restarted) or `giveUp`. The tracker monitors every task and the task supervisor:
 * a task that dies without finishing because its supervisor shut it down, or a crashed
 * one the supervisor will never restart because it went down itself, is recorded in
 * `setup_failures` as abandoned.
 */
export class SetupTracker extends GenServer<TrackerState, TrackerCall, TrackerCast> {
  private repo!: Repo;
  private supervisorName!: Name;

  init(options: SetupTrackerOptions) {
    this.repo = options.repo;
    this.supervisorName = options.supervisor;
    return ok<TrackerState>({ records: new Map(), supervisor: undefined, supervisorRestarts: 0 });
  }

  override handleCall(request: TrackerCall, _from: From<any>, state: TrackerState) {
    if (request.type === 'report') return reply(reportOf(state), state);
    this.watchSupervisor(state);
    const key = keyOf(request.userId, request.step);
    const previous = state.records.get(key);
    const attempts = (previous?.attempts ?? 0) + 1;
    this.ctx.monitor(request.pid);
    state.records.set(key, {
      userId: request.userId,
      step: request.step,
      status: 'running',
      attempts,
      lastError: previous?.lastError,
      pid: request.pid,
    });
    return reply(attempts, state);
  }

  override handleCast(request: TrackerCast, state: TrackerState) {
    const key = keyOf(request.userId, request.step);
    if (request.type === 'queued') {
      this.watchSupervisor(state);
      const { userId, step } = request;
      state.records.set(key, {
        userId,
        step,
        status: 'queued',
        attempts: 0,
        lastError: undefined,
        pid: undefined,
      });
      return noreply(state);
    }
    const record = state.records.get(key);
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
    if (state.supervisor?.pid === message.pid) {
      state.supervisor = undefined;
      state.supervisorRestarts++;
      for (const record of state.records.values()) {
        if (record.status !== 'done' && record.status !== 'failed') {
          this.fail(record, abandoned(this.supervisorName, record.lastError));
        }
      }
      return noreply(state);
    }
    for (const record of state.records.values()) {
      if (record.pid !== message.pid) continue;
      if (record.status !== 'running') continue;
      // A crash is restarted (transient); any other exit before `done` means the
      // supervisor stopped the task mid-way.
      if (isCrash(message.reason)) record.status = 'retrying';
      else if (message.reason !== 'normal') {
        this.fail(record, abandoned(this.supervisorName, record.lastError));
      }
    }
    return noreply(state);
  }

  private fail(record: StepRecord, reason: string): void {
    if (record.status === 'done' || record.status === 'failed') return;
    record.status = 'failed';
    this.repo.recordSetupFailure(record.userId, record.step, reason);
  }

  private watchSupervisor(state: TrackerState): void {
    const pid = this.ctx.runtime.whereis(this.supervisorName);
    if (pid === undefined || state.supervisor?.pid === pid) return;
    state.supervisor = { pid, ref: this.ctx.monitor(pid) };
  }
}

function abandoned(supervisor: Name, lastError: string | undefined): string {
  const why = lastError === undefined ? '' : ` Last error: ${lastError}`;
  return `abandoned: ${String(supervisor)} exceeded its restart intensity and went down, taking this task with it.${why}`;
}

function keyOf(userId: number, step: SetupStep): string {
  return `${userId}:${step}`;
}

function reportOf(state: TrackerState): SetupReport {
  const steps = [...state.records.values()].map(({ pid: _pid, ...record }) => record);
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
  const retries = steps.reduce((sum, s) => sum + s.attempts - 1, 0);
  const { supervisorRestarts } = state;
  return { steps, completed, incomplete, pending, retries, supervisorRestarts };
}
