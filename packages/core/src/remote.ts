import { exitSignal } from './links.js';
import type { MessageTag } from './message-tag.js';
import { isPid, type Pid } from './pid.js';
import type { Ref } from './ref.js';
import type { Runtime } from './runtime.js';

/**
 * @internal What a runtime does with a PID of another node, once a node layer
 * (`@actorkit/nodes`) has attached itself with {@link setRemoteNodes}. The runtime asks
 * only on its cold branches, where the PID has no live local process (the branch that
 * would otherwise make a dead letter, a `noproc` monitor or link): sending to, monitoring
 * and linking local processes costs nothing more for it.
 */
export interface RemoteNodes {
  /** Sends `message` to `pid` on its node; returns what `send` returns (false if it cannot reach it). */
  send(pid: Pid<any>, message: unknown, tag: MessageTag | undefined): boolean;
  /**
   * `watcher` (a live local process) monitors `target` on its node under `ref`; the node
   * layer delivers `Down(ref, target, reason)` to `watcher` later. Returns false to let
   * the runtime deliver `noproc` at once.
   */
  monitor(watcher: Pid<any>, target: Pid<any>, ref: Ref): boolean;
  /** Removes the remote monitor `ref` of `watcher`; false if it held none. */
  demonitor(watcher: Pid<any>, ref: Ref): boolean;
  /** Links the live local `proc` with `target` on its node; false to let the runtime send `noproc`. */
  link(proc: Pid<any>, target: Pid<any>): boolean;
  /** Removes the link between the local `proc` and `target`, if any. */
  unlink(proc: Pid<any>, target: Pid<any>): void;
  /** Sends `target` on its node the exit signal `reason` from `from` (`exit(pid, reason)`). */
  exit(from: Pid<any>, target: Pid<any>, reason: unknown): void;
}

const attached = new WeakMap<Runtime, RemoteNodes>();
/** The runtimes with a node layer, for finding the one a PID of another node is reached from. */
const attachedRuntimes = new Set<Runtime>();

/** @internal Attaches (or with undefined, detaches) the node layer of `runtime`. */
export function setRemoteNodes(runtime: Runtime, remote: RemoteNodes | undefined): void {
  if (remote === undefined) {
    attached.delete(runtime);
    attachedRuntimes.delete(runtime);
  } else {
    attached.set(runtime, remote);
    attachedRuntimes.add(runtime);
  }
}

/**
 * @internal The runtime of this thread with a node layer from which `pid`, a PID of
 * another node, is reached (the first attached whose node is not `pid`'s), or undefined.
 * A remote PID holds no process, hence no runtime: this is how `GenServer.call` finds
 * the runtime to call it from when no `runtime` option names one.
 */
export function runtimeReaching(pid: Pid<any>): Runtime | undefined {
  for (const runtime of attachedRuntimes) if (runtime.node !== pid.node) return runtime;
  return undefined;
}

/**
 * @internal Where a call's reply goes on the caller's node: a pending call (a
 * GenServer's `From`). The node layer settles it when the reply, or the server's exit,
 * arrives, and with `down('noconnection')` when the server's node goes down.
 */
export interface ReplySlot {
  /** Delivers the reply; false if the caller no longer waits. */
  resolve(value: unknown): boolean;
  /** The server exited (or was unreachable) with `reason` before replying. */
  down(reason: unknown): void;
}

/**
 * @internal What a {@link WireType} gets to encode and decode with: the runtime, the
 * node at the other end and, when decoding, the local process the message goes to; and
 * reply slots, so a request can carry a way back to its caller.
 */
export interface WireLink {
  readonly runtime: Runtime;
  /** The node at the other end: where the value goes (encode) or came from (decode). */
  readonly peer: number;
  /** Decoding: the live local process the message is for, undefined if it is not alive. */
  readonly target: Pid<any> | undefined;
  /** Caller's side: keeps `slot` for a reply from `peer`; returns its number. */
  openReply(slot: ReplySlot): number;
  /** Caller's side: forgets slot `id` (the call settled here: timeout, failure). */
  closeReply(id: number): void;
  /** Server's side: sends `value` to slot `id` on `peer`. Throws if it cannot cross. */
  reply(id: number, value: unknown): void;
  /** Server's side: tells slot `id` on `peer` that the server exited with `reason`. */
  replyDown(id: number, reason: unknown): void;
}

/**
 * @internal How instances of a class cross between nodes (the codec refuses other class
 * instances): as `encode`'s clonable data, turned back into an instance by `decode` on
 * the receiving node, found there by `name`. A class used as a message tag
 * (`sendTagged`) crosses as its name beside the bare message.
 */
export interface WireType<T extends object = any> {
  /** The same on every node: how the receiving node finds this type. */
  readonly name: string;
  /** The data that stands for `value` (checked and encoded again by the codec). */
  encode(value: T, link: WireLink): unknown;
  /** `value` back from `encode`'s data, on the receiving node. */
  decode(data: unknown, link: WireLink): T;
}

const wireByPrototype = new Map<object, WireType>();
const wireByName = new Map<string, { type: WireType; cls: new (...args: any[]) => object }>();

/**
 * @internal Registers how instances of `cls` (and messages tagged with it) cross between
 * nodes. A layer above core (genserver) registers its protocol's classes at load; the
 * node layer reads them. Registering a name twice keeps the last.
 */
export function registerWireType<T extends object>(
  cls: new (...args: any[]) => T,
  type: WireType<T>,
): void {
  wireByPrototype.set(cls.prototype, type);
  wireByName.set(type.name, { type, cls });
}

/** @internal The wire type of instances whose prototype is `proto`, if registered. */
export function wireTypeOf(proto: object | null): WireType | undefined {
  return proto === null ? undefined : wireByPrototype.get(proto);
}

/** @internal The wire type registered under `name`, and its class. */
export function wireTypeNamed(
  name: string,
): { type: WireType; cls: new (...args: any[]) => object } | undefined {
  return wireByName.get(name);
}

/** @internal The node layer attached to `runtime`, if any (cold branches only). */
export function remoteNodes(runtime: Runtime): RemoteNodes | undefined {
  return attached.get(runtime);
}

/**
 * @internal True when `pid` is of another node and a node layer is attached to `runtime`:
 * a timer to it (`sendAfter`) is kept, with no local owner, and sent when it fires.
 */
export function reachesRemote(runtime: Runtime, pid: Pid<any>): boolean {
  return pid.node !== runtime.node && attached.has(runtime);
}

/**
 * @internal Sends a timer's `message` to `dest` on its node, if `dest` is a PID of
 * another node and a node layer is attached; false otherwise (a dead letter, then). What
 * the send throws (a message that cannot cross) becomes a `watcher_error` report: a
 * timer never throws out of the clock's alarm.
 */
export function sendRemote(runtime: Runtime, dest: unknown, message: unknown): boolean {
  if (!isPid(dest) || dest.node === runtime.node) return false;
  const remote = attached.get(runtime);
  if (remote === undefined) return false;
  try {
    remote.send(dest, message, undefined);
  } catch (error) {
    runtime.reportWatcherError(error, message);
  }
  return true;
}

/**
 * @internal The PID of the live process `id` of `runtime`, or undefined: how a node layer
 * finds the target of a frame that names a local process by number, without parsing text.
 */
export function localPid(runtime: Runtime, id: number): Pid<any> | undefined {
  return runtime.liveProcess(id)?.pid;
}

/**
 * @internal Delivers an exit signal that another node's process sent with `exit(pid,
 * reason)` to the local process `pid`: `'kill'` cannot be trapped and ends it as
 * `'killed'`; otherwise as a link's signal. False if `pid` is not alive.
 */
export function exitSignalFrom(pid: Pid<any>, from: Pid<any>, reason: unknown): boolean {
  const proc = pid.proc;
  if (proc === null || !proc.alive) return false;
  exitSignal(proc.runtime, proc, from, reason, false);
  return true;
}

/**
 * @internal Delivers an exit signal that came over a link from `from` on another node to
 * the local process `pid`, by the rules of a local link's (a trapping process gets an
 * `Exit` message; `'normal'` is ignored; any other reason ends it). False if `pid` is
 * not alive.
 */
export function linkExit(pid: Pid<any>, from: Pid<any>, reason: unknown): boolean {
  const proc = pid.proc;
  if (proc === null || !proc.alive) return false;
  exitSignal(proc.runtime, proc, from, reason, true);
  return true;
}
