import type { Pid } from '@actorkit/core';
import { attachWatch, detachWatch, isInstance, type WatchNode } from '@actorkit/core/internal';
import type { NodeAgent } from './agent.js';

/**
 * The message `monitorNode` delivers when the node goes down (Erlang's
 * `{nodedown, Node}`): once, then the monitor is gone.
 *
 * @example
 * nodes.monitorNode(ctx.self, 1);
 * const down = await ctx.receive(isNodeDown);
 * console.log(`node ${down.node} is gone`);
 */
export class NodeDown {
  constructor(
    /** The node that went down. */
    readonly node: number,
    /** Why, as the transport said (`'noconnection'` when it does not know more). */
    readonly reason: unknown,
  ) {}

  get type(): 'NODEDOWN' {
    return 'NODEDOWN';
  }
}

/** True for a {@link NodeDown} message; never throws. Use it as a `receive` matcher. */
export function isNodeDown(message: unknown): message is NodeDown {
  return isInstance(message, NodeDown);
}

/** A `monitorNode` of a local process; it watches that process, and dies with it. */
class NodeMonitor implements WatchNode {
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;

  constructor(
    readonly owner: NodeWatchers,
    readonly watcher: Pid<any>,
    readonly node: number,
  ) {}

  down(): void {
    this.owner.forget(this);
  }
}

/** What nodes up and down are told to: listeners and `monitorNode`s. */
export type NodeListener = (node: number, reason?: unknown) => void;

/** Node up/down listeners, and processes monitoring nodes. */
export class NodeWatchers {
  private readonly upListeners = new Set<NodeListener>();
  private readonly downListeners = new Set<NodeListener>();
  private readonly monitors = new Map<number, Set<NodeMonitor>>();

  constructor(private readonly agent: NodeAgent) {}

  on(event: 'nodeUp' | 'nodeDown', listener: NodeListener): () => void {
    const set = event === 'nodeUp' ? this.upListeners : this.downListeners;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** `watcher` gets a `NodeDown` message when `node` goes down (at once if it is not up). */
  monitorNode(watcher: Pid<any>, node: number): void {
    if (!this.agent.isUp(node)) {
      this.agent.signal(watcher, new NodeDown(node, 'noconnection'));
      return;
    }
    const monitor = new NodeMonitor(this, watcher, node);
    if (!attachWatch(watcher, monitor)) return;
    let set = this.monitors.get(node);
    if (set === undefined) this.monitors.set(node, (set = new Set()));
    set.add(monitor);
  }

  /** Removes `watcher`'s monitors of `node`; false if it had none. */
  demonitorNode(watcher: Pid<any>, node: number): boolean {
    const set = this.monitors.get(node);
    let found = false;
    for (const monitor of set ?? []) {
      if (monitor.watcher !== watcher) continue;
      set!.delete(monitor);
      detachWatch(monitor);
      found = true;
    }
    return found;
  }

  forget(monitor: NodeMonitor): void {
    this.monitors.get(monitor.node)?.delete(monitor);
  }

  nodeUp(node: number): void {
    for (const listener of this.upListeners) this.call(listener, node, undefined);
  }

  nodeDown(node: number, reason: unknown): void {
    const set = this.monitors.get(node);
    this.monitors.delete(node);
    for (const monitor of set ?? []) {
      detachWatch(monitor);
      this.agent.signal(monitor.watcher, new NodeDown(node, reason));
    }
    for (const listener of this.downListeners) this.call(listener, node, reason);
  }

  private call(listener: NodeListener, node: number, reason: unknown): void {
    try {
      listener(node, reason);
    } catch (error) {
      const events = this.agent.runtime.events;
      if (events.has('report')) events.emit('report', { type: 'watcher_error', error, reason });
    }
  }
}
