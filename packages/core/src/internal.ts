/**
 * Hooks that actorkit's own layers (`@actorkit/genserver`) build on, for hot paths where
 * the public API would allocate. Not part of the public API: anything here may change
 * in any release.
 */
import type { Dest } from './context.js';
import type { DeadlineNode } from './deadlines.js';
import type { MessageTag } from './message-tag.js';
import { demonitor, monitor } from './monitors.js';
import type { Pid } from './pid.js';
import type { Ref } from './ref.js';
import type { Runtime } from './runtime.js';
import { type Runnable, turn } from './scheduler.js';

export type { DeadlineNode } from './deadlines.js';
export { setDefaultRuntime } from './default-runtime.js';
/**
 * `value instanceof type` that returns false instead of throwing (`instanceof` throws
 * for a revoked proxy and runs a proxy's traps): for telling a protocol's messages
 * apart when any value may arrive. To print a value, use `formatReason`.
 */
export { isInstance } from './internal/describe.js';
export type { MessageTag } from './message-tag.js';
export { attachWatch, detachWatch, type WatchNode } from './monitors.js';
/** The key under which a handler warms what its next message touches (a GenServer's loop). */
export { warmHandler } from './process.js';
/**
 * The node layer's hook (`@actorkit/nodes`): attach a {@link RemoteNodes} to a runtime
 * and its sends, monitors and links to PIDs of other nodes go to it instead of becoming
 * dead letters and `noproc`; `linkExit` delivers an exit signal that came over a link.
 */
export {
  exitSignalFrom,
  linkExit,
  localPid,
  type RemoteNodes,
  type ReplySlot,
  registerWireType,
  remoteNodes,
  runtimeReaching,
  setRemoteNodes,
  type WireLink,
  type WireType,
  wireTypeNamed,
  wireTypeOf,
} from './remote.js';

/**
 * Sends `message` with `tag` beside it: a handler process with `handleTagged` gets the
 * bare message and the tag, any other process gets `new tag(message)`. Marks a
 * protocol's messages (a GenServer's casts) without an envelope per message.
 */
export function sendTagged(
  runtime: Runtime,
  dest: Dest,
  message: unknown,
  tag: MessageTag,
): boolean {
  return runtime.sendTagged(dest, message, tag);
}

/**
 * Delivers `message` to the live process `pid` as the runtime delivers its own `Exit`
 * and `Down` signals: whatever its mailbox's capacity, and beside it (it neither counts
 * against a bounded mailbox's capacity nor evicts a message, nor can it be evicted).
 * For a GenServer's system requests (`getStatus`, `getState`, `stop`), which must not
 * cost the process one of its own messages. Returns false if `pid` is not alive.
 */
export function sendSystem(pid: Pid<any>, message: unknown): boolean {
  const proc = pid.proc;
  if (proc === null || !proc.alive) return false;
  proc.deliverSignal(message);
  return true;
}

/**
 * Makes `watcher` monitor `target`, as its own `ctx.monitor(target)` would: the `Down`
 * reaches `watcher`'s mailbox, and its `ctx.demonitor(ref)` removes the monitor. For a
 * task that replies to a process by message (`Task.async`'s `replyTo`), as Elixir's
 * caller monitors its task. Returns the monitor's ref, or null when `watcher` is not a
 * live process of this node (nobody to tell).
 */
export function monitorFrom(watcher: Pid<any>, target: Pid<any>): Ref | null {
  const proc = watcher.proc;
  if (proc === null || !proc.alive) return null;
  return monitor(proc, target);
}

/**
 * Removes the monitor `ref` that `watcher` holds, its `Down` and every other message of
 * `watcher`'s mailbox that `match` accepts: what Elixir's `Task.await` does once it has a
 * task's outcome (`Process.demonitor(ref, [:flush])`, the reply itself received). `match`
 * must never throw, whatever the message. Nothing happens if `watcher` is not alive.
 */
export function demonitorFlushing(
  watcher: Pid<any>,
  ref: Ref,
  match: (message: unknown) => boolean,
): void {
  const proc = watcher.proc;
  if (proc === null || !proc.alive) return;
  demonitor(proc, ref, true);
  proc.removeAll(match);
}

/** Calls `node.expire()` `ms` from now on `runtime`'s clock, unless `removeDeadline` comes first. */
export function addDeadline(runtime: Runtime, node: DeadlineNode, ms: number): void {
  runtime.deadlines.add(node, ms);
}

export function removeDeadline(runtime: Runtime, node: DeadlineNode): void {
  runtime.deadlines.remove(node);
}

/**
 * A process {@link suspendRunning} suspended, to hand back to {@link resumeSuspended}:
 * opaque (the scheduler's own type is internal to core).
 */
export interface SuspendedProcess {
  readonly scheduled: boolean;
}

/**
 * Suspends the process whose turn is running on `runtime` (a handler's, or a body's held
 * turn), as the BEAM suspends a process that sends to a busy distribution port: its turn
 * ends at its next message (a body's at its next receive) and it takes no more turns
 * until {@link resumeSuspended}; messages still reach its mailbox, and exit signals
 * still end it. Returns the process, or null when none is running (plain code, a timer,
 * code after an `await` in a handler): there is nobody to suspend. For the node layer's
 * flow control (`@actorkit/nodes`).
 */
export function suspendRunning(runtime: Runtime): SuspendedProcess | null {
  const process = runtime.scheduler.running();
  if (process === null) return null;
  runtime.scheduler.suspend(process);
  return process;
}

/**
 * Resumes a process {@link suspendRunning} suspended: it goes to the back of the run
 * queue if it has work. Returns false if it was not suspended (resumed already).
 */
export function resumeSuspended(runtime: Runtime, process: SuspendedProcess): boolean {
  return runtime.scheduler.resume(process as Runnable);
}

/** True when `pid`'s process is suspended (see {@link suspendRunning}). */
export function isSuspended(pid: Pid<any>): boolean {
  const proc = pid.proc;
  return proc?.runtime.scheduler.isSuspended(proc) === true;
}

/**
 * True when `pid` is the process whose turn is running now: the code asking runs
 * synchronously inside that process's handler (or its body's first step), or inside
 * something the handler called. For telling that a process is about to wait on itself
 * (a GenServer calling itself from a callback). Code that runs after an `await` runs
 * outside any turn: for it this is false, whatever process it belongs to.
 *
 * That includes a body process's turn held across receives (see `Scheduler.hold`): its
 * code after each `await ctx.receive()` runs in microtasks the scheduler cannot bracket,
 * and other code's microtasks (another process's handler resumed after an await, plain
 * promise callbacks) run between them. Naming the body as running for the held turn
 * would make that other code pass for the body's, so `turn.current` stays null and a
 * body is seen as running only in its first step, before its first await.
 */
export function isRunning(pid: Pid<any>): boolean {
  const current = turn.current;
  return current !== null && pid.proc === current;
}
