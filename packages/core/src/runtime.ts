import { BodyProcess } from './body-process.js';
import { type Clock, RealClock } from './clock.js';
import type { Dest, Handler, Name, Spawnable, SpawnOptions, Via } from './context.js';
import { Deadlines } from './deadlines.js';
import { InvalidArgumentError, NoProcError, RuntimeStoppedError } from './errors.js';
import { isCrash } from './exit-reason.js';
import { HandlerProcess } from './handler-process.js';
import { IdTable } from './id-table.js';
import { isInstance } from './internal/describe.js';
import { trackRuntime } from './internal/live-runtimes.js';
import { assertOptionalBoolean, assertOptionalNumber, assertOptions } from './internal/options.js';
import { exitSignal, link, linkedTo, propagateExit } from './links.js';
import { type MessageTag, wrap } from './message-tag.js';
import { type Monitor, monitorsOf, notifyDown, watch } from './monitors.js';
import { assertDest, NameTable } from './names.js';
import { isPid, type Pid, Pid as PidClass, parsePidText } from './pid.js';
import type { Process, ProcessStatus } from './process.js';
import { reachesRemote, remoteNodes, sendRemote } from './remote.js';
import { Scheduler, type SchedulerOptions, turn } from './scheduler.js';
import { assertSpawnOptions } from './spawn-options.js';
import { Telemetry } from './telemetry.js';
import { type OwnedTimers, type TimerEntry, TimerRef, TimerService } from './timers.js';

/**
 * Options for `new Runtime()`. An unknown key or a value of the wrong type throws
 * `InvalidArgumentError`.
 */
export interface RuntimeOptions extends SchedulerOptions {
  /** Where time comes from. @default a `RealClock`; pass a `VirtualClock` in tests */
  clock?: Clock;
  /** The node number printed in PIDs (`#PID<node.id.0>`): an integer >= 0. @default 0 for the first runtime, then 1, 2, … */
  node?: number;
}

/** What `processInfo` tells about a live process (Erlang's `process_info/1`). */
export interface ProcessInfo {
  pid: Pid<any>;
  /** `'body'` for an async-function process, `'handler'` for a handler process. */
  kind: 'body' | 'handler';
  status: ProcessStatus;
  mailboxLength: number;
  /** Messages dropped or rejected by a bounded mailbox. */
  mailboxDropped: number;
  links: Pid<any>[];
  /** Processes this one monitors. */
  monitors: Pid<any>[];
  /** Processes (and callbacks, counted as `undefined`-free entries) monitoring this one. */
  monitoredBy: Pid<any>[];
  registeredName: Name | undefined;
  /** What kind of process it is: `'process'`, `'handler'`, or what a higher layer set (`'gen_server'`, `'supervisor'`, …). */
  behaviour: string;
  /** When it was spawned, in ms on the runtime's clock (compare with `runtime.clock.now()`). */
  startedAt: number;
  /** Whether `trace` is on for it. */
  traced: boolean;
  messagesHandled: number;
  initialCall: string;
  parent: Pid<any>;
  trapExit: boolean;
  pendingTimers: number;
}

/** Counters since the runtime started. */
export interface RuntimeStats {
  spawned: number;
  exited: number;
  crashed: number;
  deadLetters: number;
  mailboxDrops: number;
}

/**
 * Options for `runtime.stop()`. An unknown key or a value of the wrong type makes
 * `stop` reject with `InvalidArgumentError`.
 */
export interface StopOptions {
  /** Ms to wait for processes to shut down before killing the rest: >= 0, or Infinity. @default 5000 */
  timeout?: number;
}

/** Options for `sendAfter` (Erlang's `send_after/4`); an unknown key throws `InvalidArgumentError`. */
export interface SendAfterOptions {
  /**
   * True: the time argument is when to send, on the scale of `runtime.clock.now()`, not a
   * delay. A time already past sends at once. @default false
   */
  abs?: boolean;
}

let nextNode = 0;

/**
 * A node: a set of processes with their scheduler, names, timers and clock. Several can
 * live in one Node.js process, fully isolated (tests create one each); `defaultRuntime()`
 * gives a shared one for applications.
 *
 * @example
 * const runtime = new Runtime();
 * const echo = runtime.spawn(async (ctx) => {
 *   for (;;) {
 *     const { from, text } = await ctx.receive() as { from: Pid<string>; text: string };
 *     ctx.send(from, text);
 *   }
 * });
 * await runtime.stop();
 */
export class Runtime {
  readonly node: number;
  readonly clock: Clock;
  /** Lifecycle events: spawn, exit, crash, deadLetter, mailboxOverflow, report. */
  readonly events: Telemetry;
  /**
   * The PID of the runtime itself (Erlang's init, `#PID<node.0.0>`): the parent of
   * processes spawned from outside any process, and the sender of `runtime.exit` and
   * `stop` signals. It is not a process; messages sent to it are dead letters.
   */
  readonly initPid: Pid<unknown>;
  readonly stats: RuntimeStats = {
    spawned: 0,
    exited: 0,
    crashed: 0,
    deadLetters: 0,
    mailboxDrops: 0,
  };
  /** @internal */
  readonly scheduler: Scheduler;
  /** @internal */
  readonly timers: TimerService;
  /** @internal Call timeouts: see `Deadlines`. */
  readonly deadlines: Deadlines;
  private readonly table = new IdTable<Process<any>>();
  /** @internal The monitors this runtime's processes hold, by their ref's id (see `monitors.ts`). */
  readonly monitorRefs = new IdTable<Monitor>();
  private readonly names = new NameTable(this);
  private nextId = 1;
  private readonly dying: Process<any>[] = [];
  private draining = false;
  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private stopping: Promise<void> | undefined;

  constructor(options: RuntimeOptions = {}) {
    assertRuntimeOptions(options);
    this.node = options.node ?? nextNode++;
    this.events = new Telemetry(this.node);
    this.clock = options.clock ?? new RealClock();
    this.scheduler = new Scheduler(options);
    this.timers = new TimerService(this.clock, this.scheduler, (entry, owner) =>
      this.fireTimer(entry, owner),
    );
    this.deadlines = new Deadlines(
      this.clock,
      this.timers,
      () => this.scheduler.wake(),
      (error) => this.reportWatcherError(error, 'timeout'),
    );
    this.scheduler.afterRun = () => this.stampPending();
    this.initPid = new PidClass(this.node, 0, 0, null);
    this.clock.attach?.(() => this.scheduler.idle);
    trackRuntime(this);
  }

  /**
   * Starts a process running `spawnable` and returns its PID at once; the process runs
   * on a later turn. `spawnable` is either an async function `(ctx) => …` that takes
   * messages with `ctx.receive()`, or a {@link Handler} whose `handle(message, ctx)` is
   * called per message (faster; what GenServer uses).
   *
   * Throws `InvalidArgumentError` for anything else, `NameTakenError` if `options.name`
   * is taken, and `RuntimeStoppedError` after `stop()`.
   *
   * @example
   * const pid = runtime.spawn({ handle: (msg) => console.log(msg) });
   * runtime.send(pid, 'hi');
   */
  spawn<M>(spawnable: Spawnable<M>, options: SpawnOptions = {}): Pid<M> {
    if (this.state === 'stopped') throw new RuntimeStoppedError('spawn');
    const isBody = typeof spawnable === 'function';
    if (!isBody && !isHandler(spawnable)) {
      throw new InvalidArgumentError(
        'spawnable',
        'an async function (ctx) => … or a handler object with a handle(message, ctx) method',
        spawnable,
      );
    }
    assertSpawnOptions(options);
    if (options.name !== undefined) this.names.assertFree(options.name);
    const parent = options.parent ?? options.link ?? this.initPid;
    const label = options.label ?? labelOf(spawnable);
    const id = this.nextId++;
    const proc: Process<M> = isBody
      ? new BodyProcess(this, id, parent, label, options.mailbox, spawnable)
      : new HandlerProcess(this, id, parent, label, options.mailbox, spawnable);
    this.table.set(id, proc);
    this.stats.spawned++;
    turn.charged++;
    if (options.trapExit === true) proc.trapsExits = true;
    if (options.behaviour !== undefined) proc.behaviour = options.behaviour;
    if (options.name !== undefined) this.register(options.name, proc.pid);
    if (options.link !== undefined) link(this, proc, options.link);
    if (this.events.has('spawn')) {
      this.events.emit('spawn', { node: this.node, pid: proc.pid, parent, initialCall: label });
    }
    if (proc.alive) this.scheduler.schedule(proc);
    return proc.pid;
  }

  /**
   * Sends `message` to `dest` (a PID, a registered name, or `{ via, key }`) and returns
   * at once; the message is queued in order behind the sender's earlier ones.
   *
   * As in Erlang, sending to a dead PID is not an error: the message is a dead letter
   * (counted in `stats.deadLetters`, emitted as `deadLetter`) and `send` returns false.
   * Sending to a name nobody holds throws `NoProcError`. A bounded mailbox may drop the
   * message (returns false) or, with `overflow: 'reject'`, throw `MailboxFullError`. A
   * `dest` that is none of these (a revoked proxy included) throws `InvalidArgumentError`.
   */
  send<M>(dest: Dest<M>, message: M): boolean {
    return this.sendTagged(dest, message, undefined);
  }

  /**
   * @internal Sends `message` with a `tag` beside it: a process whose handler reads
   * tags gets the bare message and the tag, any other gets `new tag(message)`. This is
   * how a higher layer marks its protocol's messages (a GenServer's casts) without
   * allocating an envelope per message. Without a tag it is `send`.
   */
  sendTagged(dest: Dest, message: unknown, tag: MessageTag | undefined): boolean {
    // isPid, not instanceof: a revoked proxy goes on to the name lookup, which says what
    // was wrong (InvalidArgumentError) instead of throwing instanceof's TypeError.
    if (isPid(dest)) {
      const proc = dest.proc;
      if (proc?.alive) return proc.deliver(message, tag);
      const remote = dest.node === this.node ? undefined : remoteNodes(this);
      if (remote !== undefined) return remote.send(dest, message, tag);
      this.deadLetter(dest, wrap(message, tag), 'noproc');
      return false;
    }
    const proc = this.names.lookup(dest);
    if (proc !== undefined) return proc.deliver(message, tag);
    // A `{ via, key }` naming a process of another node (a global name) is sent there.
    const held = this.names.remoteHolder(dest);
    if (held !== undefined) return this.sendTagged(held, message, tag);
    return this.names.resolve(dest).deliver(message, tag);
  }

  /**
   * Sends an exit signal with `reason` to `dest`, from the runtime (see `initPid`).
   * `'kill'` ends the process as `'killed'`, even if it traps exits. A process that
   * traps exits receives an `Exit` message instead; otherwise `'normal'` is ignored and
   * any other reason ends it. Since JavaScript cannot interrupt running code, a process
   * busy in an `await` stops at its next context call or message boundary; its
   * `ctx.signal` aborts at once, so I/O that honours it stops too.
   */
  exit(dest: Dest, reason: unknown): void {
    this.exitFrom(this.initPid, dest, reason);
  }

  /** @internal */
  exitFrom(from: Pid<any>, dest: Dest, reason: unknown): void {
    turn.charged++;
    // A `{ via, key }` naming a process of another node (a global name) is signalled there.
    const target = isPid(dest) ? dest : (this.names.remoteHolder(dest) ?? dest);
    const proc = isPid(target) ? target.proc : this.names.resolve(target);
    if (proc?.alive) exitSignal(this, proc, from, reason, false);
    else if (isPid(target) && target.node !== this.node) {
      remoteNodes(this)?.exit(from, target, reason);
    }
  }

  /**
   * Registers `pid` under `name` (Erlang's `register/2`); the name is freed when the
   * process exits. Throws `NameTakenError` if another live process holds the name,
   * `NoProcError` if `pid` is dead, and an error if the process already has a name.
   */
  register(name: Name, pid: Pid<any>): void {
    this.names.register(name, pid);
  }

  /** Frees `name`; returns false if nothing was registered under it. */
  unregister(name: Name): boolean {
    return this.names.unregister(name);
  }

  /** The PID registered under `name`, or undefined. */
  whereis<M = unknown>(name: Name): Pid<M> | undefined {
    return this.names.get(name)?.pid as Pid<M> | undefined;
  }

  /** Every registered name. */
  registered(): Name[] {
    return this.names.names();
  }

  /**
   * Resolves `dest` to a live PID, or undefined: a PID is returned if alive, a name or
   * `{ via, key }` is looked up.
   */
  resolve<M>(dest: Dest<M>): Pid<M> | undefined {
    if (isPid(dest)) return dest.proc?.alive ? dest : undefined;
    return this.names.lookup(dest as Name | Via)?.pid as Pid<M> | undefined;
  }

  /**
   * Sends `message` to `dest` after `ms` milliseconds of the runtime's clock, returning
   * a ref for `cancelTimer`/`readTimer` (Erlang's `erlang:send_after/3`). A name is
   * resolved when the timer fires. A timer to a PID is cancelled when that process
   * exits, so a process's timers to itself die with it.
   *
   * All timers share one queue per runtime and one clock alarm: a million pending
   * timers cost a million small pooled objects, not a million Node timers.
   *
   * Unlike Erlang, where the timer starts at the call, a timer set while processes run
   * starts counting when that run of the scheduler ends (at most a slice, 3 ms by
   * default, later): one clock reading then serves every timer the run set. A timer is
   * never early; on a `VirtualClock` it is exact. While the runtime's timers fall due
   * at 2 or more per ms, a timer may go off late by a sixteenth of its delay, at most
   * `clock.timerSlackMs` (8 ms on a `RealClock`), so that one wake-up serves many.
   *
   * With `{ abs: true }` (Erlang's `send_after/4` option), `ms` is not a delay but the
   * time to send at, on the scale of `runtime.clock.now()`; a time already past sends at
   * once.
   *
   * @example
   * const at = runtime.clock.now() + 1000;
   * runtime.sendAfter(pid, 'tick', at, { abs: true });
   */
  sendAfter<M>(dest: Dest<M>, message: M, ms: number, options?: SendAfterOptions): TimerRef {
    const delay = options === undefined ? ms : this.delayUntil(ms, options);
    assertDelay(delay);
    assertDest(dest);
    const toPid = isPid(dest);
    const owner = toPid ? dest.proc : null;
    if (toPid && !owner?.alive && !reachesRemote(this, dest)) return new TimerRef(null, 0);
    return this.timers.add(delay, dest, message, null, owner);
  }

  /**
   * Calls `callback` after `ms` milliseconds of the runtime's clock: `setTimeout` for
   * code outside processes (call timeouts, backoff), on the same queue as `sendAfter`,
   * so a `VirtualClock` drives it too. Cancel with `cancelTimer`. What `callback`
   * throws becomes a `report` of type `'watcher_error'`.
   */
  callAfter(ms: number, callback: () => void): TimerRef {
    assertDelay(ms);
    if (typeof callback !== 'function') {
      throw new InvalidArgumentError('callback', 'a function', callback);
    }
    return this.timers.add(ms, undefined, undefined, callback, null);
  }

  /**
   * Cancels a timer; returns the whole ms it had left (see `readTimer`), or false if it
   * already fired or was cancelled. With `{ info: false }` (Erlang's option) it skips
   * reading the clock and returns whether it cancelled anything. Anything but a timer ref,
   * or an unknown option, throws `InvalidArgumentError`.
   */
  cancelTimer(ref: TimerRef): number | false;
  cancelTimer(ref: TimerRef, options: { info: false }): boolean;
  cancelTimer(ref: TimerRef, options?: { info?: boolean }): number | boolean {
    const entry = this.timerEntry(ref);
    const info = options === undefined || wantsInfo(options);
    if (entry === null) return false;
    const left = info ? this.timers.remaining(entry) : true;
    this.timers.cancel(entry);
    return left;
  }

  /**
   * The whole ms left on a timer, or false if it already fired or was cancelled. As
   * Erlang's `erlang:read_timer/1`, an integer: the ms the timer is due in less the
   * current ms, each rounded up (so a timer just set reports its full delay, and one due
   * but not yet fired reports 0).
   */
  readTimer(ref: TimerRef): number | false {
    const entry = this.timerEntry(ref);
    return entry === null ? false : this.timers.remaining(entry);
  }

  /**
   * Calls `onDown(reason)` once when `pid` exits: a monitor for code that is not a
   * process (awaiting a reply from outside any process, a registry's clean-up). If
   * `pid` is not alive, `onDown('noproc')` runs before `watch` returns. `onDown` runs
   * synchronously during the exit; an error it throws is emitted as a
   * `report` of type `'watcher_error'`. Returns a function that cancels the watch.
   * Watching a process twice with the same function watches it once. A `pid` that is not
   * a PID, or an `onDown` that is not a function, throws `InvalidArgumentError`.
   */
  watch(pid: Pid<any>, onDown: (reason: unknown) => void): () => boolean {
    if (typeof onDown !== 'function') {
      throw new InvalidArgumentError('onDown', 'a function (reason) => void', onDown);
    }
    return watch(pid, onDown, (reason) => this.runCallback(onDown, reason));
  }

  /**
   * Calls `onMessage` with every message that enters `pid`'s mailbox from now on (what
   * Erlang's `erlang:trace(Pid, true, ['receive'])` shows): sends, timer messages, and
   * `Exit`/`Down` signals. One tracer per process; a new one replaces the old. Tracing
   * ends when the process exits or the returned function is called. Costs one property
   * check per message when off. Throws `NoProcError` for a dead PID.
   */
  trace(pid: Pid<any>, onMessage: (message: unknown) => void): () => void {
    if (typeof onMessage !== 'function') {
      throw new InvalidArgumentError('onMessage', 'a function (message) => void', onMessage);
    }
    const proc = isPid(pid) ? pid.proc : null;
    if (!proc?.alive) throw new NoProcError(pid, 'Only a live process can be traced.');
    proc.tracer = onMessage;
    return () => {
      if (proc.tracer === onMessage) proc.tracer = null;
    };
  }

  /** True when `pid` is a live process. */
  isAlive(pid: Pid<any>): boolean {
    return isPid(pid) && pid.proc?.alive === true;
  }

  /**
   * Information about a live process, found by PID, registered name or `{ via, key }`
   * (as `send` finds it), or undefined if there is none. Throws `InvalidArgumentError`
   * for anything else.
   *
   * @example
   * runtime.processInfo({ via: users, key: 'user:42' })?.mailboxLength; // 0
   */
  processInfo(dest: Dest): ProcessInfo | undefined {
    const toPid = isPid(dest);
    const proc = toPid ? this.table.get(dest.id) : this.names.lookup(dest);
    if (proc === undefined || (toPid && proc.pid !== dest)) return undefined;
    const monitors = monitorsOf(proc);
    return {
      pid: proc.pid,
      kind: proc.kind,
      status: proc.status,
      mailboxLength: proc.length,
      mailboxDropped: proc.dropped,
      links: linkedTo(proc).map((p) => p.pid),
      monitors: monitors.targets.map((p) => p.pid),
      monitoredBy: monitors.watchers.flatMap((w) => (typeof w === 'function' ? [] : [w.pid])),
      registeredName: proc.registeredName,
      behaviour: proc.behaviour ?? (proc.kind === 'body' ? 'process' : 'handler'),
      startedAt: proc.startedAt,
      traced: proc.tracer !== null,
      messagesHandled: proc.handled,
      initialCall: proc.initialCall,
      parent: proc.parent,
      trapExit: proc.trapsExits,
      pendingTimers: proc.timerCount,
    };
  }

  /** Every live PID, oldest first. */
  processes(): Pid<any>[] {
    return this.table.sorted().map((p) => p.pid);
  }

  /** Live processes right now. */
  get processCount(): number {
    return this.table.size;
  }

  /** @internal The live process numbered `id` on this node, if any: how a node layer finds a frame's target. */
  liveProcess(id: number): Process<any> | undefined {
    const proc = this.table.get(id);
    return proc?.alive ? proc : undefined;
  }

  /** Parses `#PID<0.42.0>` back into the live process's own PID (or a PID of nobody). */
  parsePid<M = unknown>(text: string): Pid<M> {
    const { node, id, serial } = parsePidText(text);
    const proc = node === this.node && serial === 0 ? this.table.get(id) : undefined;
    return (proc?.pid ?? new PidClass(node, id, serial, null)) as Pid<M>;
  }

  /** True until `stop()` has finished. */
  get running(): boolean {
    return this.state !== 'stopped';
  }

  /**
   * Stops every process and releases every timer, leaving nothing that keeps Node.js
   * alive. Processes without a live parent get an exit signal `'shutdown'` from the
   * runtime one at a time, newest first (supervisors then stop their children in
   * reverse start order); whatever is still alive after `timeout` ms is killed.
   */
  stop(options: StopOptions = {}): Promise<void> {
    try {
      assertOptions(options, 'options', 'stop', STOP_KEYS);
      assertOptionalNumber(options.timeout, 'options.timeout', { min: 0, infinite: true });
    } catch (error) {
      return Promise.reject(error);
    }
    this.stopping ??= this.shutdown(options.timeout ?? 5000);
    return this.stopping;
  }

  // ---- internals used by processes ----

  /** @internal Ends `proc` with `reason`: links, monitors, names, timers, events. */
  terminate(proc: Process<any>, reason: unknown): void {
    if (!proc.alive) return;
    proc.alive = false;
    proc.exitReason = reason;
    proc.status = 'exiting';
    this.dying.push(proc);
    if (this.draining) return;
    this.draining = true;
    try {
      // A queue, not recursion: an exit cascading down a long chain of links stays flat.
      for (let next = this.dying.shift(); next !== undefined; next = this.dying.shift()) {
        try {
          this.cleanUp(next, next.exitReason);
        } catch (error) {
          // Nothing in the clean-up should throw, whatever the reason; if something does,
          // the process is still gone from `processes()` and the exit still returns.
          this.table.delete(next.pid.id);
          this.reportWatcherError(error, next.exitReason);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** @internal `sendAfter` from a process to itself: its own timer, no destination to check. */
  sendAfterSelf(proc: Process<any>, message: unknown, ms: number): TimerRef {
    assertDelay(ms);
    return this.timers.add(ms, proc.pid, message, null, proc);
  }

  /** @internal */
  addTimer(ms: number, callback: () => void, owner: OwnedTimers): TimerRef {
    return this.timers.add(ms, undefined, undefined, callback, owner);
  }

  /** @internal */
  recordOverflow(proc: Process<any>, message: unknown): void {
    this.stats.mailboxDrops++;
    if (this.events.has('mailboxOverflow')) {
      const { overflow: policy, capacity } = proc;
      const event = { node: this.node, pid: proc.pid, message, policy, capacity };
      this.events.emit('mailboxOverflow', event);
    }
  }

  /** @internal Runs a watcher callback; what it throws becomes a report, never a crash of the node. */
  runCallback(callback: (reason: unknown) => void, reason: unknown): void {
    try {
      callback(reason);
    } catch (error) {
      this.reportWatcherError(error, reason);
    }
  }

  /** @internal */
  reportWatcherError(error: unknown, reason: unknown): void {
    if (this.events.has('report'))
      this.events.emit('report', { type: 'watcher_error', node: this.node, error, reason });
  }

  private cleanUp(proc: Process<any>, reason: unknown): void {
    proc.pid.proc = null;
    this.timers.cancelOwned(proc);
    this.names.release(proc);
    propagateExit(this, proc, reason);
    notifyDown(this, proc, reason);
    proc.finish(reason);
    this.stats.exited++;
    // Without a listener, a mailbox of millions is forgotten at once, not copied.
    if (this.events.has('deadLetter')) {
      for (const message of proc.drain()) this.deadLetter(proc.pid, message, 'exited');
    } else {
      this.stats.deadLetters += proc.discard();
    }
    this.emitExit(proc, reason);
    this.table.delete(proc.pid.id);
  }

  private emitExit(proc: Process<any>, reason: unknown): void {
    const registeredName = proc.registeredName;
    // One crash, one report: processes that exit because a linked one crashed share its
    // reason but did not crash themselves (Erlang's crash reports work the same way).
    if (proc.crashed && isCrash(reason)) {
      this.stats.crashed++;
      if (this.events.has('crash')) {
        this.events.emit('crash', {
          node: this.node,
          pid: proc.pid,
          error: reason.error,
          stack: reason.stack,
          registeredName,
          initialCall: proc.initialCall,
          messagesHandled: proc.handled,
        });
      }
    }
    if (this.events.has('exit'))
      this.events.emit('exit', { node: this.node, pid: proc.pid, reason, registeredName });
  }

  /**
   * Records a message that reached no process: counts it in `stats.deadLetters` and
   * emits `deadLetter`. The runtime calls it for sends to dead PIDs; higher layers call
   * it for messages they must drop (a supervisor's stand-in for a child in backoff).
   */
  deadLetter(to: unknown, message: unknown, reason: 'noproc' | 'exited' = 'noproc'): void {
    this.stats.deadLetters++;
    if (this.events.has('deadLetter')) {
      this.events.emit('deadLetter', { node: this.node, to, message, reason });
    }
  }

  private fireTimer(entry: TimerEntry, owner: OwnedTimers | null): void {
    if (entry.callback !== null) {
      this.runCallback(entry.callback, undefined);
      return;
    }
    // A timer to a PID is owned by that process: no need to go through the PID.
    const proc = owner !== null ? (owner as Process<any>) : this.timerTarget(entry);
    if (proc?.alive) {
      try {
        proc.deliver(entry.message);
      } catch {
        // A full 'reject' mailbox: the drop is already counted and emitted.
      }
    } else if (!sendRemote(this, this.remoteTimerDest(entry.dest), entry.message)) {
      this.deadLetter(entry.dest, entry.message, 'noproc');
    }
  }

  /**
   * Where on another node a timer's message goes: its PID, or the PID a `{ via, key }`
   * names there (a global name). A registry that throws was reported by `timerTarget`.
   */
  private remoteTimerDest(dest: unknown): unknown {
    if (isPid(dest)) return dest;
    try {
      return this.names.remoteHolder(dest as Name | Via);
    } catch {
      return undefined;
    }
  }

  /**
   * The live process a timer to a name is for, if any. Looking `{ via, key }` up runs the
   * registry's own code, which may throw by now (a proxy revoked since): that is a
   * `watcher_error` report, never a throw out of the clock's alarm.
   */
  private timerTarget(entry: TimerEntry): Process<any> | null | undefined {
    const dest = entry.dest;
    if (isPid(dest)) return dest.proc;
    try {
      return this.names.lookup(dest as Name | Via);
    } catch (error) {
      this.reportWatcherError(error, entry.message);
      return undefined;
    }
  }

  /** Starts the timers and call deadlines set during the run that just ended, all at once. */
  private stampPending(): void {
    if (!this.timers.hasStaged && !this.deadlines.hasUnstamped) return;
    const now = this.clock.now();
    this.timers.placeStaged(now);
    this.deadlines.stamp(now);
  }

  /** `sendAfter`'s delay for `time` under `options`: `time` itself, or the ms until it with `abs`. */
  private delayUntil(time: number, options: SendAfterOptions): number {
    assertOptions(options, 'options', 'sendAfter', SEND_AFTER_KEYS);
    assertOptionalBoolean(options.abs, 'options.abs');
    if (options.abs !== true) return time;
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new InvalidArgumentError('time', 'a finite time on runtime.clock.now()', time);
    }
    return Math.max(0, time - this.clock.now());
  }

  private timerEntry(ref: TimerRef): TimerEntry | null {
    if (!isInstance(ref, TimerRef)) {
      throw new InvalidArgumentError('ref', 'a timer ref from sendAfter', ref);
    }
    return this.timers.pendingEntry(ref);
  }

  private async shutdown(timeout: number): Promise<void> {
    this.state = 'stopping';
    const deadline = Date.now() + timeout;
    const roots = this.table
      .sorted()
      .filter((p) => !this.isAlive(p.parent))
      .reverse();
    for (const root of roots) {
      if (!root.alive) continue;
      const exited = new Promise<void>((resolve) => this.watch(root.pid, () => resolve()));
      exitSignal(this, root, this.initPid, 'shutdown', false);
      await waitUntil(exited, deadline - Date.now());
    }
    for (const proc of this.table.sorted().reverse()) this.terminate(proc, 'killed');
    this.state = 'stopped';
    this.timers.clear(true);
    this.scheduler.clear();
  }
}

function waitUntil(promise: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  // setTimeout would take Infinity (or anything past 2^31 - 1 ms) for 1 ms.
  if (ms > 2 ** 31 - 1) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True when `value` has a `handle` method; false, never a throw, if it cannot be read. */
function isHandler(value: unknown): value is Handler<any> {
  try {
    return typeof (value as Handler<any> | null)?.handle === 'function';
  } catch {
    // A revoked proxy, or a `handle` getter that throws.
    return false;
  }
}

/** What `processInfo` shows as the initial call; never throws (a revoked function proxy). */
function labelOf(spawnable: Spawnable<any>): string {
  try {
    if (typeof spawnable === 'function') return spawnable.name || 'anonymous';
    const name = spawnable.constructor?.name;
    return name && name !== 'Object' ? name : 'handler';
  } catch {
    return typeof spawnable === 'function' ? 'anonymous' : 'handler';
  }
}

const RUNTIME_KEYS = ['clock', 'node', 'budget', 'sliceMs'];
const STOP_KEYS = ['timeout'];
const CANCEL_TIMER_KEYS = ['info'];
const SEND_AFTER_KEYS = ['abs'];

/** `cancelTimer`'s `info` option, checked. */
function wantsInfo(options: { info?: boolean }): boolean {
  assertOptions(options, 'options', 'cancelTimer', CANCEL_TIMER_KEYS);
  assertOptionalBoolean(options.info, 'options.info');
  return options.info !== false;
}

function assertRuntimeOptions(options: RuntimeOptions): void {
  assertOptions(options, 'options', 'new Runtime()', RUNTIME_KEYS);
  const clock = options.clock;
  if (clock !== undefined && !isClock(clock)) {
    throw new InvalidArgumentError(
      'options.clock',
      'a Clock (a RealClock or a VirtualClock)',
      clock,
    );
  }
  assertOptionalNumber(options.node, 'options.node', { min: 0, integer: true });
}

function isClock(clock: Clock): boolean {
  return (
    typeof clock?.now === 'function' &&
    typeof clock.setAlarm === 'function' &&
    typeof clock.clearAlarm === 'function'
  );
}

function assertDelay(ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError('ms', 'a finite number >= 0', ms);
  }
}
