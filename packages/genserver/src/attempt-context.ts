// The `ctx` an attempt of a retried task gets: the attempt's process context, plus its number.
import type {
  Dest,
  Name,
  Pid,
  ReceiveContext,
  Ref,
  Runtime,
  Spawnable,
  SpawnOptions,
  TimerRef,
} from '@actorkit/core';
import type { AttemptContext } from './task-retry.js';

/**
 * An {@link AttemptContext}: the context of the process running one attempt, plus the
 * attempt's number. Every call goes to that process's own context (which is the process
 * object itself, so it cannot be extended or wrapped by prototype), so `ctx.signal`,
 * `ctx.receive` and `ctx.exit` behave exactly as in the attempt's process. Retried tasks
 * build one per attempt; a library that runs its own attempts (as `@actorkit/jobs` does)
 * extends it to add what its callers need, such as the job.
 *
 * @example
 * runtime.spawn(async (ctx) => {
 *   await perform(new AttemptProcessContext(ctx, 1));
 * });
 */
export class AttemptProcessContext implements AttemptContext {
  constructor(
    private readonly ctx: ReceiveContext<any>,
    readonly attempt: number,
  ) {}

  get self(): Pid<any> {
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
    return this.ctx.send(dest, message);
  }
  spawn<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    return this.ctx.spawn(spawnable, options);
  }
  spawnLink<T>(spawnable: Spawnable<T>, options?: SpawnOptions): Pid<T> {
    return this.ctx.spawnLink(spawnable, options);
  }
  spawnMonitor<T>(spawnable: Spawnable<T>, options?: SpawnOptions): [Pid<T>, Ref] {
    return this.ctx.spawnMonitor(spawnable, options);
  }
  link(pid: Pid<any>): void {
    this.ctx.link(pid);
  }
  unlink(pid: Pid<any>): void {
    this.ctx.unlink(pid);
  }
  monitor(target: Pid<any>): Ref {
    return this.ctx.monitor(target);
  }
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.ctx.demonitor(ref, options);
  }
  trapExit(on: boolean): boolean {
    return this.ctx.trapExit(on);
  }
  exit(reason: unknown): never;
  exit(target: Dest, reason: unknown): void;
  exit(...args: [unknown] | [Dest, unknown]): void {
    (this.ctx.exit as (...a: unknown[]) => void)(...args);
  }
  sendAfter(message: any, ms: number): TimerRef;
  sendAfter<T>(dest: Dest<T>, message: T, ms: number): TimerRef;
  sendAfter(...args: unknown[]): TimerRef {
    return (this.ctx.sendAfter as (...a: unknown[]) => TimerRef)(...args);
  }
  cancelTimer(ref: TimerRef): number | false {
    return this.ctx.cancelTimer(ref);
  }
  register(name: Name): void {
    this.ctx.register(name);
  }
  receive(...args: unknown[]): Promise<any> {
    return (this.ctx.receive as (...a: unknown[]) => Promise<unknown>)(...args);
  }
}
