import {
  ActorkitError,
  Crash,
  Exit,
  formatReason,
  type Handler,
  type Pid,
  type ProcessContext,
  TIMEOUT,
  type TimerRef,
} from '@actorkit/core';
import { isRunning, warmHandler } from '@actorkit/core/internal';
import { CastEnvelope, From, IdleTimeout, SystemEnvelope } from './envelopes.js';
import { BadReturnValue } from './errors.js';
import type { GenServer } from './gen-server.js';
import { type Action, Ignore, isAction, NoReply, Ok, Reply, Stop } from './results.js';
import { ServerContext } from './server-context.js';
import { classNameOf, clip } from './text.js';

/** @internal What `start` learns from the new process: it initialized, or chose to ignore. */
export interface StartAck {
  started(): void;
  ignored(): void;
  /**
   * `init` failed (a stop, ignore, throw, exit or bad return value): called before the
   * process exits, so a `{ via }` name is unregistered by the server itself, as OTP's
   * `gen:unregister_name`, and the registry's listeners hear of it.
   */
  failed(): void;
}

/**
 * What `GenServer.getStatus` returns: the server, its module, and its state as
 * `formatStatus` shows it. If `formatStatus` throws, `state` is a string saying so (the
 * state itself is not shown: `formatStatus` may be there to hide it) and the server
 * carries on, as OTP shows a placeholder for a `format_status` that crashed.
 */
export interface ServerStatus {
  pid: Pid<any>;
  module: string;
  state: unknown;
}

const INIT = 0;
const CALL = 1;
const CAST = 2;
const INFO = 3;
const CONTINUE = 4;
type Step = typeof INIT | typeof CALL | typeof CAST | typeof INFO | typeof CONTINUE;
const CALLBACK_NAMES = ['init', 'handleCall', 'handleCast', 'handleInfo', 'handleContinue'];
const INIT_RESULTS = 'ok(state), ignore() or stop(reason)';
/** `init` returned `ok`: the server runs, and `terminate` runs when it stops. */
const INITIALIZED = 1;
/** An async callback's promise is pending: code that calls `ctx.exit` meanwhile is the server's. */
const AWAITING = 2;
/** `terminate` is under way: an exit from there ends the process at once. */
const TERMINATING = 4;
/** What `call` holds until `handleCall` returned. */
const UNSET: unique symbol = Symbol('unset');

/** What a message other than a call is to the loop (see `kindOf`). */
const SYSTEM = 0;
const IDLE = 1;
const CAST_MESSAGE = 2;
const PARENT_EXIT = 3;
const OTHER = 4;
type Kind = typeof SYSTEM | typeof IDLE | typeof CAST_MESSAGE | typeof PARENT_EXIT | typeof OTHER;

/**
 * @internal The generic server loop (OTP's `gen_server` module): a handler process that
 * calls the module's callbacks one message at a time and applies their results. Sync
 * callbacks cost no promise; async ones are awaited before the next message.
 */
export class ServerLoop extends ServerContext implements Handler<unknown> {
  // The fields every message reads come first (after `ctx` and `module`): V8 lays them
  // out in this order, so they share cache lines with the header (with 100k servers, each
  // is out of cache by its next timer tick).
  private state: unknown;
  private idleTimer: TimerRef | null = null;
  /** A `ctx.exit(reason)` from a running callback, applied when that callback ends. */
  pendingExit: { reason: unknown } | null = null;
  /** `INITIALIZED`, `AWAITING` and `TERMINATING`, in one field: every idle server has it. */
  private flags = 0;
  private idleToken: IdleTimeout | null = null;

  private arg: unknown;
  private ack: StartAck | null;

  constructor(
    private readonly module: GenServer<any, any, any, any>,
    arg: unknown,
    ack: StartAck,
  ) {
    super();
    this.arg = arg;
    this.ack = ack;
  }

  init(ctx: ProcessContext<unknown>): void | Promise<void> {
    this.ctx = ctx;
    this.module.attach(this);
    const arg = this.arg;
    this.arg = undefined;
    return this.step(INIT, arg, undefined);
  }

  /**
   * @internal Reads what handling the next message touches beyond the process: this
   * loop's hot fields at `depth` 0; at 1, the module's header (where `handleInfo` and the
   * other callbacks are looked up) and the state's header (the callback is handed the
   * state, and most read it first). A hook for the process's own `warm` (see core's
   * `TimerService.warm`): called for every timer of an alarm before any fires, one depth
   * per pass, it lets the CPU overlap these misses instead of taking them one server at a
   * time. Replays of 100k periodic servers sleeping between alarms: ~0.6x the CPU per
   * tick with it than without; the state's header, ~0.8x again for a state object.
   */
  [warmHandler](depth: number): number {
    // One level of pointers a call: the loop's own fields, then what they point to.
    if (depth === 0) return this.flags + (this.pendingExit === null ? 0 : 1);
    if (depth !== 1) return 0;
    // `typeof` of an object reads its map, its first word (and never runs a proxy's trap).
    const state = typeof this.state === 'function' ? 1 : 0;
    return (this.module.handleInfo !== undefined ? 1 : 0) + state;
  }

  handle(message: unknown): void | Promise<void> {
    // Calls first: they are the hot path, and a true `instanceof` is cheaper than a false one.
    if (isCall(message)) {
      if (this.idleTimer !== null) this.disarmIdle();
      return this.call(message);
    }
    const kind = this.kindOf(message);
    // :sys requests leave a pending idle timeout running, as OTP's system messages do.
    if (kind === SYSTEM) return this.dispatchSystem(message as SystemEnvelope);
    if (kind === IDLE) {
      if (message !== this.idleToken) return;
      this.idleTimer = this.idleToken = null;
      return this.step(INFO, TIMEOUT, undefined);
    }
    if (this.idleTimer !== null) this.disarmIdle();
    if (kind === CAST_MESSAGE) {
      return this.step(CAST, (message as CastEnvelope).request, undefined);
    }
    if (kind === PARENT_EXIT) return this.terminate((message as Exit).reason);
    if (this.module.handleInfo === undefined) return this.unhandledInfo(message);
    return this.noReplyStep(INFO, message);
  }

  /**
   * What `message` is. Looking can throw (`instanceof` on a revoked proxy, a proxy whose
   * traps throw): such a message is info, for `handleInfo`, and never crashes the loop.
   */
  private kindOf(message: unknown): Kind {
    // A timer's tick is most often a string or a symbol: none of ours.
    if (typeof message !== 'object' || message === null) return OTHER;
    try {
      if (message instanceof SystemEnvelope) return SYSTEM;
      if (message instanceof IdleTimeout) return IDLE;
      if (message instanceof CastEnvelope) return CAST_MESSAGE;
      if (message instanceof Exit && message.from.equals(this.ctx.parent)) return PARENT_EXIT;
    } catch {
      // Not one of ours, whatever it is.
    }
    return OTHER;
  }

  /** Casts arrive as the bare request, tagged `CastEnvelope` (see `cast`). */
  handleTagged(message: unknown, tag: unknown): void | Promise<void> {
    if (tag !== CastEnvelope) return this.handle(new (tag as typeof CastEnvelope)(message));
    if (this.idleTimer !== null) this.disarmIdle();
    return this.noReplyStep(CAST, message);
  }

  /**
   * `step(CALL, …)` with its commonest case, a plain `reply(value, state)`, applied in
   * place. Calling `handleCall` directly, not through `callback`, keeps this path small
   * enough for V8 to inline it whole: a sequential call costs about 5% less.
   */
  private call(from: From<any>): void | Promise<void> {
    const module = this.module;
    if (module.handleCall === undefined) return this.step(CALL, from.request, from);
    let result: unknown = UNSET;
    try {
      result = module.handleCall(from.request, from, this.state);
      if (result instanceof Reply && result.action === undefined && this.pendingExit === null) {
        this.keepState(result.state);
        from.resolve(result.value);
        return;
      }
    } catch (error) {
      // A result `instanceof` throws for (a revoked proxy) is no crash: a bad return value.
      return result === UNSET ? this.crash(error) : this.applyResult(CALL, result, from);
    }
    return this.applyResult(CALL, result, from);
  }

  /**
   * `step(kind, …)` for a cast or an info, with their commonest result, a plain
   * `noreply(state)`, applied in place, as `call` does for `reply`: the path of every
   * periodic tick (a server re-arming its `sendAfter` from `handleInfo`) and every cast.
   */
  private noReplyStep(kind: typeof CAST | typeof INFO, payload: unknown): void | Promise<void> {
    let result: unknown = UNSET;
    try {
      result = this.callback(kind, payload, undefined);
      if (result instanceof NoReply && result.action === undefined && this.pendingExit === null) {
        this.keepState(result.state);
        return;
      }
    } catch (error) {
      // A result `instanceof` throws for (a revoked proxy) is no crash: a bad return value.
      return result === UNSET ? this.crash(error) : this.applyResult(kind, result, undefined);
    }
    return this.applyResult(kind, result, undefined);
  }

  /**
   * Takes a callback's new state. Most servers return the state they were handed (mutated
   * or not): storing it again would cost a write barrier, a load of this loop's page
   * header, which misses for a server out of cache (page headers all share one cache set);
   * a compare costs nothing. (`Object.is`, so that -0 after 0 is kept as returned.)
   */
  private keepState(state: unknown): void {
    if (!Object.is(state, this.state)) this.state = state;
  }

  /** Runs one callback and applies its (possibly async) result: see `applyResult`. */
  private step(kind: Step, payload: unknown, from: From<any> | undefined): void | Promise<void> {
    let result: unknown;
    try {
      result = this.callback(kind, payload, from);
    } catch (error) {
      return this.crash(error);
    }
    return this.applyResult(kind, result, from);
  }

  /**
   * Applies a callback's result, awaiting it first if it is a promise. A throw or
   * rejection runs `terminate` with the crash reason, then ends the process with it. No
   * closure is allocated unless the callback is async: this is every message's path.
   */
  private applyResult(
    kind: Step,
    result: unknown,
    from: From<any> | undefined,
  ): void | Promise<void> {
    try {
      if (!isPromise(result)) return this.settled(this.apply(kind, result, from));
    } catch (error) {
      return this.crash(error);
    }
    this.flags |= AWAITING;
    return result
      .then((value) => {
        this.flags &= ~AWAITING;
        // Killed while the callback ran: its result lands nowhere, and no terminate runs.
        if (!this.ctx.runtime.isAlive(this.ctx.self)) return;
        return this.apply(kind, value, from);
      })
      .then(undefined, (error: unknown) => {
        this.flags &= ~AWAITING;
        return this.crash(error);
      });
  }

  /**
   * @internal See `ServerContext`: `ctx.exit(reason)` from the code of a running callback
   * (in its turn, or while the loop awaits it) is taken over; the first one decides.
   */
  exitFromCallback(reason: unknown): boolean {
    // Once gone (killed while a callback awaited), the plain exit throws the real reason.
    if (this.has(TERMINATING) || !this.ctx.runtime.isAlive(this.ctx.self)) return false;
    if (!this.has(AWAITING) && !isRunning(this.ctx.self)) return false;
    this.pendingExit = { reason };
    return true;
  }

  /**
   * Ends the server after a callback called `ctx.exit(reason)`: `terminate(reason, state)`
   * first, as OTP, then the exit; during `init` there is no `terminate`, and the start
   * fails with `reason`.
   */
  private exitAfterCallback(): void | Promise<void> {
    const { reason } = this.pendingExit!;
    this.pendingExit = null;
    if (!this.has(INITIALIZED)) return this.initFailed(reason);
    return this.terminate(reason);
  }

  private callback(kind: Step, payload: unknown, from: From<any> | undefined): unknown {
    const module = this.module;
    switch (kind) {
      case INIT:
        return module.init(payload);
      case CALL:
        if (module.handleCall === undefined) {
          throw missing(module, 'received a call', 'handleCall', 'Add handleCall, or use cast.');
        }
        return module.handleCall(payload, from!, this.state);
      case CAST:
        if (module.handleCast === undefined) {
          throw missing(module, 'received a cast', 'handleCast', 'Add handleCast.');
        }
        return module.handleCast(payload, this.state);
      case INFO:
        return module.handleInfo!(payload, this.state);
      case CONTINUE:
        if (module.handleContinue === undefined) {
          throw missing(module, 'returned { continue }', 'handleContinue', 'Add handleContinue.');
        }
        return module.handleContinue(payload, this.state);
    }
  }

  private apply(kind: Step, result: unknown, from: From<any> | undefined): void | Promise<void> {
    // The callback caught the ExitError of its own ctx.exit and returned: the exit stands.
    if (this.pendingExit !== null) return this.exitAfterCallback();
    try {
      if (kind === INIT) return this.afterInit(result);
      if (kind === CALL) return this.applyCall(result, from!);
      return this.applyNoReply(result, kind);
    } catch (error) {
      // `instanceof` threw: the result cannot even be read (a revoked proxy).
      if (!this.has(TERMINATING) && !readable(result)) return this.badResult(kind, result);
      throw error;
    }
  }

  /** What a step still does asynchronously (an async `terminate`, say) also ends in `crash`. */
  private settled(pending: void | Promise<void>): void | Promise<void> {
    if (pending === undefined) return;
    return pending.then(undefined, (error: unknown) => this.crash(error));
  }

  /** The callback of `kind` returned `result`, which is none of its results. */
  private badResult(kind: Step, result: unknown): void | Promise<void> {
    const callback = CALLBACK_NAMES[kind]!;
    if (kind === INIT) {
      return this.initFailed(badReturn(this.module, callback, result, INIT_RESULTS));
    }
    const expected = kind === CALL ? 'reply(), noreply() or stop()' : 'noreply() or stop()';
    // OTP: terminate({bad_return_value, Value}, State), then exit with that reason.
    return this.terminate(badReturn(this.module, callback, result, expected));
  }

  /** A result whose action is malformed: OTP's bad_return_value, as for any bad result. */
  private badAction(kind: Step, result: Ok<unknown> | Reply<unknown, unknown> | NoReply<unknown>) {
    const expected = `its action to be { continue: arg }, { timeout: ms >= 0 or Infinity } or 'hibernate', not ${clip(formatReason(result.action), 100)}`;
    const error = badReturn(this.module, CALLBACK_NAMES[kind]!, result, expected);
    return kind === INIT ? this.initFailed(error) : this.terminate(error);
  }

  private afterInit(result: unknown): void | Promise<void> {
    const ack = this.ack!;
    if (result instanceof Ok) {
      if (!validAction(result.action)) return this.badAction(INIT, result);
      this.state = result.state;
      this.flags |= INITIALIZED;
      this.ack = null;
      ack.started();
      return this.applyAction(result.action);
    }
    if (result instanceof Ignore) {
      ack.ignored();
      return this.initFailed('normal');
    }
    if (result instanceof Stop) return this.initFailed(result.reason);
    // OTP: {bad_return_value, Value} is the start error and the exit reason.
    return this.badResult(INIT, result);
  }

  /** `init` did not start the server: unregister a `{ via }` name, then exit with `reason`. */
  private initFailed(reason: unknown): never {
    this.ack?.failed();
    this.ctx.unlink(this.ctx.parent);
    return this.ctx.exit(reason);
  }

  private unhandledInfo(message: unknown): void {
    const events = this.ctx.runtime.events;
    if (!events.has('report')) return;
    events.emit('report', {
      type: 'unhandled_info',
      pid: this.ctx.self,
      module: moduleName(this.module),
      message,
    });
  }

  private dispatchSystem(envelope: SystemEnvelope): void | Promise<void> {
    switch (envelope.kind) {
      case 'getState':
        envelope.from?.resolve(this.state);
        return;
      case 'replaceState':
        return this.replaceState(envelope);
      case 'getStatus':
        envelope.from?.resolve(this.status());
        return;
      case 'stop':
        return this.terminate(envelope.payload);
    }
  }

  /**
   * `:sys.replace_state`: an update that throws leaves the state as it was and rejects
   * the caller, as OTP's `callback_failed`; the server carries on.
   */
  private replaceState(envelope: SystemEnvelope): void {
    let state: unknown;
    try {
      state = (envelope.payload as (state: unknown) => unknown)(this.state);
    } catch (error) {
      // As OTP's sys:replace_state, an exit inside the update is caught with the rest.
      this.pendingExit = null;
      envelope.from?.fail(replaceStateFailed(this.module, error));
      return;
    }
    this.state = state;
    envelope.from?.resolve(state);
  }

  /** The status a system request reads: it never throws, so it never kills the server. */
  private status(): ServerStatus {
    const module = this.module;
    let state = this.state;
    if (module.formatStatus !== undefined) {
      try {
        state = module.formatStatus(this.state);
      } catch (error) {
        this.pendingExit = null;
        state = `${moduleName(module)}.formatStatus threw ${clip(formatReason(error), 200)}; the state is not shown.`;
      }
    }
    return { pid: this.ctx.self, module: moduleName(module), state };
  }

  private applyCall(result: unknown, from: From<any>): void | Promise<void> {
    if (result instanceof Reply) {
      // OTP: a bad third element is a bad return value; the caller gets no reply.
      if (!validAction(result.action)) return this.badAction(CALL, result);
      this.state = result.state;
      from.resolve(result.value);
      return this.applyAction(result.action);
    }
    if (result instanceof Stop && result.reply !== undefined) {
      // OTP: terminate runs first, and the reply goes even if terminate throws.
      const { value } = result.reply;
      this.state = result.state;
      return this.terminate(result.reason, () => from.resolve(value));
    }
    return this.applyNoReply(result, CALL);
  }

  private applyNoReply(result: unknown, kind: Step): void | Promise<void> {
    if (result instanceof NoReply) {
      if (!validAction(result.action)) return this.badAction(kind, result);
      this.state = result.state;
      return this.applyAction(result.action);
    }
    if (result instanceof Stop) {
      this.state = result.state;
      return this.terminate(result.reason);
    }
    return this.badResult(kind, result);
  }

  private applyAction(action: Action | undefined): void | Promise<void> {
    if (action === undefined || action === 'hibernate') return;
    if ('timeout' in action) {
      if (action.timeout !== Number.POSITIVE_INFINITY) this.armIdle(action.timeout);
      return;
    }
    return this.step(CONTINUE, action.continue, undefined);
  }

  /**
   * Runs `terminate(reason, state)` if the module has one, then `reply` (a `stop` result's
   * answer to its caller: after terminate, even if terminate throws), then exits with
   * `reason`. An exit or a throw inside terminate ends the process with that instead.
   */
  private terminate(reason: unknown, reply?: () => void): void | Promise<void> {
    this.flags |= TERMINATING;
    const module = this.module;
    const exit = (): never => {
      reply?.();
      return this.ctx.exit(reason);
    };
    if (module.terminate === undefined) return exit();
    if (reply === undefined) return then(module.terminate(reason, this.state), exit);
    const failed = (error: unknown): never => {
      reply();
      throw error;
    };
    let pending: unknown;
    try {
      pending = module.terminate(reason, this.state);
    } catch (error) {
      return failed(error);
    }
    if (isPromise(pending)) return pending.then(exit, failed);
    exit();
  }

  private crash(error: unknown): void | Promise<void> {
    if (this.pendingExit !== null) return this.exitAfterCallback();
    const module = this.module;
    const rethrow = (): never => {
      throw error;
    };
    if (!this.has(INITIALIZED)) this.ack?.failed();
    // As OTP: no terminate before init has succeeded, nor after the process is gone, nor
    // a second time when terminate itself failed.
    if (
      module.terminate === undefined ||
      !this.has(INITIALIZED) ||
      this.has(TERMINATING) ||
      !this.ctx.runtime.isAlive(this.ctx.self)
    ) {
      return rethrow();
    }
    this.flags |= TERMINATING;
    return then(module.terminate(new Crash(error), this.state), rethrow);
  }

  private has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  private armIdle(ms: number): void {
    this.idleToken = new IdleTimeout();
    this.idleTimer = this.ctx.sendAfter(this.idleToken, ms);
  }

  private disarmIdle(): void {
    this.ctx.cancelTimer(this.idleTimer!);
    this.idleTimer = null;
    this.idleToken = null;
  }
}

/** True when a callback gave no action, or a well-formed one. */
function validAction(action: unknown): boolean {
  return action === undefined || isAction(action);
}

/** True for a call: a `From`. Never throws (`instanceof` does, for a revoked proxy). */
function isCall(message: unknown): message is From<any> {
  try {
    return message instanceof From;
  } catch {
    return false;
  }
}

function replaceStateFailed(module: object, error: unknown): ActorkitError {
  const failure = new ActorkitError(
    'REPLACE_STATE_FAILED',
    `GenServer.replaceState: the update function threw ${clip(formatReason(error), 200)}; ${moduleName(module)} keeps its state as it was. The error is the \`cause\`.`,
  );
  Object.defineProperty(failure, 'cause', { value: error, configurable: true, writable: true });
  return failure;
}

function then(value: unknown, next: () => void): void | Promise<void> {
  if (isPromise(value)) return value.then(next);
  next();
}

/** False for a value whose prototype cannot be read (a revoked proxy): `instanceof` throws for it. */
function readable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true;
  try {
    Object.getPrototypeOf(value);
    return true;
  } catch {
    return false;
  }
}

/** True for a thenable; false, never a throw, for what cannot be read (a revoked proxy). */
function isPromise(value: unknown): value is Promise<unknown> {
  if (value === null || typeof value !== 'object') return false;
  try {
    return typeof (value as Promise<unknown>).then === 'function';
  } catch {
    return false;
  }
}

function moduleName(module: object): string {
  return classNameOf(module, 'GenServer');
}

function badReturn(
  module: object,
  callback: string,
  value: unknown,
  expected: string,
): BadReturnValue {
  return new BadReturnValue(value, moduleName(module), callback, expected);
}

function missing(module: object, what: string, callback: string, fix: string): Error {
  return new Error(`${moduleName(module)} ${what} but does not implement ${callback}. ${fix}`);
}
