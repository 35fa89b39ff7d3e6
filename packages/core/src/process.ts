import type {
  Dest,
  Handler,
  Name,
  ProcessContext,
  Spawnable,
  SpawnOptions,
  Via,
} from './context.js';
import { ExitError, InvalidArgumentError, MailboxFullError } from './errors.js';
import { Crash } from './exit-reason.js';
import { assertOptionalBoolean, assertOptions } from './internal/options.js';
import { type Link, link, unlink } from './links.js';
import { Mailbox, type MailboxOptions, PushResult } from './mailbox.js';
import { type MessageTag, wrap } from './message-tag.js';
import { demonitor, type Monitor, monitor, type WatchNode } from './monitors.js';
import { isPid, Pid } from './pid.js';
import type { Ref } from './ref.js';
import type { Runtime, SendAfterOptions } from './runtime.js';
import { type Runnable, turn } from './scheduler.js';
import { childOptions } from './spawn-options.js';
import type { OwnedTimers, TimerEntry, TimerRef } from './timers.js';

/**
 * @internal The key of a handler's own warm-up (see `TimerService.warm`): a handler that
 * has a method under it (a GenServer's loop) reads there what handling its next message
 * touches, one level of pointers per `depth` (0: its own fields; 1: the objects they
 * point to), so that each pass of the warm-up reads only what the last one fetched. A
 * symbol, so that no user's handler is called by accident.
 */
export const warmHandler: unique symbol = Symbol('actorkit.warmHandler');

/** What a process is doing, as `processInfo` reports it. */
export type ProcessStatus = 'runnable' | 'running' | 'waiting' | 'exiting';

/**
 * @internal `Process.statusCode`: a `ProcessStatus` as a small integer. A string in a field
 * of an old object costs each store a write barrier (two loads of page headers, which
 * all share one cache set); a small integer costs none, and a handler process stores its
 * status twice a turn.
 */
export const Status = { Runnable: 0, Running: 1, Waiting: 2, Exiting: 3 } as const;
const STATUS_NAMES: readonly ProcessStatus[] = ['runnable', 'running', 'waiting', 'exiting'];

/**
 * @internal A process: its mailbox, links, monitors and timers, and the context methods
 * its code calls. Subclasses decide how messages are consumed (a body that `receive`s,
 * or a handler called per message). The process is its own mailbox and its own `ctx`,
 * so an idle process costs one object and its PID.
 */
export abstract class Process<M = unknown>
  extends Mailbox
  implements ProcessContext<M>, Runnable, OwnedTimers
{
  // Fields every message touches come first, after the mailbox's: V8 lays them out in
  // this order, so they share cache lines (with 100k processes, misses are most of a
  // timer tick's cost).
  readonly runtime: Runtime;
  /** Set while the process is traced: called with every message that enters its mailbox. */
  tracer: ((message: unknown) => void) | null = null;
  scheduled = false;
  /** True once it ran its first turn (a handler's `init`, or the body's start). */
  protected started = false;
  /**
   * A handler process's handler; null for a body process, and once exited. It is here,
   * among the hot fields, because V8 would lay a subclass's field out after all of these.
   */
  protected handler: Handler<M> | null = null;
  /** True when the next delivered message should put this process on the run queue. */
  idle = false;
  alive = true;
  /** @internal The status (see `Status`); `status` reads and writes it by name. */
  statusCode: number = Status.Runnable;
  handled = 0;
  timersHead: TimerEntry | null = null;
  timerCount = 0;
  /**
   * Messages left of a turn the slice's end cut short (see the subclasses' `run`), 0 when
   * none was. Every turn reads it first: it is here, among the hot fields, for the same
   * reason as `handler`.
   */
  protected cutQueued = 0;
  /** Reductions left of that turn. */
  protected cutBudget = 0;
  readonly pid: Pid<M>;
  // The last field a timer tick reads is `pid`: what follows is read less often. (The
  // constructor's parameters would come first, among the hot fields, as parameter
  // properties: they are declared here instead.)
  readonly parent: Pid<any>;
  readonly initialCall: string;
  /** True when its messages may carry tags: a handler process whose handler reads them. */
  readsTags = false;
  /** The links of this process, oldest first: a circular list of `Link` records (see `links.ts`). */
  linkHead: Link | null = null;
  /** Monitors this process holds, oldest first: a circular list of `Monitor` records (see `monitors.ts`). */
  monitorsHead: Monitor | null = null;
  /** Monitors on this process, oldest first. */
  monitoredHead: Monitor | null = null;
  /** Internal watchers (pending calls), an intrusive list. */
  watchHead: WatchNode | null = null;
  registeredName: Name | undefined = undefined;
  trapsExits = false;
  exitReason: unknown = undefined;
  private controller: AbortController | null = null;

  constructor(
    runtime: Runtime,
    id: number,
    parent: Pid<any>,
    initialCall: string,
    mailbox: MailboxOptions | undefined,
  ) {
    super(mailbox);
    this.parent = parent;
    this.initialCall = initialCall;
    this.runtime = runtime;
    this.pid = new Pid(runtime.node, id, 0, this);
    this.startedAt = runtime.clock.now();
  }

  abstract get kind(): 'body' | 'handler';
  abstract run(budget: number): number;
  /** Kind-specific clean-up once the process has exited. */
  protected abstract onExit(reason: unknown): void;

  get self(): Pid<M> {
    return this.pid;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (!this.alive && !this.controller.signal.aborted) this.controller.abort(this.exitError());
    return this.controller.signal;
  }

  /**
   * Puts `message` in the mailbox and wakes the process if it waits for one. A tagged
   * message (see `Runtime.sendTagged`) is queued bare, with its tag, for a process that
   * reads tags, and wrapped in the tag's class for any other; whoever else sees it (a
   * tracer, an overflow report) sees it wrapped.
   */
  deliver(message: unknown, tag?: MessageTag): boolean {
    // The common delivery first, with nothing but a store in the mailbox: strict
    // comparisons, as a boolean field's truthiness costs V8 a type dispatch.
    if (tag === undefined && this.tracer === null && this.tryPush(message)) {
      turn.charged++;
      if (this.idle === true && this.scheduled === false) this.runtime.scheduler.schedule(this);
      return true;
    }
    return this.deliverSlow(message, tag);
  }

  /** `deliver` for a traced process, a tagged message, or a mailbox `tryPush` declined. */
  private deliverSlow(message: unknown, tag: MessageTag | undefined): boolean {
    if (tag !== undefined && !this.readsTags) return this.deliverSlow(new tag(message), undefined);
    turn.charged++;
    if (this.tracer !== null) this.runtime.runCallback(this.tracer, wrap(message, tag));
    const result = this.push(message, false, tag);
    if (result !== PushResult.Queued) return this.overflowed(wrap(message, tag), result);
    if (this.idle && !this.scheduled) this.runtime.scheduler.schedule(this);
    return true;
  }

  /** What the process is doing, as `processInfo` reports it. */
  get status(): ProcessStatus {
    return STATUS_NAMES[this.statusCode]!;
  }

  set status(status: ProcessStatus) {
    // Compares of interned strings, in the order a body process's turns set them.
    this.statusCode =
      status === 'running'
        ? Status.Running
        : status === 'waiting'
          ? Status.Waiting
          : status === 'exiting'
            ? Status.Exiting
            : Status.Runnable;
  }

  /**
   * @internal See `TimerService.warm`: at `depth` 0, reads the fields a delivery and a turn
   * touch, across the object; deeper, what the handler reaches (its header at 1, then
   * its own `warmHandler` hook at `depth - 1`).
   */
  warm(depth: number): number {
    if (depth === 0) {
      return this.length + this.handled + this.timerCount + (this.handler === null ? 0 : 1);
    }
    const handler = this.handler as { [warmHandler]?(depth: number): number } | null;
    if (handler === null) return 0;
    return handler[warmHandler]?.(depth - 1) ?? 1;
  }

  /** Delivers an `Exit` or `Down`: the runtime's own signals are never dropped by a full mailbox. */
  deliverSignal(message: unknown): void {
    turn.charged++;
    if (this.tracer !== null) this.runtime.runCallback(this.tracer, message);
    this.push(message, true);
    if (this.idle && !this.scheduled) this.runtime.scheduler.schedule(this);
  }

  private overflowed(message: unknown, result: PushResult): boolean {
    const dropped = result === PushResult.QueuedDroppedOldest ? this.takeEvicted() : message;
    this.runtime.recordOverflow(this, dropped);
    if (result === PushResult.Rejected) throw new MailboxFullError(this.pid, this.capacity);
    if (result === PushResult.QueuedDroppedOldest) {
      this.onEvicted(this.evictedAt);
      if (this.idle && !this.scheduled) this.runtime.scheduler.schedule(this);
      return true;
    }
    return false;
  }

  /** What kind of process this is (see `SpawnOptions.behaviour`). */
  behaviour: string | undefined = undefined;
  /** When it was spawned, on the runtime's clock. */
  readonly startedAt: number;

  /** True when the process's own code threw: only such an exit is reported as a crash. */
  crashed = false;

  /** Ends the process because its own code threw or rejected: the reason is a {@link Crash}. */
  fail(error: unknown): void {
    if (!this.alive) return;
    this.crashed = true;
    this.runtime.terminate(this, new Crash(error));
  }

  /**
   * @internal See `Runnable.runFailed`: a throw out of `run` ends the process with it; if
   * the process had already exited (its exit threw, in an event listener), the error
   * becomes a `report` of type `'watcher_error'`.
   */
  runFailed(error: unknown): void {
    if (this.alive) this.fail(error);
    else this.runtime.reportWatcherError(error, this.exitReason);
  }

  /**
   * Called when a full `'drop-oldest'` mailbox evicted its oldest message that counts
   * against the capacity, at `index` (0 unless forced messages were queued before it).
   */
  protected onEvicted(_index: number): void {}

  /** @internal Called by the runtime once links, monitors and names are cleaned up. */
  finish(reason: unknown): void {
    this.statusCode = Status.Exiting;
    this.idle = false;
    this.onExit(reason);
    if (this.controller !== null && !this.controller.signal.aborted) {
      this.controller.abort(this.exitError());
    }
  }

  exitError(): ExitError {
    return new ExitError(this.exitReason, this.pid);
  }

  protected assertAlive(): void {
    if (this.alive === false) throw this.exitError();
  }

  // ---- the context API ----

  send<T>(dest: Dest<T>, message: T): boolean {
    this.assertAlive();
    // A live PID, the usual destination, skips the runtime's general path. isPid, not
    // instanceof: a revoked proxy goes on to `runtime.send`, which says what was wrong.
    if (isPid(dest)) {
      const proc = dest.proc;
      if (proc !== null && proc.alive === true) return proc.deliver(message);
    }
    return this.runtime.send(dest, message);
  }

  spawn<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    this.assertAlive();
    return this.runtime.spawn(spawnable, childOptions(options, this.pid, undefined));
  }

  spawnLink<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    this.assertAlive();
    return this.runtime.spawn(spawnable, childOptions(options, this.pid, this.pid));
  }

  spawnMonitor<T>(spawnable: Spawnable<T>, options?: SpawnOptions): [Pid<T>, Ref] {
    const pid = this.spawn(spawnable, options);
    return [pid, this.monitor(pid)];
  }

  link(pid: Pid<any>): void {
    this.assertAlive();
    turn.charged++;
    link(this.runtime, this, pid);
    this.assertAlive();
  }

  unlink(pid: Pid<any>): void {
    this.assertAlive();
    unlink(this, pid);
  }

  monitor(target: Pid<any>): Ref {
    this.assertAlive();
    turn.charged++;
    return monitor(this, target);
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    this.assertAlive();
    if (options !== undefined) {
      assertOptions(options, 'options', 'demonitor', DEMONITOR_KEYS);
      assertOptionalBoolean(options.flush, 'options.flush');
    }
    return demonitor(this, ref, options?.flush === true);
  }

  trapExit(on: boolean): boolean {
    this.assertAlive();
    const previous = this.trapsExits;
    this.trapsExits = on === true;
    return previous;
  }

  exit(reason: unknown): never;
  exit(target: Dest, reason: unknown): void;
  exit(...args: [unknown] | [Dest, unknown]): void {
    this.assertAlive();
    if (args.length < 2) {
      assertExitReason(args);
      this.runtime.terminate(this, args[0]);
      throw this.exitError();
    }
    this.runtime.exitFrom(this.pid, args[0] as Dest, args[1]);
    this.assertAlive();
  }

  sendAfter(message: M, ms: number): TimerRef;
  sendAfter<T>(dest: Dest<T>, message: T, ms: number, options?: SendAfterOptions): TimerRef;
  sendAfter(a: unknown, b: unknown, c?: number, d?: SendAfterOptions): TimerRef {
    this.assertAlive();
    // Fixed arity, not rest arguments: periodic processes call this on every tick.
    if (c === undefined) return this.runtime.sendAfterSelf(this, a, b as number);
    if (typeof c === 'object' && d === undefined) throw optionsWithoutDest(c);
    return this.runtime.sendAfter(a as Dest, b, c, d);
  }

  cancelTimer(ref: TimerRef): number | false {
    return this.runtime.cancelTimer(ref);
  }

  register(name: Name): void {
    this.assertAlive();
    this.runtime.register(name, this.pid);
  }
}

const DEMONITOR_KEYS = ['flush'];

/**
 * `ctx.exit(reason)` with a PID or `{ via, key }` as its one argument is almost surely
 * `ctx.exit(target, reason)` missing its reason: it would end the calling process with
 * the PID as reason. Say so instead. A registered name cannot be told from a reason
 * (both are strings): a string is always a reason.
 */
function assertExitReason(args: unknown[]): void {
  if (args.length === 0) {
    throw new InvalidArgumentError(
      'reason',
      "an exit reason: ctx.exit(reason) ends this process (e.g. 'normal' or 'shutdown')",
      undefined,
    );
  }
  if (looksLikeTarget(args[0])) {
    throw new InvalidArgumentError(
      'reason',
      'an exit reason, not a process: ctx.exit(reason) ends the calling process. To send an exit signal to another process, call ctx.exit(target, reason); to exit with a PID as the reason, wrap it ({ pid })',
      args[0],
    );
  }
}

function looksLikeTarget(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return value instanceof Pid || typeof (value as Via).via?.whereisName === 'function';
  } catch {
    // A revoked proxy: a strange reason, but no process.
    return false;
  }
}

/**
 * The error for `ctx.sendAfter(message, time, options)`: the options took the place of
 * the time, and the message that of the destination. The self form takes no options.
 */
function optionsWithoutDest(options: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    'ms',
    'a finite number >= 0; options go with a destination: ctx.sendAfter(ctx.self, message, time, options)',
    options,
  );
}
