import {
  type Dest,
  ExitError,
  isPid,
  type Name,
  type Pid,
  type ProcessContext,
  type Ref,
  type Runtime,
  type SendAfterOptions,
  type Spawnable,
  type SpawnOptions,
  type TimerRef,
  type Via,
} from '@actorkit/core';

/**
 * @internal The `ctx` a GenServer's callbacks see (`this.ctx`): the process's own context,
 * except that `exit(reason)` from inside a callback ends the server as OTP's gen_server
 * does when a callback exits: `terminate(reason, state)` runs first (with the state from
 * before that callback), then the process exits with `reason`. As with the plain context,
 * the call throws `ExitError` to stop the running code, and every `ctx` call after it
 * throws too; catching the error does not undo the exit.
 *
 * The server loop extends it, so a server costs no extra object for its context; the
 * loop decides what an exit from a callback does.
 */
export abstract class ServerContext implements ProcessContext<unknown> {
  /** The process's own context, set when the process starts. */
  protected ctx!: ProcessContext<unknown>;

  /**
   * `ctx.exit(reason)` was called: true if the loop takes it over (the call came from a
   * running callback, whose end the loop waits for to run `terminate`), false if the
   * process should exit at once.
   */
  abstract exitFromCallback(reason: unknown): boolean;
  /** The exit the loop took over, if any: every later `ctx` call throws it. */
  abstract readonly pendingExit: { reason: unknown } | null;

  get self(): Pid<unknown> {
    return this.ctx.self;
  }

  get runtime(): Runtime {
    return this.ctx.runtime;
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  get parent(): Pid<any> {
    return this.ctx.parent;
  }

  send<T>(dest: Dest<T>, message: T): boolean {
    return this.live().send(dest, message);
  }

  spawn<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    return this.live().spawn(spawnable, options);
  }

  spawnLink<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    return this.live().spawnLink(spawnable, options);
  }

  spawnMonitor<T>(spawnable: Spawnable<T>, options?: SpawnOptions): [Pid<T>, Ref] {
    return this.live().spawnMonitor(spawnable, options);
  }

  link(pid: Pid<any>): void {
    this.live().link(pid);
  }

  unlink(pid: Pid<any>): void {
    this.live().unlink(pid);
  }

  monitor(target: Pid<any>): Ref {
    return this.live().monitor(target);
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.live().demonitor(ref, options);
  }

  trapExit(on: boolean): boolean {
    return this.live().trapExit(on);
  }

  exit(reason: unknown): never;
  exit(target: Dest, reason: unknown): void;
  exit(...args: [unknown] | [Dest, unknown]): void {
    const process = this.live();
    // A missing reason or a lone target is the plain context's InvalidArgumentError.
    if (args.length === 1 && !looksLikeTarget(args[0]) && this.exitFromCallback(args[0])) {
      throw new ExitError(args[0], process.self);
    }
    (process.exit as (...rest: unknown[]) => void)(...args);
  }

  sendAfter(message: unknown, ms: number): TimerRef;
  sendAfter<T>(dest: Dest<T>, message: T, ms: number, options?: SendAfterOptions): TimerRef;
  sendAfter(a: unknown, b: unknown, c?: number, d?: SendAfterOptions): TimerRef {
    const process = this.live();
    return c === undefined
      ? process.sendAfter(a, b as number)
      : process.sendAfter(a as Dest, b, c, d);
  }

  cancelTimer(ref: TimerRef): number | false {
    return this.ctx.cancelTimer(ref);
  }

  register(name: Name): void {
    this.live().register(name);
  }

  /** The process's context, unless an exit is under way: then the `ExitError` it ends with. */
  private live(): ProcessContext<unknown> {
    const pending = this.pendingExit;
    if (pending !== null) throw new ExitError(pending.reason, this.ctx.self);
    return this.ctx;
  }
}

/** A PID or `{ via, key }`: never an exit reason of `ctx.exit(reason)` (see core's check). */
function looksLikeTarget(value: unknown): boolean {
  if (isPid(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  try {
    return typeof (value as Via).via?.whereisName === 'function';
  } catch {
    return false;
  }
}
