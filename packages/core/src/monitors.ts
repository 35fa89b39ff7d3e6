import { InvalidArgumentError } from './errors.js';
import { isInstance } from './internal/describe.js';
import { Down, isDown } from './messages.js';
import { isPid, type Pid } from './pid.js';
import type { Process } from './process.js';
import { Ref } from './ref.js';
import { remoteNodes } from './remote.js';
import type { Runtime } from './runtime.js';

/** @internal Who is told when a monitored process exits: a process, or a callback. */
export type Watcher = Process<any> | ((reason: unknown) => void);

/**
 * @internal A monitor: in the watcher's circular list of monitors it holds
 * (`Process.monitorsHead`, whose `wPrev` is the newest; the `w` fields; not for a
 * callback) and in the target's circular list of monitors on it (`Process.monitoredHead`,
 * the `t` fields); a process's monitor is also in its runtime's
 * `monitorRefs`, by its ref's id, for `demonitor`. `live` until it is taken out of them.
 *
 * Why not a `Map` per process: a long-lived process that monitors short ones (a caller
 * of many tasks) would keep a long-lived `Map` whose entries churn, V8's worst case for
 * the garbage collector (see `IdTable`). A record is taken out of its lists in constant
 * time, and nothing keeps it once it is.
 */
export class Monitor {
  live = true;
  wPrev: Monitor = this;
  wNext: Monitor = this;
  tPrev: Monitor = this;
  tNext: Monitor = this;

  constructor(
    readonly ref: Ref | null,
    readonly watcher: Watcher,
    readonly target: Process<any>,
  ) {}
}

/** @internal `watcher` monitors `target`; a dead target yields `Down` with `'noproc'` at once. */
export function monitor(watcher: Process<any>, target: Pid<any>): Ref {
  const ref = new Ref();
  const proc = liveTarget(target);
  if (proc === null) {
    if (target.node !== watcher.runtime.node && monitorRemote(watcher, target, ref)) return ref;
    watcher.deliverSignal(new Down(ref, target, 'noproc'));
    return ref;
  }
  const record = new Monitor(ref, watcher, proc);
  appendHeld(watcher, record);
  appendOn(proc, record);
  watcher.runtime.monitorRefs.set(ref.id, record);
  return ref;
}

/** @internal Removes a monitor `proc` holds; with `flush`, also its `Down` message. */
export function demonitor(proc: Process<any>, ref: Ref, flush: boolean): boolean {
  // Anything but a ref is no monitor of this process (a hostile value is never read).
  const record = isInstance(ref, Ref) ? proc.runtime.monitorRefs.get(ref.id) : undefined;
  const held = record !== undefined && record.ref === ref && record.watcher === proc;
  if (held) {
    drop(record);
    removeOn(record.target, record);
  }
  const remote = !held && remoteNodes(proc.runtime)?.demonitor(proc.pid, ref) === true;
  if (flush) proc.removeAll((m) => isDown(m) && m.ref === ref);
  return held || remote;
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
  // No ref to allocate on the hot path of every call: the record is the handle.
  const record = new Monitor(null, onDown, proc);
  appendOn(proc, record);
  return () => {
    if (!record.live) return false;
    record.live = false;
    removeOn(proc, record);
    return true;
  };
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
  for (let held = proc.monitorsHead; held !== null; held = proc.monitorsHead) {
    // A target that is exiting too has taken its list apart already (its records are not live).
    const listedOnTarget = held.live;
    drop(held);
    if (listedOnTarget) removeOn(held.target, held);
  }
  for (let node = proc.watchHead; node !== null; node = proc.watchHead) {
    detachWatch(node);
    try {
      node.down(reason);
    } catch (error) {
      runtime.reportWatcherError(error, reason);
    }
  }
  const first = proc.monitoredHead;
  if (first === null) return;
  // Every watcher listed now is told, even one cancelled meanwhile by another's callback.
  const watchers: Monitor[] = [];
  let record = first;
  do {
    record.live = false;
    watchers.push(record);
    record = record.tNext;
  } while (record !== first);
  proc.monitoredHead = null;
  for (const record of watchers) {
    const watcher = record.watcher;
    if (typeof watcher === 'function') runtime.runCallback(watcher, reason);
    else if (watcher.runtime.monitorRefs.get(record.ref!.id) === record) {
      // Not if an earlier callback demonitored it: once `demonitor` has returned, no `Down`
      // of that monitor may arrive (Erlang's guarantee).
      drop(record);
      if (watcher.alive) watcher.deliverSignal(new Down(record.ref!, proc.pid, reason));
    }
  }
}

/** @internal The monitors `proc` holds (targets) and those on it (watchers), oldest first. */
export function monitorsOf(proc: Process<any>): { targets: Process<any>[]; watchers: Watcher[] } {
  const targets: Process<any>[] = [];
  const held = proc.monitorsHead;
  if (held !== null) {
    let record = held;
    do {
      targets.push(record.target);
      record = record.wNext;
    } while (record !== held);
  }
  const watchers: Watcher[] = [];
  const on = proc.monitoredHead;
  if (on !== null) {
    let record = on;
    do {
      watchers.push(record.watcher);
      record = record.tNext;
    } while (record !== on);
  }
  return { targets, watchers };
}

/**
 * Takes a process's monitor out of its watcher's list and its runtime's `monitorRefs`,
 * and marks it not live (the caller takes it out of its target's list, if it must).
 * Exits never interleave (the runtime cleans up one exiting process at a time), so the
 * watcher's list still holds it.
 */
function drop(record: Monitor): void {
  record.live = false;
  const watcher = record.watcher as Process<any>;
  watcher.runtime.monitorRefs.delete(record.ref!.id);
  const { wPrev, wNext } = record;
  if (wNext === record) watcher.monitorsHead = null;
  else {
    wPrev.wNext = wNext;
    wNext.wPrev = wPrev;
    if (watcher.monitorsHead === record) watcher.monitorsHead = wNext;
  }
  record.wPrev = record.wNext = record;
}

/** Appends `record` to the monitors `watcher` holds, as the newest. */
function appendHeld(watcher: Process<any>, record: Monitor): void {
  const head = watcher.monitorsHead;
  if (head === null) {
    watcher.monitorsHead = record;
    return;
  }
  const tail = head.wPrev;
  record.wPrev = tail;
  record.wNext = head;
  tail.wNext = record;
  head.wPrev = record;
}

/** Appends `record` to the monitors on `target`, as the newest. */
function appendOn(target: Process<any>, record: Monitor): void {
  const head = target.monitoredHead;
  if (head === null) {
    target.monitoredHead = record;
    return;
  }
  const tail = head.tPrev;
  record.tPrev = tail;
  record.tNext = head;
  tail.tNext = record;
  head.tPrev = record;
}

/** Takes `record` out of the monitors on `target`. */
function removeOn(target: Process<any>, record: Monitor): void {
  const { tPrev, tNext } = record;
  if (tNext === record) target.monitoredHead = null;
  else {
    tPrev.tNext = tNext;
    tNext.tPrev = tPrev;
    if (target.monitoredHead === record) target.monitoredHead = tNext;
  }
  record.tPrev = record.tNext = record;
}

function liveTarget(target: Pid<any>): Process<any> | null {
  if (!isPid(target)) throw new InvalidArgumentError('target', 'a Pid', target);
  const proc = target.proc;
  return proc?.alive ? proc : null;
}
