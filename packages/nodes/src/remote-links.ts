import type { Pid } from '@actorkit/core';
import {
  attachWatch,
  detachWatch,
  linkExit,
  localPid,
  type WatchNode,
} from '@actorkit/core/internal';
import type { NodeAgent } from './agent.js';
import { decodeReason, EXIT, encodeReason, LINK, UNLINK, type WireReason } from './frames.js';

/** A link between a local process and a process of another node; it watches the local one. */
class RemoteLink implements WatchNode {
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;

  constructor(
    readonly owner: RemoteLinks,
    readonly key: string,
    readonly local: Pid<any>,
    readonly remote: Pid<any>,
  ) {}

  /** The local process exited: the other node's process gets the exit signal. */
  down(reason: unknown): void {
    this.owner.localExited(this, reason);
  }
}

/**
 * Links across nodes. Each side of a link keeps a record that watches its own process:
 * when that process exits, the other side gets an `EXIT` frame and applies Erlang's rules
 * there (a trapping process gets an `Exit` message; `'normal'` is ignored; any other
 * reason ends the process). A node going down sends every process linked to one of its
 * processes the exit signal `'noconnection'`.
 */
export class RemoteLinks {
  private readonly links = new Map<string, RemoteLink>();
  /** The links of each local process (by its id), for `exitBeforeDowns`. */
  private readonly byLocal = new Map<number, Set<RemoteLink>>();

  constructor(private readonly agent: NodeAgent) {}

  /** The local `proc` links to `target` of another node. */
  link(proc: Pid<any>, target: Pid<any>): boolean {
    if (!this.agent.isUp(target.node)) {
      linkExit(proc, target, 'noconnection');
      return true;
    }
    const key = keyOf(proc.id, target.node, target.id);
    if (this.links.has(key)) return true;
    this.add(key, proc, target);
    this.agent.sendFrame(target.node, [LINK, proc.id, target.id]);
    return true;
  }

  unlink(proc: Pid<any>, target: Pid<any>): void {
    const link = this.links.get(keyOf(proc.id, target.node, target.id));
    if (link === undefined) return;
    this.remove(link);
    this.agent.sendFrame(target.node, [UNLINK, proc.id, target.id]);
  }

  localExited(link: RemoteLink, reason: unknown): void {
    this.forget(link);
    this.agent.sendFrame(link.remote.node, [
      EXIT,
      link.local.id,
      link.remote.id,
      encodeReason(reason),
    ]);
  }

  /** A `LINK` frame: process `fromId` of `peer` links to local process `toId`. */
  linked(peer: number, fromId: number, toId: number): void {
    const local = localPid(this.agent.runtime, toId);
    if (local === undefined) {
      this.agent.sendFrame(peer, [EXIT, toId, fromId, encodeReason('noproc')]);
      return;
    }
    const key = keyOf(toId, peer, fromId);
    if (!this.links.has(key)) this.add(key, local, this.agent.remotePid(peer, fromId));
  }

  /** An `UNLINK` frame. */
  unlinked(peer: number, fromId: number, toId: number): void {
    const link = this.links.get(keyOf(toId, peer, fromId));
    if (link !== undefined) this.remove(link);
  }

  /** An `EXIT` frame: linked process `fromId` of `peer` exited with `reason`. */
  exited(peer: number, fromId: number, toId: number, reason: WireReason): void {
    const link = this.links.get(keyOf(toId, peer, fromId));
    if (link === undefined) return;
    this.remove(link);
    linkExit(link.local, link.remote, decodeReason(reason, this.agent.resolvePid));
  }

  /**
   * The local process `local` is exiting with `reason`: sends its links' exit signals now,
   * if they have not gone yet. A monitor served on this node calls it before its `DOWN`
   * goes out, so that a process both linked to and monitoring `local` from another node
   * gets the `Exit` before the `Down`, as it does in one runtime (and in Erlang, where a
   * dying process signals its links before its monitors). Each link's watch would fire in
   * the same exit anyway; watches fire last attached first, which would put a monitor
   * made after a link ahead of it.
   */
  exitBeforeDowns(local: Pid<any>, reason: unknown): void {
    const links = this.byLocal.get(local.id);
    if (links === undefined) return;
    for (const link of [...links]) {
      detachWatch(link);
      this.localExited(link, reason);
    }
  }

  /** `node` is gone: `'noconnection'` to every local process linked to one of its processes. */
  nodeDown(node: number): void {
    for (const link of [...this.links.values()]) {
      if (link.remote.node !== node) continue;
      this.remove(link);
      linkExit(link.local, link.remote, 'noconnection');
    }
  }

  /** The processes of other nodes that `pid` is linked to. */
  linksOf(pid: Pid<any>): Pid<any>[] {
    return [...this.links.values()].filter((l) => l.local === pid).map((l) => l.remote);
  }

  get size(): number {
    return this.links.size;
  }

  private add(key: string, local: Pid<any>, remote: Pid<any>): void {
    const link = new RemoteLink(this, key, local, remote);
    this.links.set(key, link);
    let ofLocal = this.byLocal.get(local.id);
    if (ofLocal === undefined) this.byLocal.set(local.id, (ofLocal = new Set()));
    ofLocal.add(link);
    attachWatch(local, link);
  }

  private remove(link: RemoteLink): void {
    this.forget(link);
    detachWatch(link);
  }

  private forget(link: RemoteLink): void {
    this.links.delete(link.key);
    const ofLocal = this.byLocal.get(link.local.id);
    if (ofLocal === undefined) return;
    ofLocal.delete(link);
    if (ofLocal.size === 0) this.byLocal.delete(link.local.id);
  }
}

function keyOf(localId: number, node: number, remoteId: number): string {
  return `${localId}:${node}.${remoteId}`;
}
