import {
  InvalidArgumentError,
  isPid,
  makeRef,
  NoProcError,
  type Pid,
  type Ref,
  type Runtime,
} from '@actorkit/core';
import { isInstance, localPid } from '@actorkit/core/internal';
import type { NodeAgent } from './agent.js';
import { agentOf } from './thread-agents.js';

/**
 * Process groups across nodes, as Erlang's `pg` (OTP 23+): a group is a name under which
 * processes of any node join, and `members(group)` lists them all, from any node. Use it
 * for pub/sub and for finding workers of a kind wherever they run.
 *
 * As in `pg`, each node has a scope (a service process registered locally as
 * `'actorkit.pg'`) that owns its own processes' memberships and tells the other nodes'
 * scopes with ordinary messages:
 *
 * - `join(group, pid)` and `leave(group, pid)` take processes of this node only, as
 *   `pg` does, and take effect here at once; other nodes see them a moment later, in
 *   the order this node made them (membership is eventually consistent).
 * - A process may join a group several times, and is then listed that many times;
 *   `leave` removes one occurrence. A process that exits leaves all its groups; a node
 *   that goes down takes all its processes out of every group, on every node.
 * - `monitor(watcher, group)` (OTP 25's `pg:monitor/2`) sends `watcher` a
 *   {@link GroupChange} for every join and leave the scope sees, from any node.
 *
 * Groups are strings (compared by value on every node).
 *
 * @example
 * const groups = processGroups();
 * groups.join('workers', ctx.self);
 * for (const worker of groups.members('workers')) ctx.send(worker, job); // any node's
 */
export class ProcessGroups {
  /** The node whose scope this is. */
  readonly node: number;
  /** That node's runtime, where its scope process runs. */
  readonly runtime: Runtime;
  /** This node's memberships, per group, in join order. */
  private readonly local = new Map<string, Pid<any>[]>();
  /** Per other node, its memberships as it last said. */
  private readonly remote = new Map<number, Map<string, Pid<any>[]>>();
  /** Per process of this node that is a member, its exit watch. */
  private readonly watches = new Map<Pid<any>, () => boolean>();
  /** Per group, the processes monitoring it. */
  private readonly monitors = new Map<string, Map<Ref, GroupMonitor>>();
  private readonly service: Pid<any>;
  private readonly unlisten: Array<() => void>;

  /** @internal Made by the node's agent. Use {@link processGroups} to get it. */
  constructor(private readonly agent: NodeAgent) {
    this.node = agent.node;
    this.runtime = agent.runtime;
    this.service = this.runtime.spawn(
      { handle: (message: unknown) => this.receive(message) },
      { name: PG_SERVICE, label: 'pg', behaviour: 'service' },
    );
    this.unlisten = [
      agent.watchers.on('nodeUp', (node) => this.nodeUp(node)),
      agent.watchers.on('nodeDown', (node) => this.nodeDown(node)),
    ];
  }

  /**
   * Adds `pids` (a PID or an array of PIDs, live processes of this node) to `group`,
   * once more each (Erlang's `pg:join/2`). Throws `InvalidArgumentError` for a group
   * that is not a string or a PID of another node, and `NoProcError` for a process
   * that is not alive (`pg` would add it and take it out again at once).
   *
   * @example
   * processGroups().join('chat:lobby', ctx.self);
   */
  join(group: string, pids: Pid<any> | readonly Pid<any>[]): void {
    const list = this.checkLocal(group, pids);
    let members = this.local.get(group);
    if (members === undefined) this.local.set(group, (members = []));
    for (const pid of list) {
      members.push(pid);
      if (!this.watches.has(pid)) {
        this.watches.set(
          pid,
          this.runtime.watch(pid, () => this.exited(pid)),
        );
      }
    }
    this.broadcast(['join', this.node, group, list]);
    this.notify(group, 'join', list);
  }

  /**
   * Removes one occurrence of each of `pids` (processes of this node) from `group`
   * (Erlang's `pg:leave/2`). Returns false if none of them was in it (`not_joined`).
   *
   * @example
   * processGroups().leave('chat:lobby', ctx.self); // true
   */
  leave(group: string, pids: Pid<any> | readonly Pid<any>[]): boolean {
    const members = this.local.get(this.checkGroup(group)) ?? [];
    const left: Pid<any>[] = [];
    for (const pid of Array.isArray(pids) ? pids : [pids]) {
      const index = members.lastIndexOf(pid);
      if (index === -1) continue;
      members.splice(index, 1);
      left.push(pid);
    }
    if (left.length === 0) return false;
    if (members.length === 0) this.local.delete(group);
    for (const pid of left) this.unwatchIfGone(pid);
    this.broadcast(['leave', this.node, group, left]);
    this.notify(group, 'leave', left);
    return true;
  }

  /**
   * The members of `group` on every node, as this node knows them (Erlang's
   * `pg:get_members/1`): this node's first, a process listed once per join.
   */
  members(group: string): Pid<any>[] {
    const all = [...(this.local.get(group) ?? [])];
    for (const groups of this.remote.values()) all.push(...(groups.get(group) ?? []));
    return all;
  }

  /** The members of `group` on this node (Erlang's `pg:get_local_members/1`). */
  localMembers(group: string): Pid<any>[] {
    return [...(this.local.get(group) ?? [])];
  }

  /** The groups with a member on any node (Erlang's `pg:which_groups/0`). */
  whichGroups(): string[] {
    const groups = new Set(this.local.keys());
    for (const node of this.remote.values()) for (const group of node.keys()) groups.add(group);
    return [...groups];
  }

  /** The groups with a member on this node (Erlang's `pg:which_local_groups/0`). */
  whichLocalGroups(): string[] {
    return [...this.local.keys()];
  }

  /**
   * Sends `watcher` (a live process of this node) a {@link GroupChange} for every join
   * and leave of `group` from now on, on any node (OTP 25's `pg:monitor/2`), and returns
   * the monitor's ref and the members now. The monitor ends with `demonitor(ref)` or
   * when `watcher` exits.
   *
   * @example
   * const { ref, members } = processGroups().monitor(ctx.self, 'workers');
   * const change = await ctx.receive(isGroupChange); // { ref, type: 'join', group, pids }
   */
  monitor(watcher: Pid<any>, group: string): { ref: Ref; members: Pid<any>[] } {
    this.checkLocal(this.checkGroup(group), watcher);
    const ref = makeRef();
    let set = this.monitors.get(group);
    if (set === undefined) this.monitors.set(group, (set = new Map()));
    const cancel = this.runtime.watch(watcher, () => this.demonitor(ref));
    set.set(ref, { ref, watcher, group, cancel });
    return { ref, members: this.members(group) };
  }

  /** Ends the group monitor `ref`; false if there was none. */
  demonitor(ref: Ref): boolean {
    for (const [group, set] of this.monitors) {
      const monitor = set.get(ref);
      if (monitor === undefined) continue;
      set.delete(ref);
      if (set.size === 0) this.monitors.delete(group);
      monitor.cancel();
      return true;
    }
    return false;
  }

  /** @internal Stops the scope (the agent detaches). */
  close(): void {
    for (const stop of this.unlisten) stop();
    for (const cancel of this.watches.values()) cancel();
    this.watches.clear();
    for (const set of this.monitors.values()) for (const m of set.values()) m.cancel();
    this.monitors.clear();
    this.runtime.exit(this.service, 'shutdown');
  }

  // ---- this node's processes ----

  private checkGroup(group: string): string {
    if (typeof group !== 'string') throw new InvalidArgumentError('group', 'a string', group);
    return group;
  }

  private checkLocal(group: string, pids: Pid<any> | readonly Pid<any>[]): Pid<any>[] {
    this.checkGroup(group);
    const list = Array.isArray(pids) ? [...pids] : [pids];
    for (const pid of list) {
      if (!isPid(pid) || pid.node !== this.node) {
        throw new InvalidArgumentError('pid', `a PID of a process of node ${this.node}`, pid);
      }
      if (localPid(this.runtime, pid.id) !== pid) {
        throw new NoProcError(pid, 'Only a live process can join a group or watch one.');
      }
    }
    return list;
  }

  /** A process of this node exited: it leaves every group it was in, as often as it joined. */
  private exited(pid: Pid<any>): void {
    this.watches.delete(pid);
    for (const [group, members] of [...this.local]) {
      const left = members.filter((member) => member === pid);
      if (left.length === 0) continue;
      const kept = members.filter((member) => member !== pid);
      if (kept.length === 0) this.local.delete(group);
      else this.local.set(group, kept);
      this.broadcast(['leave', this.node, group, left]);
      this.notify(group, 'leave', left);
    }
  }

  private unwatchIfGone(pid: Pid<any>): void {
    for (const members of this.local.values()) if (members.includes(pid)) return;
    this.watches.get(pid)?.();
    this.watches.delete(pid);
  }

  private broadcast(message: PgMessage): void {
    for (const peer of this.agent.peers()) this.agent.sendNamed(peer, PG_SERVICE, message);
  }

  private notify(group: string, type: 'join' | 'leave', pids: Pid<any>[]): void {
    const set = this.monitors.get(group);
    if (set === undefined || pids.length === 0) return;
    for (const m of set.values())
      this.agent.signal(m.watcher, new GroupChange(m.ref, type, group, pids));
  }

  // ---- what the other nodes' scopes say ----

  private receive(message: unknown): void {
    if (!Array.isArray(message)) return;
    const from = message[1] as number;
    // A node that went down is gone for good: what it said before is already void.
    if (from === this.node || !this.agent.isUp(from)) return;
    const m = message as PgMessage;
    let groups = this.remote.get(from);
    if (groups === undefined) this.remote.set(from, (groups = new Map()));
    switch (m[0]) {
      case 'join': {
        const members = groups.get(m[2]) ?? [];
        members.push(...m[3]);
        groups.set(m[2], members);
        this.notify(m[2], 'join', m[3]);
        return;
      }
      case 'leave': {
        const members = groups.get(m[2]) ?? [];
        const left = removeEach(members, m[3]);
        if (members.length === 0) groups.delete(m[2]);
        this.notify(m[2], 'leave', left);
        return;
      }
      case 'sync':
        this.synced(from, groups, new Map(m[2]));
        return;
    }
  }

  /** Another node's whole membership, when it comes up: replaces what was known of it. */
  private synced(from: number, old: Map<string, Pid<any>[]>, now: Map<string, Pid<any>[]>): void {
    this.remote.set(from, now);
    for (const group of new Set([...old.keys(), ...now.keys()])) {
      const before = old.get(group) ?? [];
      const after = now.get(group) ?? [];
      this.notify(
        group,
        'leave',
        before.filter((pid) => !after.includes(pid)),
      );
      this.notify(
        group,
        'join',
        after.filter((pid) => !before.includes(pid)),
      );
    }
  }

  private nodeUp(node: number): void {
    this.agent.sendNamed(node, PG_SERVICE, ['sync', this.node, [...this.local]]);
  }

  private nodeDown(node: number): void {
    const groups = this.remote.get(node);
    this.remote.delete(node);
    for (const [group, pids] of groups ?? []) this.notify(group, 'leave', pids);
  }
}

/** The local name of each node's process groups scope. */
export const PG_SERVICE = 'actorkit.pg';

/**
 * What a group monitor (`ProcessGroups.monitor`) delivers: processes joined or left
 * `group` (OTP's `{Ref, join | leave, Group, Pids}`). `pids` lists a process once per
 * join or leave. A leave because a node went down lists all its processes at once.
 *
 * @example
 * const change = await ctx.receive(isGroupChange);
 * if (change.type === 'join') console.log(`${change.pids.length} joined ${change.group}`);
 */
export class GroupChange {
  constructor(
    /** The ref `monitor` returned. */
    readonly ref: Ref,
    /** Whether `pids` joined or left. */
    readonly type: 'join' | 'leave',
    /** The group. */
    readonly group: string,
    /** The processes that joined or left. */
    readonly pids: readonly Pid<any>[],
  ) {}
}

/** True for a {@link GroupChange} message; never throws. Use it as a `receive` matcher. */
export function isGroupChange(message: unknown): message is GroupChange {
  return isInstance(message, GroupChange);
}

/**
 * The process groups scope of this thread's node (of `runtime`'s, if given). Throws
 * `InvalidArgumentError` if nodes are not started here (`startNodes`; on a worker node,
 * they are).
 *
 * @example
 * processGroups().members('workers');
 */
export function processGroups(runtime?: Runtime): ProcessGroups {
  return agentOf(runtime).groups;
}

interface GroupMonitor {
  readonly ref: Ref;
  readonly watcher: Pid<any>;
  readonly group: string;
  readonly cancel: () => boolean;
}

/** What the scopes of the nodes say to each other; the second element is the sender's node. */
type PgMessage =
  | [op: 'join', from: number, group: string, pids: Pid<any>[]]
  | [op: 'leave', from: number, group: string, pids: Pid<any>[]]
  | [op: 'sync', from: number, groups: Array<[string, Pid<any>[]]>];

/** Removes one occurrence of each of `pids` from `members`; the ones it found. */
function removeEach(members: Pid<any>[], pids: readonly Pid<any>[]): Pid<any>[] {
  const removed: Pid<any>[] = [];
  for (const pid of pids) {
    const index = members.lastIndexOf(pid);
    if (index === -1) continue;
    members.splice(index, 1);
    removed.push(pid);
  }
  return removed;
}
