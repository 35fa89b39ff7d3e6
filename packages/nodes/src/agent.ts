import type { Pid, Ref, Runtime } from '@actorkit/core';
import {
  exitSignalFrom,
  localPid,
  type MessageTag,
  type RemoteNodes,
  type ReplySlot,
  resumeSuspended,
  type SuspendedProcess,
  sendSystem,
  sendTagged,
  setRemoteNodes,
  suspendRunning,
  type WireLink,
  wireTypeNamed,
  wireTypeOf,
} from '@actorkit/core/internal';
import { decode, encode, type PidResolver, type Stub } from './codec.js';
import { UncloneableMessageError } from './errors.js';
import {
  DEMONITOR,
  DOWN,
  decodeReason,
  EXIT,
  EXIT_SIGNAL,
  encodeReason,
  LINK,
  MONITOR,
  REPLY,
  REPLY_DOWN,
  SEND,
  SEND_NAME,
  SEND_TAGGED,
  SPAWN,
  SPAWN_FAILED,
  SPAWNED,
  STOP,
  UNLINK,
  type WireReason,
} from './frames.js';
import { GlobalNames } from './global-names.js';
import { NodeWatchers } from './node-watchers.js';
import { ProcessGroups } from './process-groups.js';
import { SEND_RECORD, SHAPE, ShapesIn, ShapesOut } from './records.js';
import { RemoteLinks } from './remote-links.js';
import { RemoteMonitors } from './remote-monitors.js';
import { Spawner } from './spawner.js';
import { addAgent, removeAgent } from './thread-agents.js';
import { moveBuffers, transferListOf } from './transfer.js';
import type { Frame, Transport, TransportHandler } from './transport.js';

/**
 * One node's side of the system: attached to a runtime (as core's `RemoteNodes` hook)
 * and to a transport. It turns a send, monitor or link of a PID of another node into
 * frames, the frames that arrive into local sends, `Down`s and exit signals, and a peer
 * going down into `noconnection` for every monitor and link across it (Erlang's rule).
 *
 * Each node of a system has one: the main thread's is made by `startNodes`, a worker's
 * by the worker's entry module. Make one yourself only to join a runtime to nodes over a
 * transport of your own (see the README's transport design note).
 *
 * @example
 * const agent = new NodeAgent(runtime, transport); // attached: PIDs of peers now work here
 * agent.peers(); // the nodes the transport reports up
 * agent.detach(); // back to a lone runtime
 */
export class NodeAgent implements RemoteNodes, TransportHandler {
  readonly node: number;
  /** Monitors across nodes, both ways. */
  readonly monitors: RemoteMonitors;
  /** Links across nodes, both ways. */
  readonly links: RemoteLinks;
  /** Spawns on other nodes, both ways. */
  readonly spawner: Spawner;
  /** Node up/down listeners and `monitorNode` watchers. */
  readonly watchers: NodeWatchers;
  /** This node's replica of the global name table, and its service (see `global-names.ts`). */
  readonly globalNames: GlobalNames;
  /** This node's process groups scope (see `process-groups.ts`). */
  readonly groups: ProcessGroups;
  /** Called when the main node asks this one to stop (a worker's entry module sets it). */
  onStop: (() => void) | null = null;
  private readonly up = new Set<number>();
  /** Per peer: the record shapes told to it, and told by it (see `records.ts`). */
  private readonly shapesOut = new Map<number, ShapesOut>();
  private readonly shapesIn = new Map<number, ShapesIn>();
  private readonly remotePids = new Map<number, WeakRef<Pid<any>>>();
  /** Calls from here waiting for a reply from a peer, by slot number. */
  private readonly replySlots = new Map<number, { peer: number; slot: ReplySlot }>();
  private nextSlot = 1;
  /** Per peer: the link wire types encode with (decoding makes one per frame that needs it). */
  private readonly wireLinks = new Map<number, PeerLink>();
  /** Per peer: the processes suspended for sending to it while its link was busy. */
  private readonly suspended = new Map<number, SuspendedProcess[]>();
  private readonly forget = new FinalizationRegistry<number>((key) => {
    if (this.remotePids.get(key)?.deref() === undefined) this.remotePids.delete(key);
  });

  constructor(
    readonly runtime: Runtime,
    readonly transport: Transport,
  ) {
    this.node = runtime.node;
    this.monitors = new RemoteMonitors(this);
    this.links = new RemoteLinks(this);
    this.spawner = new Spawner(this);
    this.watchers = new NodeWatchers(this);
    setRemoteNodes(runtime, this);
    // The name services exist before any peer is up: a peer's first message finds them.
    this.globalNames = new GlobalNames(this);
    this.groups = new ProcessGroups(this);
    addAgent(this);
    transport.start(this);
  }

  /** The nodes this one reaches now (itself not included). */
  peers(): number[] {
    return [...this.up];
  }

  /** True when `node` is this node or a peer that is up. */
  isUp(node: number): boolean {
    return node === this.node || this.up.has(node);
  }

  /** Detaches from the runtime, stops the name services and closes the transport. */
  detach(): void {
    this.globalNames.close();
    this.groups.close();
    removeAgent(this);
    setRemoteNodes(this.runtime, undefined);
    this.transport.close();
    for (const peer of [...this.suspended.keys()]) this.resumeSenders(peer);
  }

  /** Queues `frame` for `node` (moving `transfer`'s buffers with it); false if `node` is not up. */
  sendFrame(node: number, frame: Frame, transfer?: ArrayBuffer[]): boolean {
    return this.up.has(node) && this.transport.send(node, frame, transfer);
  }

  /**
   * Sends `message` to the process registered under `name` on `node` (Erlang's
   * `{Name, Node} ! Msg`): how a node's services reach the same service on their peers.
   * On this node it is a local send by name. A name nobody holds there makes a dead
   * letter there; a node that is not up, a dead letter here and false. Throws
   * `UncloneableMessageError` if `message` cannot cross.
   *
   * @example
   * agent.sendNamed(2, 'logger', { line: 'hello' }); // to 'logger' on node 2
   */
  sendNamed(node: number, name: string, message: unknown): boolean {
    if (node === this.node) {
      const pid = this.runtime.whereis(name);
      if (pid !== undefined) return this.runtime.send(pid, message);
      this.runtime.deadLetter(name, message, 'noproc');
      return false;
    }
    const stubs: Stub[] = [];
    const value = encode(message, stubs, this.wireLink(node));
    const frame = [SEND_NAME, name, value];
    if (stubs.length > 0) frame.push(stubs);
    if (this.sendFrame(node, frame)) return true;
    this.runtime.deadLetter(`${name} on node ${node}`, message, 'noproc');
    return false;
  }

  /** The receiving side of the codec: a stub of this node's process decodes to its live PID. */
  readonly resolvePid: PidResolver = (node, id, serial) => {
    if (node === this.node) return localPid(this.runtime, id) ?? this.deadPid(node, id, serial);
    return this.remotePid(node, id);
  };

  /** The one `Pid` object of process `id` of `node` while anything here holds it. */
  remotePid(node: number, id: number): Pid<any> {
    const key = node * 4294967296 + id;
    const known = this.remotePids.get(key)?.deref();
    if (known !== undefined) return known;
    const pid = this.runtime.parsePid(`<${node}.${id}.0>`);
    this.remotePids.set(key, new WeakRef(pid));
    this.forget.register(pid, key);
    return pid;
  }

  // ---- RemoteNodes: what core asks on its cold branches ----

  send(pid: Pid<any>, message: unknown, tag: MessageTag | undefined): boolean {
    if (tag !== undefined) return this.sendTagged(pid, message, tag);
    if (typeof message === 'object' && message !== null) {
      const buffers = transferListOf(message);
      if (buffers !== undefined) return this.sendTransfer(pid, message, buffers);
      const record = this.recordFrame(pid, message);
      if (record !== undefined) return this.sendOrDrop(pid, record, message);
    }
    const stubs: Stub[] = [];
    const value = encode(message, stubs, this.wireLink(pid.node));
    const frame = stubs.length === 0 ? [SEND, pid.id, value] : [SEND, pid.id, value, stubs];
    return this.sendOrDrop(pid, frame, message);
  }

  /**
   * A message marked by `transfer()`: its buffers move with the frame, by the port (never
   * a record or ring frame). A node not up detaches nothing: a dead letter, as any send.
   */
  private sendTransfer(pid: Pid<any>, message: object, buffers: readonly ArrayBuffer[]): boolean {
    const stubs: Stub[] = [];
    const value = encode(message, stubs, this.wireLink(pid.node));
    if (!this.up.has(pid.node)) {
      this.runtime.deadLetter(pid, message, 'noproc');
      return false;
    }
    const moved = moveBuffers(
      stubs.length === 0 ? [SEND, pid.id, value] : [SEND, pid.id, value, stubs],
      buffers,
    );
    this.sendFrame(pid.node, moved.frame, moved.transfer);
    if (this.transport.busy?.(pid.node) === true) this.suspendSender(pid.node);
    return true;
  }

  /** A tagged message crosses bare, its tag by the name it registered as a wire type. */
  private sendTagged(pid: Pid<any>, message: unknown, tag: MessageTag): boolean {
    const wire = wireTypeOf(tag.prototype as object);
    if (wire === undefined) {
      throw new UncloneableMessageError(
        'message',
        `a message tagged ${tag.name || 'by a protocol'}, a tag registered as no wire type`,
      );
    }
    const stubs: Stub[] = [];
    const value = encode(message, stubs, this.wireLink(pid.node));
    const frame = [SEND_TAGGED, pid.id, wire.name, value];
    if (stubs.length > 0) frame.push(stubs);
    return this.sendOrDrop(pid, frame, message);
  }

  // ---- Reply slots: calls across nodes (see core's WireLink) ----

  /** Keeps `slot` for a reply from `peer`; its number. */
  openReply(peer: number, slot: ReplySlot): number {
    const id = this.nextSlot++;
    this.replySlots.set(id, { peer, slot });
    return id;
  }

  /** Forgets slot `id`. */
  closeReply(id: number): void {
    this.replySlots.delete(id);
  }

  /** How many calls from here wait for a reply from another node. */
  get pendingReplies(): number {
    return this.replySlots.size;
  }

  private replied(f: unknown[], peer: number): void {
    const entry = this.replySlots.get(f[1] as number);
    if (entry === undefined || entry.peer !== peer) return; // the caller gave up: dropped
    this.replySlots.delete(f[1] as number);
    if (f[0] === REPLY) {
      entry.slot.resolve(
        decode(f[2], f[3] as Stub[] | undefined, this.resolvePid, this.linkFor(peer, undefined)),
      );
    } else {
      entry.slot.down(decodeReason(f[2] as WireReason, this.resolvePid));
    }
  }

  /** The link to encode for `node` with; for a node not up, one whose frames go nowhere. */
  private wireLink(node: number): WireLink {
    return this.wireLinks.get(node) ?? new PeerLink(this, node, undefined);
  }

  private linkFor(peer: number, target: Pid<any> | undefined): () => WireLink {
    return () => new PeerLink(this, peer, target);
  }

  private recordFrame(pid: Pid<any>, message: object): unknown[] | undefined {
    const shapes = this.shapesOut.get(pid.node);
    return shapes?.frame(pid.id, message);
  }

  private sendOrDrop(pid: Pid<any>, frame: unknown[], message: unknown): boolean {
    if (this.sendFrame(pid.node, frame)) {
      if (this.transport.busy?.(pid.node) === true) this.suspendSender(pid.node);
      return true;
    }
    this.runtime.deadLetter(pid, message, 'noproc');
    return false;
  }

  /**
   * The link to `peer` is busy: the process that sent takes no more turns until it
   * drains (Erlang suspends a sender to a busy distribution port). Code outside any
   * process (a timer, plain code) cannot be suspended: its frames wait in the transport.
   */
  private suspendSender(peer: number): void {
    const process = suspendRunning(this.runtime);
    if (process === null) return;
    const list = this.suspended.get(peer);
    if (list === undefined) this.suspended.set(peer, [process]);
    else list.push(process);
  }

  /** Resumes the processes suspended for sending to `peer`. */
  private resumeSenders(peer: number): void {
    const list = this.suspended.get(peer);
    if (list === undefined) return;
    this.suspended.delete(peer);
    for (const process of list) resumeSuspended(this.runtime, process);
  }

  /** How many processes here are suspended for sending to `peer` (see `Transport.busy`). */
  suspendedFor(peer: number): number {
    return this.suspended.get(peer)?.length ?? 0;
  }

  drained(peer: number): void {
    this.resumeSenders(peer);
  }

  monitor(watcher: Pid<any>, target: Pid<any>, ref: Ref): boolean {
    return this.monitors.monitor(watcher, target, ref);
  }

  demonitor(watcher: Pid<any>, ref: Ref): boolean {
    return this.monitors.demonitor(watcher, ref);
  }

  link(proc: Pid<any>, target: Pid<any>): boolean {
    return this.links.link(proc, target);
  }

  unlink(proc: Pid<any>, target: Pid<any>): void {
    this.links.unlink(proc, target);
  }

  exit(from: Pid<any>, target: Pid<any>, reason: unknown): void {
    // As in Erlang, a signal to a node that is not up is lost.
    this.sendFrame(target.node, [EXIT_SIGNAL, from.id, target.id, encodeReason(reason)]);
  }

  // ---- TransportHandler: what arrives ----

  /**
   * True when this node's scheduler has nothing queued: a ring transport then waits a few
   * microseconds for an answer right after publishing (see `RingTransport`). The
   * scheduler is internal to core; this reads its one `idle` flag.
   */
  idle(): boolean {
    return (this.runtime as unknown as { scheduler: { idle: boolean } }).scheduler.idle;
  }

  frame(peer: number, frame: Frame): void {
    try {
      this.handle(peer, frame as unknown[]);
    } catch (error) {
      // Nothing a peer sends may crash this node (a bug, or a frame from a newer version):
      // the frame is dropped and reported.
      const events = this.runtime.events;
      if (events.has('report')) events.emit('report', { type: 'node_frame_error', peer, error });
    }
  }

  private handle(peer: number, f: unknown[]): void {
    switch (f[0]) {
      case SEND_RECORD:
        this.deliver(f[1] as number, this.shapesIn.get(peer)!.record(f, this.resolvePid));
        return;
      case SHAPE:
        this.shapesIn.get(peer)!.define(f);
        return;
      case SEND:
        this.deliver(
          f[1] as number,
          this.decodeFor(peer, f[1] as number, f[2], f[3] as Stub[] | undefined),
        );
        return;
      case SEND_NAME:
        this.deliverNamed(peer, f[1] as string, f[2], f[3] as Stub[] | undefined);
        return;
      case SEND_TAGGED:
        this.deliverTagged(
          f[1] as number,
          f[2] as string,
          this.decodeFor(peer, f[1] as number, f[3], f[4] as Stub[] | undefined),
        );
        return;
      case REPLY:
      case REPLY_DOWN:
        this.replied(f, peer);
        return;
      case MONITOR:
        this.monitors.served(peer, f[1] as number, f[2] as number);
        return;
      case DEMONITOR:
        this.monitors.unserve(peer, f[1] as number);
        return;
      case DOWN:
        this.monitors.down(f[1] as number, f[2] as never);
        return;
      case LINK:
        this.links.linked(peer, f[1] as number, f[2] as number);
        return;
      case UNLINK:
        this.links.unlinked(peer, f[1] as number, f[2] as number);
        return;
      case EXIT:
        this.links.exited(peer, f[1] as number, f[2] as number, f[3] as never);
        return;
      case EXIT_SIGNAL:
        this.exitSignal(peer, f[1] as number, f[2] as number, f[3] as never);
        return;
      case SPAWN:
        this.spawner.serve(peer, f);
        return;
      case SPAWNED:
      case SPAWN_FAILED:
        this.spawner.answered(peer, f);
        return;
      case STOP:
        this.onStop?.();
        return;
    }
  }

  peerUp(peer: number): void {
    this.up.add(peer);
    this.wireLinks.set(peer, new PeerLink(this, peer, undefined));
    this.shapesOut.set(peer, new ShapesOut((shape) => this.transport.send(peer, shape)));
    this.shapesIn.set(peer, new ShapesIn());
    this.watchers.nodeUp(peer);
  }

  peerDown(peer: number, reason: unknown): void {
    if (!this.up.delete(peer)) return;
    this.shapesOut.delete(peer);
    this.shapesIn.delete(peer);
    this.wireLinks.delete(peer);
    // Senders suspended for the lost node go on; what they send it now is a dead letter.
    this.resumeSenders(peer);
    // Calls waiting on the lost node exit with noconnection, as in OTP.
    for (const [id, entry] of [...this.replySlots]) {
      if (entry.peer !== peer) continue;
      this.replySlots.delete(id);
      entry.slot.down('noconnection');
    }
    this.monitors.nodeDown(peer);
    this.links.nodeDown(peer);
    this.spawner.nodeDown(peer);
    this.watchers.nodeDown(peer, reason);
  }

  private deliver(id: number, message: unknown): void {
    const pid = localPid(this.runtime, id);
    if (pid === undefined) {
      this.runtime.deadLetter(this.deadPid(this.node, id, 0), message, 'noproc');
      return;
    }
    try {
      this.runtime.send(pid, message);
    } catch {
      // A full 'reject' mailbox: the runtime counted and reported the drop; the sender is
      // on another node and cannot be thrown at.
    }
  }

  private deliverNamed(peer: number, name: string, value: unknown, stubs: Stub[] | undefined) {
    const pid = this.runtime.whereis(name);
    if (pid === undefined) {
      this.runtime.deadLetter(name, this.decodeFor(peer, 0, value, stubs), 'noproc');
      return;
    }
    this.deliver(pid.id, this.decodeFor(peer, pid.id, value, stubs));
  }

  private decodeFor(peer: number, id: number, value: unknown, stubs: Stub[] | undefined): unknown {
    if (stubs === undefined) return value;
    return decode(
      value,
      stubs,
      this.resolvePid,
      () => new PeerLink(this, peer, localPid(this.runtime, id)),
    );
  }

  private deliverTagged(id: number, tagName: string, message: unknown): void {
    const found = wireTypeNamed(tagName);
    const pid = localPid(this.runtime, id);
    if (found === undefined || pid === undefined) {
      const tag = found?.cls as MessageTag | undefined;
      this.runtime.deadLetter(
        this.deadPid(this.node, id, 0),
        tag ? new tag(message) : message,
        'noproc',
      );
      return;
    }
    try {
      sendTagged(this.runtime, pid, message, found.cls as MessageTag);
    } catch {
      // A full 'reject' mailbox: reported by the runtime (see deliver).
    }
  }

  private exitSignal(peer: number, fromId: number, toId: number, reason: WireReason): void {
    const to = localPid(this.runtime, toId);
    if (to === undefined) return;
    exitSignalFrom(to, this.remotePid(peer, fromId), decodeReason(reason, this.resolvePid));
  }

  private deadPid(node: number, id: number, serial: number): Pid<any> {
    return this.runtime.parsePid(`<${node}.${id}.${serial}>`);
  }

  /** Delivers `message` beside `pid`'s mailbox capacity, as the runtime's own signals. */
  signal(pid: Pid<any>, message: unknown): void {
    sendSystem(pid, message);
  }
}

/** The {@link WireLink} wire types encode and decode with, between this node and `peer`. */
class PeerLink implements WireLink {
  constructor(
    private readonly agent: NodeAgent,
    readonly peer: number,
    readonly target: Pid<any> | undefined,
  ) {}

  get runtime(): Runtime {
    return this.agent.runtime;
  }

  openReply(slot: ReplySlot): number {
    return this.agent.openReply(this.peer, slot);
  }

  closeReply(id: number): void {
    this.agent.closeReply(id);
  }

  reply(id: number, value: unknown): void {
    const stubs: Stub[] = [];
    const encoded = encode(value, stubs, this);
    this.agent.sendFrame(
      this.peer,
      stubs.length === 0 ? [REPLY, id, encoded] : [REPLY, id, encoded, stubs],
    );
  }

  replyDown(id: number, reason: unknown): void {
    this.agent.sendFrame(this.peer, [REPLY_DOWN, id, encodeReason(reason)]);
  }
}
