import type {
  MailboxOptions,
  Name,
  Pid,
  ProcessContext,
  Runtime,
  SystemMessage,
  Timeout,
  TimerRef,
  Via,
} from '@actorkit/core';
import type { ChildSpec } from './child-spec.js';
import {
  type CallOptions,
  type CastOptions,
  call,
  cast,
  getState,
  getStatus,
  replaceState,
  reply,
  type ServerRef,
  type ServerTarget,
  stopServer,
  whereis,
} from './client.js';
import type { From } from './envelopes.js';
import type { CallResult, InitResult, MaybePromise, NoReplyResult } from './results.js';
import { START_LINK_OPTIONS, START_OPTIONS, startChecked } from './start.js';

declare const replyType: unique symbol;
declare const serverTypes: unique symbol;

/**
 * A call request whose reply has type `Reply`: `Call<'get', number>` is `{ type: 'get' }`
 * answered with a number; `Call<'add', number, { by: number }>` adds a payload. A
 * union of these makes `GenServer.call` typed end to end.
 */
export type Call<Type extends string, Reply, Payload extends object = {}> = {
  type: Type;
  readonly [replyType]?: Reply;
} & Payload;

/** The reply type of a request built with {@link Call}. */
export type ReplyOf<Request> = Request extends { readonly [replyType]?: infer R } ? R : unknown;

/** The reply type for `request` among a server's `Calls`, matched on `type`. */
export type ReplyFor<Calls, Request> = Request extends { type: infer T }
  ? ReplyOf<Extract<Calls, { type: T }>>
  : ReplyOf<Calls>;

/** Any GenServer module instance. */
export type AnyServer = GenServer<any, any, any, any>;
/** A GenServer module: a class with a no-argument constructor. */
export type ServerModule<S extends AnyServer = AnyServer> = new () => S;
/** The state type of a server module. */
export type StateOf<S> = S extends { readonly [serverTypes]?: { state: infer T } } ? T : unknown;
/** The call request type of a server module. */
export type CallsOf<S> = S extends { readonly [serverTypes]?: { calls: infer T } } ? T : any;
/** The cast request type of a server module. */
export type CastsOf<S> = S extends { readonly [serverTypes]?: { casts: infer T } } ? T : any;
/** The argument `init` takes. */
export type InitArg<S> = S extends { init(arg: infer A): unknown } ? A : never;

/**
 * Options for `GenServer.start` and `startLink`. An unknown key (`link` given to `start`
 * included), or a value of the wrong type, rejects with `InvalidArgumentError`.
 */
export interface StartOptions {
  /** The runtime to start in. @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** Register the server under a name, or `{ via: registry, key }`. */
  name?: Name | Via;
  /** Ms to wait for `init`; past it the process is killed and start rejects with `TimeoutError`. @default 5000 */
  timeout?: number;
  /** Bounded mailbox settings. @default unbounded */
  mailbox?: MailboxOptions;
  /** @internal What `processInfo` shows as the initial call. @default the module's name */
  label?: string;
  /** @internal What `processInfo` shows as the behaviour. @default 'gen_server' */
  behaviour?: string;
}

/**
 * Options for `startLink`: `link` is the process the server is linked to (its parent).
 * JavaScript has no implicit calling process, so the parent is named explicitly; a
 * supervisor passes its own PID. Without `link`, `startLink` is `start`.
 */
export interface StartLinkOptions extends StartOptions {
  link?: Pid<any>;
}

/**
 * A generic server, as Elixir's `GenServer`: a process that keeps state and answers
 * calls (request/reply), casts (fire-and-forget) and plain messages (info), one at a
 * time. Write a class that extends `GenServer<State, Calls, Casts, Info>` and
 * implements the callbacks it needs; start it with `GenServer.start` or, under a
 * supervisor, `startLink`.
 *
 * @example
 * type CounterCall = Call<'get', number> | Call<'add', number, { by: number }>;
 *
 * class Counter extends GenServer<number, CounterCall> {
 *   init(start: number) {
 *     return ok(start);
 *   }
 *   override handleCall(request: CounterCall, _from: From, count: number) {
 *     switch (request.type) {
 *       case 'get': return reply(count, count);
 *       case 'add': return reply(count + request.by, count + request.by);
 *     }
 *   }
 * }
 *
 * const counter = await GenServer.start(Counter, 0);
 * await GenServer.call(counter, { type: 'add', by: 2 }); // 2, typed as number
 *
 * Callbacks may be async: the server still handles one message at a time. The state is
 * passed in and returned, as in Elixir; keep it in the results, not in fields.
 *
 * ## When not to use it
 * For one-off background work, use a `Task`; for a state machine, `StateMachine`; for
 * code organisation alone, a plain module. A GenServer is a unit of concurrency and a
 * single point of serialisation: one server for all users is a bottleneck.
 *
 * ## Differences from Elixir
 * `init`, like every callback, runs in the new process; `start` resolves once it returns.
 * A call is answered through a promise rather than a message to the caller, so calls
 * work from outside any process. `handleInfo` receives `TIMEOUT` for an idle timeout.
 * JavaScript has no implicit calling process: a call or `stop` to the server itself
 * from its callback rejects at once with `CallingSelfError` (OTP's `calling_self`) while
 * the callback runs in its turn, but after an `await` it cannot be told from another
 * caller's and waits for its timeout. Nor can it preempt: a server killed while an async
 * callback awaits is gone at once, and the callback's code, when it resumes, throws
 * `ExitError` at its next `ctx` call; its result is dropped and no `terminate` runs.
 */
export abstract class GenServer<State = unknown, Calls = never, Casts = never, Info = never> {
  declare readonly [serverTypes]?: { state: State; calls: Calls; casts: Casts; info: Info };
  private context: ProcessContext<unknown> | undefined;

  /**
   * Runs in the new process before any message. Return `ok(state)` (optionally with
   * `{ continue: arg }`, `{ timeout: ms }` or `'hibernate'`: see `Action`), `ignore()`, or
   * `stop(reason)`. A throw,
   * `this.ctx.exit(reason)` or any other return value (a `BadReturnValue`) is a failed
   * start; a `{ via }` name is unregistered first, so a `Registry`'s listeners hear of it.
   */
  abstract init(arg: any): MaybePromise<InitResult<State>>;

  /**
   * Handles a `GenServer.call`. Return `reply(value, state)`, `noreply(state)` (then
   * answer later with `GenServer.reply(from, value)`), or `stop(reason, state, reply?)`.
   * If left out, a call crashes the server.
   */
  handleCall?(
    request: Calls,
    from: From<ReplyOf<Calls>>,
    state: State,
  ): MaybePromise<CallResult<State, ReplyOf<Calls>>>;

  /** Handles a `GenServer.cast`. Return `noreply(state)` or `stop(reason, state)`. If left out, a cast crashes the server. */
  handleCast?(request: Casts, state: State): MaybePromise<NoReplyResult<State>>;

  /**
   * Handles any other message: `sendAfter` ticks, `Down` and `Exit` messages, `TIMEOUT`
   * after an idle timeout. Return `noreply(state)` or `stop(reason, state)`. If left
   * out, such messages are reported (`report` event, type `'unhandled_info'`) and dropped.
   */
  handleInfo?(
    message: Info | SystemMessage | Timeout,
    state: State,
  ): MaybePromise<NoReplyResult<State>>;

  /** Runs after a callback returned `{ continue: arg }`, before the next message. */
  handleContinue?(arg: any, state: State): MaybePromise<NoReplyResult<State>>;

  /**
   * Runs when the server stops: after a `stop` result (from `handleCall`, before the reply
   * goes out), `GenServer.stop`, `this.ctx.exit(reason)` in a callback, a crash in a
   * callback, a callback's bad return value (reason `BadReturnValue`), or an exit signal
   * from its parent while trapping exits (supervisor shutdown). Not run on `kill`, on
   * other exit signals when not trapping, nor when `init` fails. The server then exits
   * with `reason`; a throw (or `ctx.exit`) inside `terminate` makes that the reason instead.
   */
  terminate?(reason: unknown, state: State): MaybePromise<void>;

  /**
   * Shapes what `getStatus` shows of the state, e.g. to hide secrets. If it throws, the
   * status shows a placeholder string instead of the state and the server carries on
   * (OTP does the same for a `format_status` that crashes). @default the state as is
   */
  formatStatus?(state: State): unknown;

  /** @internal */
  attach(context: ProcessContext<unknown>): void {
    this.context = context;
  }

  /**
   * The server's process context (links, monitors, trapping exits, AbortSignal). Its
   * `exit(reason)`, called from a callback, ends the server as OTP's does: `terminate`
   * runs first, with the state from before that callback, then the server exits with
   * `reason`. Like every `exit`, it throws `ExitError` to stop the callback's code; every
   * `ctx` call after it throws too, and catching the error does not undo the exit.
   */
  protected get ctx(): ProcessContext<unknown> {
    if (this.context === undefined) throw new Error('ctx is available from init() on.');
    return this.context;
  }

  /** The server's own PID. */
  protected get self(): Pid<any> {
    return this.ctx.self;
  }

  /** Sends `message` to this server's `handleInfo` after `ms` ms (Elixir's `Process.send_after(self(), …)`). */
  protected sendAfter(message: Info, ms: number): TimerRef {
    return this.ctx.sendAfter(message, ms);
  }

  /** Cancels a timer from `sendAfter`; returns the ms it had left, or false. */
  protected cancelTimer(ref: TimerRef): number | false {
    return this.ctx.cancelTimer(ref);
  }

  /**
   * Starts `module` in a new process, unlinked, and resolves with its PID once
   * `init(arg)` has returned `ok`. Rejects with `StartError` (its `reason` is the stop
   * reason, the `Crash`, or `'ignore'`), `NameTakenError`, or `TimeoutError`.
   */
  static start<S extends AnyServer>(
    module: ServerModule<S>,
    arg: InitArg<S>,
    options: StartOptions = {},
  ): Promise<ServerRef<S>> {
    return startChecked(module, arg, options, 'GenServer.start', START_OPTIONS);
  }

  /** Like `start`, and links the server to `options.link` (its parent, usually a supervisor). */
  static startLink<S extends AnyServer>(
    module: ServerModule<S>,
    arg: InitArg<S>,
    options: StartLinkOptions,
  ): Promise<ServerRef<S>> {
    return startChecked(module, arg, options, 'GenServer.startLink', START_LINK_OPTIONS);
  }

  /**
   * Sends `request` to `server` and waits for `handleCall`'s reply. Use `cast` when no
   * answer is needed. Rejects with `NoProcError` if the server is not alive, with
   * `ExitError` (carrying the reason) if it exits before replying, with
   * `CallingSelfError` at once when a server calls itself from its own callback (OTP's
   * `calling_self`), with `InvalidArgumentError` for a `server` that is no PID or name,
   * and with `TimeoutError` after `timeout` ms (default 5000; `Infinity` waits forever). A reply
   * that comes after a timeout is dropped. The timeout counts from the end of the
   * scheduler's run that sent the call (at most a slice, 3 ms, after the call): one clock
   * reading serves every call still waiting then, and a call answered within that run
   * reads no clock at all. It is never early, and exact on a `VirtualClock`.
   *
   * `timeout` may be a number of ms or `{ timeout, runtime }`; anything else, an unknown
   * key or a value of the wrong type rejects with `InvalidArgumentError`. The reply is
   * resolved as any promise value is (JavaScript differs from Elixir here): a thenable
   * reply is adopted, and one whose `then` cannot be read rejects the call.
   */
  static call<S, const R extends CallsOf<S>>(
    server: ServerTarget<S>,
    request: R,
    timeout: number | CallOptions = 5000,
  ): Promise<ReplyFor<CallsOf<S>, R>> {
    return call(server, request, timeout);
  }

  /**
   * Sends `request` to `handleCast` and returns at once; always succeeds, as in Elixir,
   * even if the server is gone. Throws `InvalidArgumentError` only for malformed
   * arguments: a target that is not a PID or name, options other than `{ runtime }`.
   */
  static cast<S>(server: ServerTarget<S>, request: CastsOf<S>, options?: CastOptions): void {
    cast(server, request, options);
  }

  /**
   * The PID of `server` now, as Elixir's `GenServer.whereis/1`: a PID is returned as it
   * is (alive or not, as in Elixir), a name is looked up in `runtime` (default
   * `defaultRuntime()`), a `{ via, key }` through its registry's `whereisName`.
   * Undefined when nothing is registered under the name. Throws `InvalidArgumentError`
   * for anything that cannot name a server.
   *
   * @example
   * const pid = GenServer.whereis('ids', { runtime }); // undefined when not running
   */
  static whereis<S>(server: ServerTarget<S>, options?: CastOptions): ServerRef<S> | undefined {
    return whereis(server, options);
  }

  /** Answers a call whose `handleCall` returned `noreply`; false if the caller is no longer waiting. */
  static reply<R>(from: From<R>, value: R): boolean {
    return reply(from, value);
  }

  /**
   * Stops `server` with `reason` (default `'normal'`), running `terminate` first, and
   * resolves once it has exited. Rejects with `NoProcError` if it is not alive,
   * `TimeoutError` after `timeout` ms (default `Infinity`), and `CallingSelfError` at once
   * when called by the server on itself from a callback (return `stop(reason, state)`
   * there instead).
   */
  static stop(
    server: ServerTarget<any>,
    reason: unknown = 'normal',
    timeout: number | CallOptions = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    return stopServer(server, reason, timeout);
  }

  /** The server's state, as `:sys.get_state`. For debugging and tests, not for program logic. */
  static getState<S>(
    server: ServerTarget<S>,
    timeout: number | CallOptions = 5000,
  ): Promise<StateOf<S>> {
    return getState(server, timeout) as Promise<StateOf<S>>;
  }

  /**
   * Replaces the state with `update(state)`, as `:sys.replace_state`; resolves with the
   * new state. If `update` throws, the state stays as it was, the server carries on, and
   * this rejects with an `ActorkitError` of code `REPLACE_STATE_FAILED` whose `cause` is
   * what was thrown (OTP's `callback_failed`).
   */
  static replaceState<S>(
    server: ServerTarget<S>,
    update: (state: StateOf<S>) => StateOf<S>,
    timeout: number | CallOptions = 5000,
  ): Promise<StateOf<S>> {
    return replaceState(server, update as (state: unknown) => unknown, timeout) as Promise<
      StateOf<S>
    >;
  }

  /**
   * The server's module and state as `formatStatus` shows it, as `:sys.get_status`. Like
   * every system request (`getState`, `replaceState`, `stop`), it waits its turn in the
   * mailbox but sits beside a bounded mailbox's capacity: it is never dropped, and it
   * neither takes the place of nor pushes out one of the server's own messages.
   */
  static getStatus(server: ServerTarget<any>, timeout: number | CallOptions = 5000) {
    return getStatus(server, timeout);
  }

  /**
   * The default child spec of a module: `{ id: module name, start: startLink(module, arg) }`,
   * so a supervisor's children can be written `[Module, arg]`. Override to change the
   * id, restart or shutdown. A name given with the child (`[Module, arg, { name }]`) is
   * registered by `startLink` before `init` runs, as OTP registers it.
   */
  static childSpec<S extends AnyServer>(this: ServerModule<S>, arg: InitArg<S>): ChildSpec {
    return {
      id: this.name,
      start: ({ runtime, self, name }) =>
        GenServer.startLink(this, arg, { runtime, link: self, name }),
    };
  }
}
