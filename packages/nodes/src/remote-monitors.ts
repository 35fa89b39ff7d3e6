import { Down, type Pid, type Ref } from '@actorkit/core';
import { attachWatch, detachWatch, localPid, type WatchNode } from '@actorkit/core/internal';
import type { NodeAgent } from './agent.js';
import { DEMONITOR, DOWN, decodeReason, encodeReason, MONITOR, type WireReason } from './frames.js';

/** A monitor a local process holds on a process of another node; it watches its holder. */
class HeldMonitor implements WatchNode {
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;

  constructor(
    readonly owner: RemoteMonitors,
    readonly key: number,
    readonly ref: Ref,
    readonly watcher: Pid<any>,
    readonly target: Pid<any>,
  ) {}

  /** The holder exited: the monitor dies with it (ownership), and the target's node is told. */
  down(): void {
    this.owner.drop(this, true);
  }
}

/** A monitor a process of another node holds on a local process; it watches the target. */
class ServedMonitor implements WatchNode {
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;

  constructor(
    readonly owner: RemoteMonitors,
    readonly peer: number,
    readonly key: number,
    readonly target: Pid<any>,
  ) {}

  down(reason: unknown): void {
    this.owner.targetExited(this, reason);
  }
}

/**
 * Monitors across nodes. The watcher's node numbers each monitor (a key) and keeps its
 * ref, holder and target; the target's node watches the target under that key and sends
 * `DOWN` with the exit reason. A node going down delivers `Down(ref, pid, 'noconnection')`
 * for every monitor on its processes, as Erlang does.
 */
export class RemoteMonitors {
  private nextKey = 1;
  private readonly held = new Map<number, HeldMonitor>();
  private readonly byRef = new Map<Ref, HeldMonitor>();
  private readonly servedBy = new Map<number, Map<number, ServedMonitor>>();

  constructor(private readonly agent: NodeAgent) {}

  /** `watcher` monitors `target` of another node under `ref`. */
  monitor(watcher: Pid<any>, target: Pid<any>, ref: Ref): boolean {
    if (!this.agent.isUp(target.node)) {
      this.agent.signal(watcher, new Down(ref, target, 'noconnection'));
      return true;
    }
    const monitor = new HeldMonitor(this, this.nextKey++, ref, watcher, target);
    this.held.set(monitor.key, monitor);
    this.byRef.set(ref, monitor);
    attachWatch(watcher, monitor);
    this.agent.sendFrame(target.node, [MONITOR, monitor.key, target.id]);
    return true;
  }

  demonitor(watcher: Pid<any>, ref: Ref): boolean {
    const monitor = this.byRef.get(ref);
    if (monitor === undefined || monitor.watcher !== watcher) return false;
    detachWatch(monitor);
    this.drop(monitor, true);
    return true;
  }

  /** Forgets `monitor`; with `tell`, asks the target's node to forget it too. */
  drop(monitor: HeldMonitor, tell: boolean): void {
    this.held.delete(monitor.key);
    this.byRef.delete(monitor.ref);
    if (tell) this.agent.sendFrame(monitor.target.node, [DEMONITOR, monitor.key]);
  }

  /** A `DOWN` frame: the monitored process exited with `reason`. */
  down(key: number, reason: WireReason): void {
    const monitor = this.held.get(key);
    if (monitor === undefined) return;
    detachWatch(monitor);
    this.drop(monitor, false);
    const decoded = decodeReason(reason, this.agent.resolvePid);
    this.agent.signal(monitor.watcher, new Down(monitor.ref, monitor.target, decoded));
  }

  /** A `MONITOR` frame: a process of `peer` monitors local process `id`. */
  served(peer: number, key: number, id: number): void {
    const target = localPid(this.agent.runtime, id);
    if (target === undefined) {
      this.agent.sendFrame(peer, [DOWN, key, encodeReason('noproc')]);
      return;
    }
    const monitor = new ServedMonitor(this, peer, key, target);
    let served = this.servedBy.get(peer);
    if (served === undefined) this.servedBy.set(peer, (served = new Map()));
    served.set(key, monitor);
    attachWatch(target, monitor);
  }

  /** A `DEMONITOR` frame. */
  unserve(peer: number, key: number): void {
    const monitor = this.servedBy.get(peer)?.get(key);
    if (monitor === undefined) return;
    this.servedBy.get(peer)!.delete(key);
    detachWatch(monitor);
  }

  targetExited(monitor: ServedMonitor, reason: unknown): void {
    this.servedBy.get(monitor.peer)?.delete(monitor.key);
    // Its links' exit signals first, as in one runtime (see RemoteLinks.exitBeforeDowns).
    this.agent.links.exitBeforeDowns(monitor.target, reason);
    this.agent.sendFrame(monitor.peer, [DOWN, monitor.key, encodeReason(reason)]);
  }

  /** `node` is gone: `noconnection` for monitors on its processes; its own monitors end. */
  nodeDown(node: number): void {
    for (const monitor of [...this.held.values()]) {
      if (monitor.target.node !== node) continue;
      detachWatch(monitor);
      this.drop(monitor, false);
      this.agent.signal(monitor.watcher, new Down(monitor.ref, monitor.target, 'noconnection'));
    }
    const served = this.servedBy.get(node);
    if (served === undefined) return;
    this.servedBy.delete(node);
    for (const monitor of served.values()) detachWatch(monitor);
  }

  /** How many monitors local processes hold on other nodes' processes, and serve for them. */
  get size(): { held: number; served: number } {
    let served = 0;
    for (const map of this.servedBy.values()) served += map.size;
    return { held: this.held.size, served };
  }
}
