import { InvalidArgumentError } from './errors.js';
import { Down, isDown } from './messages.js';
import { isPid, type Pid } from './pid.js';
import type { Process } from './process.js';
import { Ref } from './ref.js';
import { remoteNodes } from './remote.js';
import type { Runtime } from './runtime.js';

/** @internal Who is told when a monitored process exits: a process, or a callback. */
export type Watcher = Process<any> | ((reason: unknown) => void);

/** @internal How a monitor is keyed: its ref, or for `watch` the callback itself. */
export type MonitorKey = Ref | ((reason: unknown) => void);

/** @internal `watcher` monitors `target`; a dead target yields `Down` with `'noproc'` at once. */
export function monitor(watcher: Process<any>, target: Pid<any>): Ref {
  const ref = new Ref();
  const proc = liveTarget(target);
  if (proc === null) {
    if (target.node !== watcher.runtime.node && monitorRemote(watcher, target, ref)) return ref;
    watcher.deliverSignal(new Down(ref, target, 'noproc'));
    return ref;
  }
  (watcher.monitors ??= new Map()).set(ref, proc);
  (proc.monitoredBy ??= new Map()).set(ref, watcher);
  return ref;
}

/** @internal Removes a monitor `proc` holds; with `flush`, also its `Down` message. */
export function demonitor(proc: Process<any>, ref: Ref, flush: boolean): boolean {
  const target = proc.monitors?.get(ref);
  if (target !== undefined) {
    proc.monitors!.delete(ref);
    target.monitoredBy?.delete(ref);
  }
  const remote =
    target === undefined && remoteNodes(proc.runtime)?.demonitor(proc.pid, ref) === true;
  if (flush) proc.removeAll((m) => isDown(m) && m.ref === ref);
  return target !== undefined || remote;
}

/** A monitor of a PID of another node, if a node layer is attached (see `remote.ts`). */
function monitorRemote(watcher: Process<any>, target: Pid<any>, ref: Ref): boolean {
  return remoteNodes(watcher.runtime)?.monitor(watcher.pid, target, ref) === true;
}

/**
 * @internal Calls `onDown(reason)` once when `target` exits (at once, with `'noproc'`,
 * if it is not alive). Returns a function that cancels the watch.
 */
export function watch(
  target: Pid<any>,
  onDown: (reason: unknown) => void,
  notifyNow: (reason: unknown) => void,
): () => boolean {
  const proc = liveTarget(target);
  if (proc === null) {
    notifyNow('noproc');
    return () => false;
  }
  // The callback is its own key: no ref to allocate on the hot path of every call.
  (proc.monitoredBy ??= new Map()).set(onDown, onDown);
  return () => proc.monitoredBy?.delete(onDown) ?? false;
}

/**
 * A watcher linked into the watched process's own list (see `@actorkit/core/internal`):
 * watching and unwatching allocate nothing, which matters on the path of every
 * `GenServer.call`. `down` runs once, synchronously during the exit, like a `watch`
 * callback.
 */
export interface WatchNode {
  /** The watched process (internal), or null. */
  watched: object | null;
  prevWatch: WatchNode | null;
  nextWatch: WatchNode | null;
  down(reason: unknown): void;
}

/** Links `node` to `target`'s watchers; false (and nothing linked) if `target` is not alive. */
export function attachWatch(target: Pid<any>, node: WatchNode): boolean {
  const proc = liveTarget(target);
  if (proc === null) return false;
  node.watched = proc;
  node.prevWatch = null;
  node.nextWatch = proc.watchHead;
  if (proc.watchHead !== null) proc.watchHead.prevWatch = node;
  proc.watchHead = node;
  return true;
}

/** Unlinks `node` from the process it watches; false if it watched none. */
export function detachWatch(node: WatchNode): boolean {
  const proc = node.watched as Process<any> | null;
  if (proc === null) return false;
  const { prevWatch, nextWatch } = node;
  if (prevWatch === null) proc.watchHead = nextWatch;
  else prevWatch.nextWatch = nextWatch;
  if (nextWatch !== null) nextWatch.prevWatch = prevWatch;
  node.watched = node.prevWatch = node.nextWatch = null;
  return true;
}

/** @internal Drops the monitors `proc` held and tells its watchers it exited. */
export function notifyDown(runtime: Runtime, proc: Process<any>, reason: unknown): void {
  const held = proc.monitors;
  if (held !== null) {
    proc.monitors = null;
    for (const [ref, target] of held) target.monitoredBy?.delete(ref);
  }
  for (let node = proc.watchHead; node !== null; node = proc.watchHead) {
    detachWatch(node);
    try {
      node.down(reason);
    } catch (error) {
      runtime.reportWatcherError(error, reason);
    }
  }
  const watchers = proc.monitoredBy;
  if (watchers === null) return;
  proc.monitoredBy = null;
  for (const [ref, watcher] of watchers) {
    if (typeof watcher === 'function') {
      runtime.runCallback(watcher, reason);
    } else {
      watcher.monitors?.delete(ref as Ref);
      if (watcher.alive) watcher.deliverSignal(new Down(ref as Ref, proc.pid, reason));
    }
  }
}

function liveTarget(target: Pid<any>): Process<any> | null {
  if (!isPid(target)) throw new InvalidArgumentError('target', 'a Pid', target);
  const proc = target.proc;
  return proc?.alive ? proc : null;
}
