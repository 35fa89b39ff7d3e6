import type { MailboxOptions } from './mailbox.js';
import type { MessageTag } from './message-tag.js';
import type { Inbox, Timeout } from './messages.js';
import type { Pid } from './pid.js';
import type { Ref } from './ref.js';
import type { Runtime, SendAfterOptions } from './runtime.js';
import type { TimerRef } from './timers.js';

/** A registered process name, like an Erlang atom. */
export type Name = string | symbol;

/**
 * Something that can name processes, as Erlang's `{via, Module, Name}`: a
 * {@link Registry} is one. Anything implementing these three methods can be used.
 */
export interface ViaRegistry {
  whereisName(key: unknown): Pid<any> | undefined;
  /**
   * Registers `pid` under `key`, with the `value` of a `{ via, key, value }` name if it
   * has one; throws `NameTakenError` if the key is held by a live process.
   */
  registerName(key: unknown, pid: Pid<any>, value?: unknown): void;
  unregisterName(key: unknown): void;
}

/**
 * A name looked up through a registry: `{ via: registry, key: userId }`, as Elixir's
 * `{:via, Registry, {registry, key}}`. A process started under it with a `value`
 * (`{ via: registry, key, value }`, Elixir's `{registry, key, value}`) is registered
 * with that value; looking it up, with or without the value, finds the same process.
 */
export interface Via {
  via: ViaRegistry;
  key: unknown;
  /** Stored with the registration when a process is started under this name. */
  value?: unknown;
}

/** Where a message can be sent: a PID, a registered name, or a `{ via, key }` name. */
export type Dest<M = any> = Pid<M> | Name | Via;

/**
 * Options for `receive`. An unknown key or a value of the wrong type makes `receive`
 * reject with `InvalidArgumentError`.
 */
export interface ReceiveOptions {
  /**
   * Milliseconds to wait for a matching message before resolving to `TIMEOUT`
   * (Erlang's `after`). `0` checks the mailbox once. @default Infinity
   */
  timeout?: number;
}

/**
 * Options for `spawn`, `spawnLink` and `spawnMonitor`. An unknown key or a value of the
 * wrong type throws `InvalidArgumentError`, and no process is started.
 */
export interface SpawnOptions {
  /** Registers the new process under this name before it runs. */
  name?: Name;
  /** Links the new process to this PID before it runs (what `spawnLink` does). */
  link?: Pid<any>;
  /** The process shown as parent in `processInfo`. @default the linking or spawning process, else the runtime's init PID */
  parent?: Pid<any>;
  /** Starts the process already trapping exits. @default false */
  trapExit?: boolean;
  /** Bounded mailbox settings. @default unbounded */
  mailbox?: MailboxOptions;
  /** What `processInfo` shows as the initial call. @default the function's or handler class's name */
  label?: string;
  /**
   * What kind of process this is, for tools like the observer: higher layers set it
   * (`'gen_server'`, `'supervisor'`, `'task'`, …). @default `'process'` for a body, `'handler'` for a handler
   */
  behaviour?: string;
}

/**
 * What a process is: an async function that `receive`s messages when it wants them
 * (Erlang's `spawn(fun)`). The process exits `'normal'` when the function returns, and
 * with a {@link Crash} reason when it throws or rejects.
 */
export type ProcessBody<M> = (ctx: ReceiveContext<M>) => unknown;

/**
 * The fast kind of process: `handle` is called once per message, and the runtime takes
 * the next message only when it returns (or, if it returns a promise, when the promise
 * settles). GenServer is built on it. `init` runs first, before any message.
 */
export interface Handler<M> {
  init?(ctx: ProcessContext<M>): void | Promise<void>;
  handle(message: Inbox<M>, ctx: ProcessContext<M>): void | Promise<void>;
  /**
   * @internal Handles a message sent with `Runtime.sendTagged`. A handler without it
   * gets such messages wrapped in their tag's class, through `handle`.
   */
  handleTagged?(message: unknown, tag: MessageTag, ctx: ProcessContext<M>): void | Promise<void>;
}

/** What `spawn` accepts: a {@link ProcessBody} function or a {@link Handler} object. */
export type Spawnable<M> = ProcessBody<M> | Handler<M>;

/**
 * What a process can do: the `ctx` given to a process body or handler. Every call
 * acts on behalf of this process (links, monitors and timers it creates are its own
 * and die with it). Once the process has exited, each call throws `ExitError`, so code
 * still running after a `kill` stops at its next step.
 */
export interface ProcessContext<M = unknown> {
  /** This process's PID. */
  readonly self: Pid<M>;
  /** The runtime this process lives in. */
  readonly runtime: Runtime;
  /**
   * Aborts when this process exits, for any reason (with an `ExitError` as its reason).
   * Pass it to `fetch`, streams and database drivers so a killed process's I/O stops.
   */
  readonly signal: AbortSignal;
  /** The parent: the process that spawned or linked this one, or the runtime's init PID. */
  readonly parent: Pid<any>;

  /** Sends `message` to `dest`; see `Runtime.send`. */
  send<T>(dest: Dest<T>, message: T): boolean;
  /** Spawns a process, unlinked. */
  spawn<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T>;
  /** Spawns a process linked to this one (atomically, before it runs). */
  spawnLink<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T>;
  /** Spawns a process and monitors it; returns its PID and the monitor ref. */
  spawnMonitor<T>(spawnable: Spawnable<T>, options?: SpawnOptions): [Pid<T>, Ref];
  /**
   * Links this process to `pid`: when either exits, the other gets an exit signal.
   * Linking to a dead process delivers an exit signal with reason `'noproc'` at once.
   */
  link(pid: Pid<any>): void;
  /** Removes the link to `pid`, if any. */
  unlink(pid: Pid<any>): void;
  /**
   * Monitors `target`: one `Down` message arrives when it exits, or at once with
   * reason `'noproc'` if it is not alive. To monitor a registered name, resolve it with
   * `runtime.whereis` first.
   */
  monitor(target: Pid<any>): Ref;
  /**
   * Removes a monitor; returns true if it was active. With `flush: true` also removes
   * its `Down` message if that already arrived. The answer is that of Erlang's
   * `demonitor(Ref, [info])` (false once the `Down` was sent); Elixir's
   * `Process.demonitor/1` without `:info` answers true whatever the case.
   */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean;
  /** Turns exit trapping on or off (exit signals become `Exit` messages); returns the old value. */
  trapExit(on: boolean): boolean;
  /**
   * Exits this process with `reason` (throws `ExitError` to stop the running code).
   *
   * A PID or `{ via, key }` as the only argument throws `InvalidArgumentError` instead:
   * it is nearly always `ctx.exit(target, reason)` with the reason forgotten, which
   * would end the calling process. To exit with a PID as the reason, wrap it
   * (`ctx.exit({ pid })`). A string is always taken as a reason, never as a name.
   */
  exit(reason: unknown): never;
  /** Sends an exit signal with `reason` to `target`; see `Runtime.exit`. */
  exit(target: Dest, reason: unknown): void;
  /**
   * Sends `message` to this process after `ms` milliseconds. This form takes no options:
   * for `{ abs: true }`, name the process, `ctx.sendAfter(ctx.self, message, time, options)`
   * (options here instead of the time throw `InvalidArgumentError` saying so).
   */
  sendAfter(message: M, ms: number): TimerRef;
  /**
   * Sends `message` to `dest` after `ms` milliseconds, or at the time `ms` with
   * `{ abs: true }`; see `Runtime.sendAfter`.
   */
  sendAfter<T>(dest: Dest<T>, message: T, ms: number, options?: SendAfterOptions): TimerRef;
  /**
   * Cancels a timer; returns the whole ms it had left, or false if it already fired.
   * Always synchronous: where Erlang's `cancel_timer` takes `{async, true}` so as not to
   * wait on another scheduler's timer wheel, a runtime's timers are all on its own
   * thread, and cancelling one costs a few array writes.
   */
  cancelTimer(ref: TimerRef): number | false;
  /** Registers this process under `name`. */
  register(name: Name): void;
}

/** The context of a process body: a {@link ProcessContext} that can also `receive`. */
export interface ReceiveContext<M = unknown> extends ProcessContext<M> {
  /**
   * Waits for the first message in the mailbox (selective receive: the first that
   * `match` accepts, leaving the others in order). With a `timeout`, resolves to
   * `TIMEOUT` if none arrives in time; with `timeout: 0`, if none is in the mailbox
   * when it looks. One receive at a time per process.
   *
   * A receive that finds its match among the messages queued when the process's turn
   * began resolves at once, in the same turn: a receive loop takes up to a budget of
   * messages per turn (see `SchedulerOptions`). Otherwise it waits for a later turn,
   * behind every other runnable process: so does a message the process sent itself.
   *
   * A promise cannot resolve to a thenable, so a message that is a promise or has a
   * `then` method (or cannot be read at all: a revoked proxy) makes `receive` reject
   * with an `ActorkitError` of code `'UNRECEIVABLE_MESSAGE'` instead, and is dropped:
   * wrap such values (`{ value }`) before sending them to a body process. A handler
   * process takes them as they are.
   *
   * @example
   * const reply = await ctx.receive((m): m is Reply => m.ref === ref, { timeout: 5000 });
   * if (reply === TIMEOUT) ...
   */
  receive(): Promise<Inbox<M>>;
  receive<T extends Inbox<M>>(match: (message: Inbox<M>) => message is T): Promise<T>;
  receive(match: (message: Inbox<M>) => boolean): Promise<Inbox<M>>;
  receive(options: ReceiveOptions): Promise<Inbox<M> | Timeout>;
  receive<T extends Inbox<M>>(
    match: (message: Inbox<M>) => message is T,
    options: ReceiveOptions,
  ): Promise<T | Timeout>;
  receive(
    match: ((message: Inbox<M>) => boolean) | undefined,
    options: ReceiveOptions,
  ): Promise<Inbox<M> | Timeout>;
}
