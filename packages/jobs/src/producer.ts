/**
 * @internal The producer: the process at the heart of a queue (Oban's producer). It holds
 * the node's lease (heartbeats), claims up to `concurrency` jobs, runs each attempt as a
 * linked process it watches, and records each outcome with the attempt's fencing token,
 * in batches. On shutdown it stops claiming, lets running attempts finish within the
 * grace period, stops the rest (their `ctx.signal` aborts) and puts them back.
 */
import { randomBytes } from 'node:crypto';
import { Crash, type Exit, type Pid, type ReceiveContext, type TimerRef } from '@actorkit/core';
import { attachWatch, type WatchNode } from '@actorkit/core/internal';
import { GenServer, noreply, ok } from '@actorkit/genserver';
import { AttemptSlots } from './attempt-slots.js';
import {
  LeaseLostError,
  StaleAttemptError,
  StoreUnavailableError,
  UnknownWorkerError,
} from './errors.js';
import type { ClaimedJob } from './job.js';
import { AttemptContext } from './job-context.js';
import { claimNodeName } from './node-names.js';
import { type EndedAttempt, outcomeOf } from './outcome.js';
import { report } from './report.js';
import type { ClaimRequest, NodeRef, Outcome, RateLimit, SettleResult, Store } from './store.js';
import type { Worker } from './worker.js';

/** @internal What a producer is started with (validated `QueueOptions`). */
export interface ProducerConfig {
  queue: string;
  store: Store;
  workers: ReadonlyMap<string, Worker>;
  concurrency: number;
  node: string;
  pollInterval: number;
  heartbeatInterval: number;
  lease: number;
  shutdownGrace: number;
  rateLimit: RateLimit | undefined;
}

const FETCH = Symbol('fetch');
const FLUSH = Symbol('flush');
const POLL = Symbol('poll');
const HEARTBEAT = Symbol('heartbeat');
/** The timer for the next scheduled job: separate from FETCH, so an insert still wakes the queue at once. */
const DUE = Symbol('due');
type Tick = typeof FETCH | typeof FLUSH | typeof POLL | typeof HEARTBEAT | typeof DUE;

/**
 * One attempt, from its claim until its outcome is recorded. It is also the watch on its
 * process (core's allocation-free `WatchNode`): one object per attempt instead of a record,
 * a callback, the watched process's watcher map and an unwatch function.
 */
class Running implements EndedAttempt, WatchNode {
  pid: Pid<any> | undefined = undefined;
  exited = false;
  reason: unknown = undefined;
  stopping: EndedAttempt['stopping'] = undefined;
  timer: TimerRef | undefined = undefined;
  outcome: Outcome | undefined = undefined;
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;
  /** Its index in the producer's `running` (see `AttemptSlots`), -1 once removed. */
  slot = -1;

  constructor(
    readonly job: ClaimedJob,
    readonly worker: Worker | undefined,
    readonly startedAt: number,
    private readonly producer: Producer,
    private readonly state: ProducerState,
  ) {}

  /** Its process exited (run by the runtime during the exit, as a `watch` callback). */
  down(reason: unknown): void {
    const state = this.state;
    state.live--;
    this.producer.ended(state, this, reason);
    if (state.live === 0) state.onIdle?.();
  }
}

/** The producer's state: mutable, shared with the watch callbacks of its attempts. */
class ProducerState {
  node: NodeRef;
  /** The attempts held: claimed, running, or ended with their outcome not yet recorded. */
  readonly running = new AttemptSlots<Running>();
  /** Attempts that ended, waiting for their outcome to be recorded. */
  readonly finished: Running[] = [];
  live = 0;
  fetchQueued = false;
  flushQueued = false;
  draining = false;
  terminating = false;
  wakeTimer: TimerRef | undefined = undefined;
  offInsert: () => void = () => {};
  onIdle: (() => void) | undefined = undefined;
  /** The producer's commonest answer, made once: `noreply(this)`. */
  readonly noreply = noreply(this);

  constructor(readonly config: ProducerConfig) {
    this.node = newIncarnation(config.node);
  }
}

/** @internal */
export class Producer extends GenServer<ProducerState, never, never, Tick> {
  async init(config: ProducerConfig) {
    this.ctx.trapExit(true);
    const self = this.self;
    const runtime = this.ctx.runtime;
    claimNodeName(config, self);
    const state = new ProducerState(config);
    await this.register(state);
    state.offInsert = config.store.onInsert((queue) => {
      if (!runtime.isAlive(self)) state.offInsert();
      else if (queue === config.queue) this.wake(state);
    });
    this.sendAfter(HEARTBEAT, config.heartbeatInterval);
    this.sendAfter(POLL, config.pollInterval);
    return ok(state, { continue: 'fetch' });
  }

  override async handleContinue(_arg: unknown, state: ProducerState) {
    await this.fetch(state);
    return noreply(state);
  }

  /**
   * Not async: an attempt's `Exit` (they are linked so they die with the producer; its
   * watch has already recorded why it ended) arrives once per job and is answered in
   * place, with no promise; only the ticks run the store.
   */
  override handleInfo(message: Tick | Exit | unknown, state: ProducerState) {
    switch (message) {
      case FETCH:
      case POLL:
      case DUE:
      case FLUSH:
      case HEARTBEAT:
        return this.tick(message, state);
    }
    return state.noreply;
  }

  private async tick(message: Tick, state: ProducerState) {
    switch (message) {
      case FETCH:
        state.fetchQueued = false;
        await this.fetch(state);
        break;
      case POLL:
        this.sendAfter(POLL, state.config.pollInterval);
        await this.fetch(state);
        break;
      case DUE:
        state.wakeTimer = undefined;
        await this.fetch(state);
        break;
      case FLUSH:
        state.flushQueued = false;
        await this.flush(state);
        break;
      case HEARTBEAT:
        this.sendAfter(HEARTBEAT, state.config.heartbeatInterval);
        await this.heartbeat(state);
        break;
    }
    return state.noreply;
  }

  override async terminate(_reason: unknown, state: ProducerState) {
    state.terminating = state.draining = true;
    state.offInsert();
    const runtime = this.ctx.runtime;
    if (state.live > 0) {
      // No message is handled while terminating: keep the lease alive from here, so a
      // grace period longer than the lease does not get the draining jobs rescued.
      const { store, heartbeatInterval, lease, shutdownGrace } = state.config;
      let beat = runtime.callAfter(heartbeatInterval, function renew() {
        store.heartbeat(state.node, lease).catch(() => {});
        beat = runtime.callAfter(heartbeatInterval, renew);
      });
      await new Promise<void>((resolve) => {
        const timer = runtime.callAfter(shutdownGrace, resolve);
        state.onIdle = () => {
          runtime.cancelTimer(timer);
          resolve();
        };
      });
      runtime.cancelTimer(beat);
    }
    for (const attempt of state.running.values()) {
      if (attempt.exited || attempt.pid === undefined) continue;
      attempt.stopping = 'shutdown';
      runtime.exit(attempt.pid, 'kill');
    }
    await this.flush(state);
    await this.guard(state, () => state.config.store.unregisterNode(state.node));
  }

  /** Registers this incarnation, rescuing what a previous one left executing. */
  private async register(state: ProducerState): Promise<void> {
    const { store, lease, queue } = state.config;
    const result = await store.registerNode(state.node, lease);
    const jobIds = [...result.rescued, ...result.discarded];
    if (jobIds.length > 0) {
      // As the lifeline reports a rescue: which of the jobs were discarded (their last
      // attempt ended with the node), and whose lease had lapsed.
      report(this.ctx.runtime, () => ({
        event: 'rescue',
        queue,
        node: state.node.name,
        jobIds,
        lapsedNodes: result.lapsedNodes,
        discarded: result.discarded,
      }));
    }
  }

  private wake(state: ProducerState): void {
    if (state.fetchQueued || state.terminating) return;
    state.fetchQueued = true;
    this.ctx.runtime.send(this.self, FETCH);
  }

  private queueFlush(state: ProducerState): void {
    if (state.flushQueued || state.terminating) return;
    state.flushQueued = true;
    this.ctx.runtime.send(this.self, FLUSH);
  }

  /** Claims as many jobs as there are free slots and starts them. */
  private async fetch(state: ProducerState): Promise<void> {
    const { store, concurrency } = state.config;
    const free = concurrency - state.running.size;
    if (state.draining || free <= 0) return;
    let jobs: ClaimedJob[] = [];
    try {
      jobs = await store.claim(claimRequest(state, free));
    } catch (error) {
      if (error instanceof LeaseLostError) return this.relinquish(state);
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.storeError(state, error);
      return;
    }
    for (const job of jobs) this.start(state, job);
    if (jobs.length < free) await this.armWake(state);
  }

  /**
   * Sets a timer for the next scheduled job when it is due before the next poll; for a job
   * already due but held back by the rate limit, for the next window.
   */
  private async armWake(state: ProducerState): Promise<void> {
    const { store, queue, pollInterval, rateLimit } = state.config;
    let at = await this.guard(state, () => store.nextRunAt(queue));
    if (at === undefined) return;
    const now = store.now();
    if (at <= now && rateLimit !== undefined) {
      at = (Math.floor(now / rateLimit.interval) + 1) * rateLimit.interval;
    }
    const delay = Math.max(0, at - now);
    if (delay >= pollInterval) return;
    if (state.wakeTimer !== undefined) this.cancelTimer(state.wakeTimer);
    state.wakeTimer = this.sendAfter(DUE, delay);
  }

  private start(state: ProducerState, job: ClaimedJob): void {
    const runtime = this.ctx.runtime;
    const worker = state.config.workers.get(job.worker);
    const attempt = new Running(job, worker, runtime.clock.now(), this, state);
    state.running.add(attempt);
    const { queue } = state.config;
    const node = state.node.name;
    if (worker === undefined) {
      const known = [...state.config.workers.keys()];
      this.ended(state, attempt, new Crash(new UnknownWorkerError(job.worker, queue, known)));
      return;
    }
    const pid = this.ctx.spawnLink(attemptBody(worker, job), spawnOptionsOf(worker));
    attempt.pid = pid;
    state.live++;
    // A process already gone (never, as spawns start later) is reported as `watch` does.
    if (!attachWatch(pid, attempt)) attempt.down('noproc');
    if (worker.timeout !== Number.POSITIVE_INFINITY) {
      attempt.timer = runtime.callAfter(worker.timeout, () => {
        if (attempt.exited) return;
        attempt.stopping = 'timeout';
        runtime.exit(pid, 'kill');
      });
    }
    // Checked here as well as in report(): no closure is built per attempt when nobody listens.
    if (!runtime.events.has('report')) return;
    report(runtime, () => ({
      event: 'start',
      queue,
      node,
      jobId: job.id,
      worker: job.worker,
      attempt: job.attempt,
      pid,
    }));
  }

  /** @internal Records that an attempt ended; its outcome is written with the next flush. */
  ended(state: ProducerState, attempt: Running, reason: unknown): void {
    attempt.exited = true;
    attempt.reason = reason;
    if (attempt.timer !== undefined) this.ctx.runtime.cancelTimer(attempt.timer);
    if (attempt.stopping === 'lost') return;
    state.finished.push(attempt);
    this.queueFlush(state);
  }

  /**
   * Writes the outcomes of the attempts that ended, in one batch, and claims jobs for the
   * freed slots in the same transaction (one commit, one fsync at 'machine').
   */
  private async flush(state: ProducerState): Promise<void> {
    const batch = state.finished.splice(0);
    if (batch.length === 0) return this.fetch(state);
    const { store, concurrency } = state.config;
    const outcomes = batch.map(
      (attempt) =>
        (attempt.outcome ??= outcomeOf(
          attempt,
          state.config.store,
          state.node.name,
          this.ctx.runtime,
        )),
    );
    const free = concurrency - state.running.size + batch.length;
    const claiming = !state.draining && free > 0;
    let settled: SettleResult[];
    let claimed: ClaimedJob[] = [];
    let leaseLost = false;
    try {
      if (claiming) {
        ({ settled, claimed, leaseLost } = await store.settleAndClaim(
          outcomes,
          claimRequest(state, free),
        ));
      } else {
        settled = await store.settle(outcomes);
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.storeError(state, error);
      state.finished.unshift(...batch);
      if (!state.terminating) {
        state.flushQueued = true;
        this.sendAfter(FLUSH, state.config.pollInterval);
      }
      return;
    }
    batch.forEach((attempt, i) => {
      state.running.delete(attempt);
      this.reportOutcome(state, attempt, settled[i]!);
    });
    if (leaseLost) return this.relinquish(state);
    for (const job of claimed) this.start(state, job);
    if (claiming && claimed.length < free) await this.armWake(state);
  }

  private reportOutcome(state: ProducerState, attempt: Running, result: SettleResult): void {
    const runtime = this.ctx.runtime;
    if (!runtime.events.has('report')) return;
    const { job, outcome } = attempt;
    report(runtime, () => {
      const base = {
        queue: state.config.queue,
        node: state.node.name,
        jobId: job.id,
        worker: job.worker,
        attempt: job.attempt,
        duration: runtime.clock.now() - attempt.startedAt,
      };
      if (!result.ok) return { ...base, event: 'fenced', error: result.error };
      switch (outcome!.kind) {
        case 'complete':
          return { ...base, event: 'stop' };
        case 'requeue':
          return { ...base, event: 'requeue' };
        case 'discard':
          return { ...base, event: 'discard', error: outcome!.error };
        default:
          return {
            ...base,
            event: 'exception',
            decision: outcome!.kind,
            error: 'error' in outcome! ? outcome.error : undefined,
          };
      }
    });
  }

  /** Sends a heartbeat; a lost lease stops this incarnation's attempts. */
  private async heartbeat(state: ProducerState): Promise<void> {
    try {
      await state.config.store.heartbeat(state.node, state.config.lease);
    } catch (error) {
      if (error instanceof LeaseLostError) return this.relinquish(state);
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.storeError(state, error);
    }
  }

  /**
   * The lease is gone and other nodes rescue (or rescued) this node's jobs: stop its
   * attempts (their outcomes would be refused) and register again as a new incarnation.
   */
  private async relinquish(state: ProducerState): Promise<void> {
    const runtime = this.ctx.runtime;
    report(runtime, () => ({
      event: 'lease_lost',
      queue: state.config.queue,
      node: state.node.name,
    }));
    for (const attempt of state.running.values()) {
      state.running.delete(attempt);
      if (attempt.exited || attempt.pid === undefined) continue;
      attempt.stopping = 'lost';
      runtime.exit(attempt.pid, 'kill');
    }
    // Outcomes already waiting are still written: the store refuses them as stale
    // (reported as 'fenced'), which is the record that this attempt lost its job.
    state.node = newIncarnation(state.config.node);
    await this.guard(state, () => this.register(state));
  }

  /** Runs a store call whose failure is not fatal: a `StoreUnavailableError` is reported and gives undefined. */
  private async guard<T>(state: ProducerState, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) && !(error instanceof StaleAttemptError)) {
        throw error;
      }
      this.storeError(state, error);
      return undefined;
    }
  }

  private storeError(state: ProducerState, error: unknown): void {
    report(this.ctx.runtime, () => ({
      event: 'store_error',
      queue: state.config.queue,
      node: state.node.name,
      error,
    }));
  }
}

const SPAWN_OPTIONS = new WeakMap<Worker, { label: string; behaviour: 'task' }>();

/** The spawn options of `worker`'s attempts, made once per worker rather than per attempt (the runtime copies them). */
function spawnOptionsOf(worker: Worker): { label: string; behaviour: 'task' } {
  let options = SPAWN_OPTIONS.get(worker);
  if (options === undefined) {
    options = Object.freeze({ label: `Job ${worker.name}`, behaviour: 'task' as const });
    SPAWN_OPTIONS.set(worker, options);
  }
  return options;
}

/** A new incarnation of node `name`: a short random id, as it is written on every job the node claims. */
function newIncarnation(name: string): NodeRef {
  return { name, incarnation: randomBytes(9).toString('base64url') };
}

function claimRequest(state: ProducerState, limit: number): ClaimRequest {
  const { queue, rateLimit } = state.config;
  return rateLimit === undefined
    ? { queue, node: state.node, limit }
    : { queue, node: state.node, limit, rateLimit };
}

/**
 * The attempt's body: `perform`'s result, which the runtime awaits (a throw and a rejection
 * both end the process with a crash); no async wrapper, one promise less per job.
 *
 * An attempt that returned unlinks from its producer before it exits `normal`: its watch
 * tells the producer how it ended, and the link, which makes a running attempt die with
 * its producer, has nothing left to protect; kept, it would bring the producer (which
 * traps exits) an `Exit` message per job to handle. A crash keeps its link (its `Exit` is
 * ignored as the others were). An attempt killed while `perform`'s promise was pending is
 * gone when it settles: the unlink throws `ExitError` then, as any call of a dead process
 * does, and the runtime ignores a dead process's failure.
 */
function attemptBody(worker: Worker, job: ClaimedJob) {
  return (ctx: ReceiveContext<any>): unknown => {
    const result = worker.perform(job.args, new AttemptContext(ctx, job));
    if (!isThenable(result)) {
      ctx.unlink(ctx.parent);
      return result;
    }
    // Promise.resolve: the same promise for a native one, adopted properly for another thenable.
    return Promise.resolve(result).then((value) => {
      ctx.unlink(ctx.parent);
      return value;
    });
  };
}

/** True for what `await` would treat as a promise: an object or function with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
