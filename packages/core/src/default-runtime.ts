import type { Dest, Name, Spawnable, SpawnOptions } from './context.js';
import { markDefaultRuntime } from './internal/live-runtimes.js';
import type { Pid } from './pid.js';
import { Runtime, type SendAfterOptions } from './runtime.js';
import type { TimerRef } from './timers.js';

let current: Runtime | undefined;

/**
 * The shared runtime for applications that need only one (created on first use, and
 * anew after it was stopped). Tests should create their own `new Runtime()` instead,
 * so they stay isolated. The functions below are shortcuts to it.
 *
 * A name is looked up in the runtime the call goes to: `send('stats', m)` looks in
 * this one, even when `stats` was started in a runtime of your own. The `NoProcError`
 * then says so (in which runtime the name was looked up, and which holds it): send
 * through that runtime instead (`runtime.send`), or pass it as `{ runtime }` to the
 * higher layers' calls.
 */
export function defaultRuntime(): Runtime {
  if (current === undefined || !current.running) {
    current = new Runtime();
    markDefaultRuntime(current);
  }
  return current;
}

/** `defaultRuntime().spawn(spawnable, options)`. */
/**
 * @internal Makes `runtime` the one `defaultRuntime()` returns (until it is stopped): a
 * worker node's runtime, so code on that thread that uses the shortcuts below runs on
 * the node, not on a second runtime whose node number would clash with another node's.
 */
export function setDefaultRuntime(runtime: Runtime): void {
  current = runtime;
  markDefaultRuntime(runtime);
}

export function spawn<M>(spawnable: Spawnable<M>, options?: SpawnOptions): Pid<M> {
  return defaultRuntime().spawn(spawnable, options);
}

/** `defaultRuntime().send(dest, message)`. */
export function send<M>(dest: Dest<M>, message: M): boolean {
  return defaultRuntime().send(dest, message);
}

/** `defaultRuntime().exit(dest, reason)`. */
export function exit(dest: Dest, reason: unknown): void {
  defaultRuntime().exit(dest, reason);
}

/**
 * `defaultRuntime().sendAfter(dest, message, ms, options)`: with `{ abs: true }`, `ms` is
 * the time to send at on `defaultRuntime().clock.now()` (Elixir's
 * `Process.send_after(dest, msg, time, abs: true)`).
 */
export function sendAfter<M>(
  dest: Dest<M>,
  message: M,
  ms: number,
  options?: SendAfterOptions,
): TimerRef {
  return defaultRuntime().sendAfter(dest, message, ms, options);
}

/** `defaultRuntime().cancelTimer(ref)`. */
export function cancelTimer(ref: TimerRef): number | false {
  return defaultRuntime().cancelTimer(ref);
}

/** `defaultRuntime().whereis(name)`. */
export function whereis<M = unknown>(name: Name): Pid<M> | undefined {
  return defaultRuntime().whereis<M>(name);
}
