import {
  type Exit,
  formatReason,
  InvalidArgumentError,
  isCleanExit,
  isExit,
  type Pid,
  type ProcessContext,
} from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { shutdownChild, startChild, startFailure } from './child-process.js';
import {
  type AnyChildSpecLike,
  type ChildId,
  describeId,
  type NormalizedSpec,
  normalizeChildSpec,
} from './child-spec.js';
import type { From } from './envelopes.js';
import { AlreadyPresentError, AlreadyStartedError, ChildError, ChildSpecError } from './errors.js';
import { GenServer } from './gen-server.js';
import { isOptionsObject, listKeys, requestType, unknownKey } from './options.js';
import { nextRestartDelay } from './restart-backoff.js';
import { RestartIntensity } from './restart-intensity.js';
import { type NoReplyResult, noreply, ok, reply, stop } from './results.js';
import { Standin } from './standin.js';
import type { Started } from './started-child.js';
import {
  emitSupervisorReport,
  exitIsReported,
  type SupervisorReport,
  stoppedAsAsked,
} from './supervisor-report.js';

/** How a supervisor restarts children when one exits. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** Supervisor flags, as Elixir's `Supervisor.init/2` options. */
export interface SupervisorFlags {
  /**
   * How a child's exit affects its siblings. Elixir's `Supervisor.init/2` requires it
   * (`expected :strategy option to be given`); here it defaults to the common case.
   * @default 'one_for_one'
   */
  strategy?: Strategy;
  /** Restarts allowed within `maxSeconds` before the supervisor gives up. @default 3 */
  maxRestarts?: number;
  /** @default 5 */
  maxSeconds?: number;
}

/**
 * One line of `whichChildren`: a child's id, its PID (or `'restarting'`, or undefined
 * when not running), its type and restart type, and how often it was restarted.
 */
export interface ChildInfo {
  id: ChildId;
  pid: Pid<any> | 'restarting' | undefined;
  type: 'worker' | 'supervisor';
  restart: NormalizedSpec['restart'];
  /**
   * How many times the supervisor started this child again after it (or, under
   * `one_for_all` or `rest_for_one`, a sibling) exited: one per `child_restarted`
   * report, counted by the supervisor itself since the child was added, so a reader
   * that arrives late (an observer) still sees the restarts before it. `restartChild`
   * is not counted: it is a start asked for, not a restart. Beyond OTP, whose
   * `which_children` has no count.
   */
  restarts: number;
}

/** What `countChildren` returns, as OTP's `count_children`. */
export interface ChildCounts {
  /** Every child the supervisor keeps a spec of, running or not. */
  specs: number;
  /** Children running now (not those stopped, ignored or waiting out a backoff). */
  active: number;
  /** Children of type `'supervisor'`, running or not. */
  supervisors: number;
  /** Children of type `'worker'`, running or not. */
  workers: number;
}

/**
 * What `restartCount` returns: the restarts a supervisor has made, kept by the
 * supervisor itself (OTP keeps them in its state, where `sys:get_state` shows them).
 */
export interface RestartCount {
  /**
   * Restarts since the supervisor started, each as the restart intensity counts it:
   * one per child exit that led to a restart (a `one_for_all` restart of every child is
   * one), and one per retry after a restart failed to start the child.
   */
  total: number;
  /**
   * Those within the last `maxSeconds`: what the restart intensity weighs against
   * `maxRestarts` (one more than `maxRestarts` and the supervisor gives up).
   */
  recent: number;
}

/** A child as the supervisor tracks it (internal; exported for types). */
export interface ChildRecord {
  spec: NormalizedSpec;
  pid: Pid<any> | undefined;
  restarting: boolean;
  name: string | symbol | undefined;
  standin: Standin | undefined;
  attempt: number;
  startedAt: number;
  /** Restarts of this child by the supervisor (`ChildInfo.restarts`). */
  restarts: number;
}

/** What a supervisor's init gets (internal to the package; exported for types). */
export interface SupervisorInit {
  children: readonly AnyChildSpecLike[];
  flags: SupervisorFlags;
}

/** Calls a supervisor answers (internal protocol; use the `Supervisor` functions). */
export type SupervisorCall =
  | { type: 'startChild'; spec: AnyChildSpecLike }
  | { type: 'terminateChild'; id: ChildId }
  | { type: 'restartChild'; id: ChildId }
  | { type: 'deleteChild'; id: ChildId }
  | { type: 'whichChildren' }
  | { type: 'countChildren' }
  | { type: 'getFlags' }
  | { type: 'restartCount' };

/** The answer to a supervisor call: a value, or the error to throw at the caller (internal protocol). */
export type Outcome = { ok: unknown } | { error: Error };

class RestartNow {
  constructor(readonly record: ChildRecord) {}
}

/**
 * The supervisor process, a GenServer as in OTP (use it through `Supervisor`). It traps exits, starts its
 * children in order, restarts them by strategy within the restart intensity, and stops
 * them in reverse order.
 */
export class SupervisorServer extends GenServer<
  ChildRecord[],
  SupervisorCall,
  never,
  Exit | RestartNow
> {
  private strategy: Strategy = 'one_for_one';
  private intensity!: RestartIntensity;

  async init(setup: () => Promise<SupervisorInit> | SupervisorInit) {
    this.ctx.trapExit(true);
    const { children, flags = {} } = await setup();
    this.strategy = validateFlags(flags);
    this.intensity = new RestartIntensity(
      this.ctx.runtime.clock,
      flags.maxRestarts ?? 3,
      flags.maxSeconds ?? 5,
    );
    const records = normalizeChildren(children).map(newRecord);
    for (const record of records) {
      const started = await this.tryStart(record);
      if ('failure' in started) {
        await this.shutdownAll(records);
        const reason = { failedToStartChild: record.spec.id, reason: started.failure };
        return stop({ shutdown: reason });
      }
    }
    return ok(records);
  }

  override async handleCall(request: SupervisorCall, _from: From, children: ChildRecord[]) {
    return reply(await this.answer(request, children), children);
  }

  override async handleInfo(message: Exit | RestartNow | unknown, children: ChildRecord[]) {
    if (isInstance(message, RestartNow)) {
      // Stale once the child was terminated or deleted while it waited.
      if (!children.includes(message.record) || !message.record.restarting)
        return noreply(children);
      return this.restart(message.record, children);
    }
    if (!isExit(message)) return noreply(children);
    const record = children.find((r) => r.pid?.equals(message.from));
    if (record === undefined) return noreply(children);
    record.pid = undefined;
    if (exitIsReported(record.spec.restart, message.reason))
      this.report('child_terminated', record, message.from, message.reason);
    if (!shouldRestart(record.spec.restart, message.reason)) {
      if (record.spec.restart === 'temporary') children.splice(children.indexOf(record), 1);
      return noreply(children);
    }
    return this.scheduleRestart(record, children);
  }

  override async terminate(_reason: unknown, children: ChildRecord[]) {
    await this.shutdownAll(children);
  }

  private async answer(request: SupervisorCall, children: ChildRecord[]): Promise<Outcome> {
    const type = requestType(request);
    if (!SUPERVISOR_CALLS.includes(type as SupervisorCall['type'])) return notACall(request);
    if (request.type === 'whichChildren') return { ok: children.map(childInfo) };
    if (request.type === 'countChildren') return { ok: countChildren(children) };
    if (request.type === 'getFlags') return { ok: this.flags() };
    if (request.type === 'restartCount') return { ok: restartCount(this.intensity) };
    if (request.type === 'startChild') return this.addChild(request.spec, children);
    const record = children.find((r) => r.spec.id === request.id);
    if (record === undefined) {
      return {
        error: new ChildError(
          'not_found',
          `no child with id ${describeId(request.id)} in this supervisor.`,
        ),
      };
    }
    switch (request.type) {
      case 'terminateChild':
        await this.stopChild(record);
        if (record.spec.restart === 'temporary') children.splice(children.indexOf(record), 1);
        return { ok: undefined };
      case 'restartChild': {
        if (record.pid !== undefined || record.restarting) return running(record);
        const started = await this.tryStart(record);
        return 'failure' in started
          ? { error: startFailure(started.failure, record.spec.id) }
          : { ok: started.result };
      }
      case 'deleteChild':
        if (record.pid !== undefined || record.restarting) return running(record);
        children.splice(children.indexOf(record), 1);
        return { ok: undefined };
    }
  }

  private async addChild(like: AnyChildSpecLike, children: ChildRecord[]): Promise<Outcome> {
    let spec: NormalizedSpec;
    try {
      spec = normalizeChildSpec(like);
    } catch (error) {
      return { error: startFailure(error, undefined) };
    }
    const existing = children.find((r) => r.spec.id === spec.id);
    if (existing !== undefined) {
      // As OTP: a child waiting to restart has no PID yet, so it is only present.
      const error =
        existing.pid === undefined
          ? new AlreadyPresentError(spec.id)
          : new AlreadyStartedError(spec.id, existing.pid);
      return { error };
    }
    const record = newRecord(spec);
    const started = await this.tryStart(record);
    if ('failure' in started) return { error: startFailure(started.failure, spec.id) };
    if (record.pid !== undefined || spec.restart !== 'temporary') children.push(record);
    return { ok: started.result };
  }

  /**
   * Starts a child; returns its failure (boxed: a reason whose `then` throws would
   * reject the promise instead), or what `startChild` answers: the PID, `{ pid, info }`,
   * or undefined when the child ignored.
   */
  private async tryStart(record: ChildRecord): Promise<{ failure: unknown } | { result: unknown }> {
    let started: Started | undefined;
    try {
      started = await startChild(record.spec, this.ctx);
    } catch (error) {
      this.report('start_error', record, undefined, error);
      return { failure: error };
    }
    record.pid = started?.pid;
    record.startedAt = this.ctx.runtime.clock.now();
    record.name = record.pid && this.ctx.runtime.processInfo(record.pid)?.registeredName;
    return { result: started?.result };
  }

  private flags(): Required<SupervisorFlags> {
    const { maxRestarts, maxSeconds } = this.intensity;
    return { strategy: this.strategy, maxRestarts, maxSeconds };
  }

  private scheduleRestart(record: ChildRecord, children: ChildRecord[]) {
    const backoff = record.spec.backoff;
    if (backoff === undefined) return this.restart(record, children);
    const delay = nextRestartDelay(backoff, record, this.ctx.runtime.clock.now());
    record.restarting = true;
    if (record.name !== undefined)
      record.standin = Standin.start(this.ctx, record.name, backoff.buffer ?? 0);
    this.sendAfter(new RestartNow(record), delay);
    return noreply(children);
  }

  private async restart(
    record: ChildRecord,
    children: ChildRecord[],
  ): Promise<NoReplyResult<ChildRecord[]>> {
    record.restarting = false;
    if (!this.intensity.add()) {
      this.report('shutdown', record, undefined, 'reached_max_restart_intensity');
      await this.shutdownAll(children);
      return stop('shutdown', children);
    }
    const affected =
      this.strategy === 'one_for_one'
        ? [record]
        : children.slice(this.strategy === 'one_for_all' ? 0 : children.indexOf(record));
    for (const other of [...affected].reverse()) if (other !== record) await this.stopChild(other);
    // Temporary children stopped by a one_for_all or rest_for_one restart are not restarted, as in OTP.
    for (const other of affected) {
      if (other !== record && other.spec.restart === 'temporary')
        children.splice(children.indexOf(other), 1);
    }
    for (const child of affected) {
      if (child.pid !== undefined || !children.includes(child)) continue;
      const standin = child.standin;
      child.standin = undefined;
      standin?.release();
      const started = await this.tryStart(child);
      if (!('failure' in started)) {
        if (child.pid !== undefined) {
          child.restarts++;
          standin?.forward(child.pid);
          this.report('child_restarted', child, child.pid, undefined);
        }
        continue;
      }
      standin?.stop();
      // OTP keeps trying: each further attempt counts toward the intensity.
      child.restarting = true;
      this.ctx.send(this.self, new RestartNow(child));
    }
    return noreply(children);
  }

  private async stopChild(record: ChildRecord): Promise<void> {
    record.restarting = false;
    record.standin?.stop();
    record.standin = undefined;
    const pid = record.pid;
    if (pid === undefined) return;
    record.pid = undefined;
    const { shutdown, restart } = record.spec;
    const { reason } = await shutdownChild(this.ctx as ProcessContext<unknown>, pid, shutdown);
    if (!stoppedAsAsked(reason, shutdown, restart))
      this.report('shutdown_error', record, pid, reason);
  }

  private async shutdownAll(children: ChildRecord[]): Promise<void> {
    for (const record of [...children].reverse()) await this.stopChild(record);
  }

  private report(
    event: SupervisorReport['event'],
    record: ChildRecord,
    pid: Pid<any> | undefined,
    reason: unknown,
  ): void {
    emitSupervisorReport(this.ctx.runtime, this.self, event, record.spec.id, pid, reason);
  }
}

/**
 * Validates a supervisor's children (specs and unique ids); throws `ChildSpecError`.
 * `Supervisor.start` calls it before spawning, so a bad list fails with that error itself.
 */
export function normalizeChildren(children: readonly AnyChildSpecLike[]): NormalizedSpec[] {
  if (!isArray(children)) {
    throw new ChildSpecError(
      `the children must be an array of child specs, got ${formatReason(children)}.`,
    );
  }
  const specs: NormalizedSpec[] = [];
  for (const like of children) {
    const spec = normalizeChildSpec(like);
    if (specs.some((other) => other.id === spec.id)) {
      throw new ChildSpecError(
        `two children have the id ${describeId(spec.id)}; ids must be unique within a supervisor.`,
      );
    }
    specs.push(spec);
  }
  return specs;
}

/** `Array.isArray(value)`, false (never a throw) for a revoked proxy. */
function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

function newRecord(spec: NormalizedSpec): ChildRecord {
  return {
    spec,
    pid: undefined,
    restarting: false,
    name: undefined,
    standin: undefined,
    attempt: 0,
    startedAt: 0,
    restarts: 0,
  };
}

function shouldRestart(restart: NormalizedSpec['restart'], reason: unknown): boolean {
  if (restart === 'permanent') return true;
  if (restart === 'temporary') return false;
  return !isCleanExit(reason);
}

function childInfo(record: ChildRecord): ChildInfo {
  return {
    id: record.spec.id,
    pid: record.restarting ? 'restarting' : record.pid,
    type: record.spec.type,
    restart: record.spec.restart,
    restarts: record.restarts,
  };
}

function countChildren(children: ChildRecord[]): ChildCounts {
  const supervisors = children.filter((c) => c.spec.type === 'supervisor').length;
  return {
    specs: children.length,
    active: children.filter((c) => c.pid !== undefined).length,
    supervisors,
    workers: children.length - supervisors,
  };
}

/** @internal What `restartCount` answers, from a supervisor's restart intensity. */
export function restartCount(intensity: RestartIntensity): RestartCount {
  return { total: intensity.total, recent: intensity.recent() };
}

function running(record: ChildRecord): Outcome {
  return {
    error: new ChildError(
      record.restarting ? 'restarting' : 'running',
      `child ${describeId(record.spec.id)} is ${record.restarting ? 'waiting to restart' : 'running'}; terminate it first.`,
    ),
  };
}

const SUPERVISOR_CALLS: readonly SupervisorCall['type'][] = [
  'startChild',
  'terminateChild',
  'restartChild',
  'deleteChild',
  'whichChildren',
  'countChildren',
  'getFlags',
  'restartCount',
];

/** @internal The answer to a call that is none of a supervisor's (made with `GenServer.call`). */
export function notACall(request: unknown): Outcome {
  return {
    error: new InvalidArgumentError(
      'request',
      "a supervisor's call: use the functions of Supervisor, DynamicSupervisor or TaskSupervisor",
      request,
    ),
  };
}

/** The keys of `SupervisorFlags`. */
export const FLAG_KEYS = ['strategy', 'maxRestarts', 'maxSeconds'] as const;

/** Validates supervisor flags (no other key); throws `ChildSpecError`. Returns the strategy. */
export function validateFlags(flags: SupervisorFlags): Strategy {
  if (!isOptionsObject(flags as unknown)) {
    throw new ChildSpecError(`supervisor flags must be an object, got ${formatReason(flags)}.`);
  }
  const unknown = unknownKey(flags, FLAG_KEYS);
  if (unknown !== undefined) {
    throw new ChildSpecError(
      `unknown supervisor flag "${unknown}"; the flags are ${listKeys(FLAG_KEYS)}.`,
    );
  }
  const strategy = flags.strategy ?? 'one_for_one';
  if (!['one_for_one', 'one_for_all', 'rest_for_one'].includes(strategy)) {
    throw new ChildSpecError(
      `strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one', got ${formatReason(strategy)}.`,
    );
  }
  validateIntensity(flags);
  return strategy;
}

/** Validates `maxRestarts` and `maxSeconds`; throws `ChildSpecError` naming the one that is wrong. */
export function validateIntensity({ maxRestarts = 3, maxSeconds = 5 }: SupervisorFlags): void {
  if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) {
    throw new ChildSpecError(
      `maxRestarts must be an integer >= 0, got ${formatReason(maxRestarts)}.`,
    );
  }
  if (!(Number.isFinite(maxSeconds) && maxSeconds > 0)) {
    throw new ChildSpecError(
      `maxSeconds must be a finite number > 0, got ${formatReason(maxSeconds)}.`,
    );
  }
}
