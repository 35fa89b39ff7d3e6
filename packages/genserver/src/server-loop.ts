import {
  Crash,
  Exit,
  type Handler,
  type Pid,
  type ProcessContext,
  TIMEOUT,
  type TimerRef,
} from '@actorkit/core';
import { CallEnvelope, CastEnvelope, type From, IdleTimeout, SystemEnvelope } from './envelopes.js';
import type { GenServer } from './gen-server.js';
import { type Action, Ignore, NoReply, Ok, Reply, Stop } from './results.js';

/** @internal What `start` learns from the new process: it initialized, or chose to ignore. */
export interface StartAck {
  started(): void;
  ignored(): void;
}

/** What `GenServer.getStatus` returns: the server, its module, and its state as `formatStatus` shows it. */
export interface ServerStatus {
  pid: Pid<any>;
  module: string;
  state: unknown;
}

/**
 * @internal The generic server loop (OTP's `gen_server` module): a handler process that
 * calls the module's callbacks one message at a time and applies their results. Sync
 * callbacks cost no promise; async ones are awaited before the next message.
 */
export class ServerLoop implements Handler<unknown> {
  private state: unknown;
  private ctx!: ProcessContext<unknown>;
  private idleTimer: TimerRef | null = null;
  private idleToken: IdleTimeout | null = null;
  private initialized = false;

  constructor(
    private readonly module: GenServer<any, any, any, any>,
    private readonly arg: unknown,
    private readonly ack: StartAck,
  ) {}

  init(ctx: ProcessContext<unknown>): void | Promise<void> {
    this.ctx = ctx;
    this.module.attach(ctx);
    return this.guard(
      () => this.module.init(this.arg),
      (result) => this.afterInit(result),
    );
  }

  handle(message: unknown): void | Promise<void> {
    // :sys requests leave a pending idle timeout running, as OTP's system messages do.
    if (message instanceof SystemEnvelope) return this.dispatchSystem(message);
    if (message instanceof IdleTimeout) {
      if (message !== this.idleToken) return;
      this.idleTimer = this.idleToken = null;
      return this.dispatchInfo(TIMEOUT);
    }
    if (this.idleTimer !== null) this.disarmIdle();
    if (message instanceof CallEnvelope) return this.dispatchCall(message);
    if (message instanceof CastEnvelope) return this.dispatchCast(message);
    if (message instanceof Exit && message.from.equals(this.ctx.parent)) {
      return this.terminate(message.reason);
    }
    return this.dispatchInfo(message);
  }

  private afterInit(result: unknown): void | Promise<void> {
    if (result instanceof Ok) {
      this.state = result.state;
      this.initialized = true;
      this.ack.started();
      return this.applyAction(result.action);
    }
    if (result instanceof Ignore) {
      this.ack.ignored();
      this.ctx.unlink(this.ctx.parent);
      this.ctx.exit('normal');
    }
    if (result instanceof Stop) {
      this.ctx.unlink(this.ctx.parent);
      this.ctx.exit(result.reason);
    }
    throw badReturn(this.module, 'init', result, 'ok(state), ignore() or stop(reason)');
  }

  private dispatchCall(envelope: CallEnvelope): void | Promise<void> {
    const module = this.module;
    return this.guard(
      () => {
        if (module.handleCall === undefined) {
          throw missing(module, 'received a call', 'handleCall', 'Add handleCall, or use cast.');
        }
        return module.handleCall(envelope.request, envelope.from, this.state);
      },
      (result) => this.applyCall(result, envelope.from),
    );
  }

  private dispatchCast(envelope: CastEnvelope): void | Promise<void> {
    const module = this.module;
    return this.guard(
      () => {
        if (module.handleCast === undefined) {
          throw missing(module, 'received a cast', 'handleCast', 'Add handleCast.');
        }
        return module.handleCast(envelope.request, this.state);
      },
      (result) => this.applyNoReply(result, 'handleCast'),
    );
  }

  private dispatchInfo(message: unknown): void | Promise<void> {
    const module = this.module;
    if (module.handleInfo === undefined) {
      this.ctx.runtime.events.emit('report', {
        type: 'unhandled_info',
        pid: this.ctx.self,
        module: moduleName(module),
        message,
      });
      return;
    }
    return this.guard(
      () => module.handleInfo!(message, this.state),
      (result) => this.applyNoReply(result, 'handleInfo'),
    );
  }

  private dispatchSystem(envelope: SystemEnvelope): void | Promise<void> {
    switch (envelope.kind) {
      case 'getState':
        envelope.from?.resolve(this.state);
        return;
      case 'replaceState':
        return this.guard(
          () => (envelope.payload as (state: unknown) => unknown)(this.state),
          (state) => {
            this.state = state;
            envelope.from?.resolve(state);
          },
        );
      case 'getStatus':
        envelope.from?.resolve(this.status());
        return;
      case 'stop':
        return this.terminate(envelope.payload);
    }
  }

  private status(): ServerStatus {
    const module = this.module;
    const state = module.formatStatus === undefined ? this.state : module.formatStatus(this.state);
    return { pid: this.ctx.self, module: moduleName(module), state };
  }

  private applyCall(result: unknown, from: From<any>): void | Promise<void> {
    if (result instanceof Reply) {
      this.state = result.state;
      from.resolve(result.value);
      return this.applyAction(result.action);
    }
    if (result instanceof Stop && result.reply !== undefined) from.resolve(result.reply.value);
    return this.applyNoReply(result, 'handleCall');
  }

  private applyNoReply(result: unknown, callback: string): void | Promise<void> {
    if (result instanceof NoReply) {
      this.state = result.state;
      return this.applyAction(result.action);
    }
    if (result instanceof Stop) {
      this.state = result.state;
      return this.terminate(result.reason);
    }
    const expected =
      callback === 'handleCall' ? 'reply(), noreply() or stop()' : 'noreply() or stop()';
    throw badReturn(this.module, callback, result, expected);
  }

  private applyAction(action: Action | undefined): void | Promise<void> {
    if (action === undefined) return;
    if ('timeout' in action) {
      this.armIdle(action.timeout);
      return;
    }
    const module = this.module;
    return this.guard(
      () => {
        if (module.handleContinue === undefined) {
          throw missing(module, 'returned { continue }', 'handleContinue', 'Add handleContinue.');
        }
        return module.handleContinue(action.continue, this.state);
      },
      (result) => this.applyNoReply(result, 'handleContinue'),
    );
  }

  /** Runs `terminate(reason, state)` if the module has one, then exits with `reason`. */
  private terminate(reason: unknown): void | Promise<void> {
    const module = this.module;
    const exit = (): never => this.ctx.exit(reason);
    if (module.terminate === undefined) return exit();
    return then(module.terminate(reason, this.state), exit);
  }

  /**
   * Calls a callback and hands its (possibly async) result to `next`. A throw or
   * rejection runs `terminate` with the crash reason, then ends the process with it.
   */
  private guard(call: () => unknown, next: (result: any) => void | Promise<void>) {
    let result: unknown;
    try {
      result = call();
      if (!isPromise(result)) return this.guardAsync(next(result));
    } catch (error) {
      return this.crash(error);
    }
    return result.then(next).then(undefined, (error: unknown) => this.crash(error));
  }

  /** What `next` may still do asynchronously (an async `terminate`, say) also ends in `crash`. */
  private guardAsync(pending: void | Promise<void>): void | Promise<void> {
    if (pending === undefined) return;
    return pending.then(undefined, (error: unknown) => this.crash(error));
  }

  private crash(error: unknown): void | Promise<void> {
    const module = this.module;
    const rethrow = (): never => {
      throw error;
    };
    // As OTP: no terminate before init has succeeded, nor after the process is gone.
    if (
      module.terminate === undefined ||
      !this.initialized ||
      !this.ctx.runtime.isAlive(this.ctx.self)
    ) {
      return rethrow();
    }
    return then(module.terminate(new Crash(error), this.state), rethrow);
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

function then(value: unknown, next: () => void): void | Promise<void> {
  if (isPromise(value)) return value.then(next);
  next();
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Promise<unknown>).then === 'function'
  );
}

function moduleName(module: object): string {
  return module.constructor.name;
}

function badReturn(module: object, callback: string, value: unknown, expected: string): Error {
  return new TypeError(
    `${moduleName(module)}.${callback} returned ${describe(value)}; expected ${expected}, built with the helpers of @actorkit/genserver.`,
  );
}

function missing(module: object, what: string, callback: string, fix: string): Error {
  return new Error(`${moduleName(module)} ${what} but does not implement ${callback}. ${fix}`);
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value))
    return `an array ${preview(value)} (Elixir's tuples are reply(), noreply() and stop() here)`;
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    return name && name !== 'Object'
      ? `an instance of ${name}`
      : `a plain object ${preview(value)}`;
  }
  return preview(value);
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
