import {
  InvalidArgumentError,
  isPid,
  NameTakenError,
  NoProcError,
  type Pid,
  type Runtime,
  type Via,
  type ViaRegistry,
} from '@actorkit/core';
import { localPid } from '@actorkit/core/internal';
import type { NodeAgent } from './agent.js';
import { encode } from './codec.js';
import { agentOf } from './thread-agents.js';

/**
 * Names unique across a system of nodes, as Erlang's `global`: a process registered as
 * `'orders'` on node 2 is found under that name from every node, and
 * `GenServer.call(globalName('orders'), request)` reaches it wherever it lives.
 *
 * Each node keeps a replica of the whole table, so `whereisName` is a synchronous map
 * lookup, as core needs of a `ViaRegistry`. Each node's service process (registered
 * locally as `'actorkit.global'`, Erlang's `global_name_server`) keeps it up to date with
 * ordinary messages between the services of the nodes:
 *
 * - **A node owns the names of its own processes.** `registerName(key, pid)` (a pid of
 *   this node) checks this node's replica, records the name and tells every other node;
 *   the node watches the process and, when it exits or `unregisterName` frees the name,
 *   tells every node again. A pair of nodes keeps its messages in order, so each node's
 *   view of another node's names is that node's, a moment later.
 * - **A node that goes down takes its names with it**, on every surviving node, at the
 *   moment that node sees it go down.
 * - **Races.** Two nodes that register one name at the same moment, each before hearing
 *   of the other's, both succeed at first. Every node then sees both claims and picks
 *   the same one: the earlier registration (by `Date.now()` at `registerName`), the
 *   lower node and then the lower process number on a tie. The node of the other one
 *   frees it and exits its process with a {@link GlobalNameConflict} reason (Erlang's
 *   default resolver kills one of the two); a process trapping exits gets it as an
 *   `Exit` message and lives on without the name. Until the claims have crossed (a few
 *   microseconds between threads), lookups on different nodes may answer differently.
 *   `register` waits for every node's answer instead, and never gives a name it then
 *   takes back.
 * - **A node joining** sends its names to every node and gets theirs; a name held on
 *   both sides is resolved as a race is.
 *
 * Keys are strings (compared by value on every node). A process registers on its own
 * node (Erlang lets any node register any process; here a pid of another node is an
 * `InvalidArgumentError`: register it from its node).
 *
 * @example
 * const orders = await GenServer.start(Orders, [], { name: globalName('orders') });
 * // on any node, at once on this one and a moment later on the others:
 * globalNames().whereisName('orders'); // orders' PID
 * await GenServer.call(globalName('orders'), { type: 'count' });
 */
export class GlobalNames implements ViaRegistry {
  /** The node whose replica this is. */
  readonly node: number;
  /** That node's runtime, where its service process runs. */
  readonly runtime: Runtime;
  /** Per node (this one included): the names of its processes, as it last said. */
  private readonly tables = new Map<number, Map<string, Entry>>();
  /** Per name, the claim that holds it: the earliest of the tables' (kept as they change). */
  private readonly held = new Map<string, Entry>();
  /** The names of each process of this node that holds one, and its watch. */
  private readonly owners = new Map<Pid<any>, Owner>();
  /** `register` calls waiting for the other nodes' answers. */
  private readonly claims = new Map<string, Claim>();
  private readonly service: Pid<any>;
  private readonly unlisten: Array<() => void>;

  /** @internal Made by the node's agent. Use {@link globalNames} to get it. */
  constructor(private readonly agent: NodeAgent) {
    this.node = agent.node;
    this.runtime = agent.runtime;
    this.service = this.runtime.spawn(
      { handle: (message: unknown) => this.receive(message) },
      { name: GLOBAL_SERVICE, label: 'global_name_server', behaviour: 'service' },
    );
    this.unlisten = [
      agent.watchers.on('nodeUp', (node) => this.nodeUp(node)),
      agent.watchers.on('nodeDown', (node) => this.nodeDown(node)),
    ];
  }

  /**
   * The process registered under `key` on any node, or undefined, from this node's
   * replica (a synchronous lookup). A name registered on another node a moment ago may
   * not be here yet; one whose node went down is gone once this node has seen it go.
   *
   * @example
   * globalNames().whereisName('orders'); // #PID<2.14.0>, wherever it was registered from
   */
  whereisName(key: unknown): Pid<any> | undefined {
    if (typeof key !== 'string') return undefined;
    return this.winner(key)?.pid;
  }

  /**
   * Registers `pid`, a live process of this node, under `key` in the whole system, with
   * `value` (a `{ via, key, value }` name's) stored beside it; what `GenServer.start`
   * calls for a `globalName` name. Throws `NameTakenError` if this node knows a
   * process holding `key` (the same one included), `NoProcError` if `pid` is not alive,
   * `InvalidArgumentError` for a key that is not a string or a pid of another node, and
   * `UncloneableMessageError` for a value that cannot cross. A registration racing
   * another node's may lose afterwards: see the class doc.
   *
   * @example
   * globalNames().registerName('cache', ctx.self);
   */
  registerName(key: unknown, pid: Pid<any>, value?: unknown): void {
    const entry = this.claim(key, pid, value);
    const holder = this.winner(entry.key);
    if (holder !== undefined) throw new NameTakenError(key, holder.pid);
    this.add(entry, false);
  }

  /**
   * Registers `pid` under `key` as `registerName` does, but waits for every node that is
   * up to have seen the claim: resolves true if `pid` holds the name then (no node will
   * take it back), false if the name was taken, here at once or by a racing
   * registration (Erlang's `global:register_name`, `yes` or `no`). A loser is not
   * exited: it never held the name. Throws as `registerName` does, but for a taken name.
   *
   * @example
   * if (await globalNames().register('leader', ctx.self)) console.log('I lead');
   */
  register(key: string, pid: Pid<any>, value?: unknown): Promise<boolean> {
    const entry = this.claim(key, pid, value);
    if (this.winner(key) !== undefined || this.claims.has(key)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiting = new Set(this.agent.peers());
      this.claims.set(key, { entry, waiting, resolve });
      this.add(entry, true);
      this.settle(key);
    });
  }

  /**
   * Frees `key` (Erlang's `global:unregister_name`), whoever holds it: at once here, and
   * on every node once the holder's node has heard. Does nothing if nobody holds it.
   *
   * @example
   * globalNames().unregisterName('orders');
   */
  unregisterName(key: unknown): void {
    if (typeof key !== 'string') return;
    const holder = this.winner(key);
    if (holder === undefined) return;
    if (holder.pid.node === this.node) {
      this.remove(holder);
      return;
    }
    this.forget(holder.pid.node, key);
    this.agent.sendNamed(holder.pid.node, GLOBAL_SERVICE, ['free', this.node, key, holder.pid]);
  }

  /**
   * Every name held on any node, as this node's replica has them (Erlang's
   * `global:registered_names()`).
   */
  registeredNames(): string[] {
    return [...this.held.keys()];
  }

  /** The `value` registered with `key`'s holder, or undefined. */
  valueOf(key: string): unknown {
    return this.winner(key)?.value;
  }

  /** @internal Stops the service (the agent detaches). */
  close(): void {
    for (const stop of this.unlisten) stop();
    for (const owner of this.owners.values()) owner.cancel();
    this.owners.clear();
    for (const claim of this.claims.values()) claim.resolve(false);
    this.claims.clear();
    this.runtime.exit(this.service, 'shutdown');
  }

  // ---- the table ----

  /** The entry that holds `key`. */
  private winner(key: string): Entry | undefined {
    return this.held.get(key);
  }

  /** Finds `key`'s holder again: of all the nodes' claims, the earliest (see the class doc). */
  private elect(key: string): void {
    let best: Entry | undefined;
    for (const table of this.tables.values()) {
      const entry = table.get(key);
      if (entry !== undefined && (best === undefined || before(entry, best))) best = entry;
    }
    if (best === undefined) this.held.delete(key);
    else this.held.set(key, best);
  }

  /** Records `node`'s claim `entry`. */
  private record(node: number, entry: Entry): void {
    this.table(node).set(entry.key, entry);
    this.elect(entry.key);
  }

  /** Drops `node`'s claim on `key` (only if it is `pid`'s, when given). */
  private forget(node: number, key: string, pid?: Pid<any>): void {
    const table = this.tables.get(node);
    const entry = table?.get(key);
    if (entry === undefined || (pid !== undefined && !entry.pid.equals(pid))) return;
    table!.delete(key);
    this.elect(key);
  }

  private table(node: number): Map<string, Entry> {
    let table = this.tables.get(node);
    if (table === undefined) this.tables.set(node, (table = new Map()));
    return table;
  }

  /** Checks a registration's arguments; the entry it would make. */
  private claim(key: unknown, pid: Pid<any>, value: unknown): Entry {
    if (typeof key !== 'string') throw new InvalidArgumentError('key', 'a string', key);
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    if (pid.node !== this.node) {
      throw new InvalidArgumentError(
        'pid',
        `a process of node ${this.node}, where it is registered (register a process from its own node)`,
        pid,
      );
    }
    if (localPid(this.runtime, pid.id) !== pid) {
      throw new NoProcError(pid, 'Only a live process can be registered.');
    }
    if (value !== undefined) encode(value, []); // throws what cannot cross, before anything is told
    return { key, pid, value, at: Date.now() };
  }

  /** Records a name of this node's process, watches it, and tells every node. */
  private add(entry: Entry, ack: boolean): void {
    this.record(this.node, entry);
    let owner = this.owners.get(entry.pid);
    if (owner === undefined) {
      const keys = new Set<string>();
      const cancel = this.runtime.watch(entry.pid, () => this.exited(entry.pid));
      this.owners.set(entry.pid, (owner = { keys, cancel }));
    }
    owner.keys.add(entry.key);
    const message: GlobalMessage = ['add', this.node, entry.key, entry.pid, entry.value, entry.at];
    if (ack) message.push(true);
    this.broadcast(message);
  }

  /** Frees a name of this node's process, and tells every node. */
  private remove(entry: Entry): void {
    if (this.table(this.node).get(entry.key) !== entry) return;
    this.forget(this.node, entry.key);
    const owner = this.owners.get(entry.pid);
    owner?.keys.delete(entry.key);
    if (owner !== undefined && owner.keys.size === 0) {
      owner.cancel();
      this.owners.delete(entry.pid);
    }
    this.broadcast(['remove', this.node, entry.key, entry.pid]);
  }

  private exited(pid: Pid<any>): void {
    const owner = this.owners.get(pid);
    if (owner === undefined) return;
    const table = this.table(this.node);
    for (const key of [...owner.keys]) this.remove(table.get(key)!);
  }

  private broadcast(message: GlobalMessage): void {
    for (const peer of this.agent.peers()) this.agent.sendNamed(peer, GLOBAL_SERVICE, message);
  }

  // ---- what the other nodes say (the service's messages) ----

  private receive(message: unknown): void {
    if (!Array.isArray(message)) return;
    const from = message[1] as number;
    // Peers that went down are gone for good: what they said before is already void.
    if (!this.agent.isUp(from) || from === this.node) return;
    const m = message as GlobalMessage;
    switch (m[0]) {
      case 'add':
        this.added(from, { key: m[2], pid: m[3], value: m[4], at: m[5] }, m[6] === true);
        return;
      case 'remove':
        this.forget(from, m[2], m[3]);
        return;
      case 'sync':
        this.synced(from, m[2]);
        return;
      case 'free': {
        const entry = this.table(this.node).get(m[2]);
        if (entry?.pid.equals(m[3])) this.remove(entry);
        return;
      }
      case 'ack':
        this.claims.get(m[2])?.waiting.delete(from);
        this.settle(m[2]);
        return;
    }
  }

  private added(from: number, entry: Entry, ack: boolean): void {
    this.record(from, entry);
    this.resolve(entry.key);
    if (ack) this.agent.sendNamed(from, GLOBAL_SERVICE, ['ack', this.node, entry.key]);
  }

  private synced(from: number, entries: SyncedEntry[]): void {
    const old = this.tables.get(from);
    const table = new Map<string, Entry>();
    for (const [key, pid, value, at] of entries) table.set(key, { key, pid, value, at });
    this.tables.set(from, table);
    for (const key of old?.keys() ?? []) this.elect(key);
    for (const key of table.keys()) {
      this.elect(key);
      this.resolve(key);
    }
  }

  /** After another node's claim on `key`: this node's own claim, if it lost, is given up. */
  private resolve(key: string): void {
    const mine = this.table(this.node).get(key);
    if (mine === undefined) return;
    const winner = this.winner(key)!;
    if (winner === mine) return;
    this.remove(mine);
    const claim = this.claims.get(key);
    if (claim?.entry === mine) {
      this.claims.delete(key);
      claim.resolve(false);
      return;
    }
    const reason: GlobalNameConflict = {
      type: 'global_name_conflict',
      name: key,
      winner: winner.pid,
    };
    const events = this.runtime.events;
    if (events.has('report')) events.emit('report', { ...reason, loser: mine.pid });
    this.runtime.exit(mine.pid, reason);
  }

  /** Settles `register` of `key` once every node has answered. */
  private settle(key: string): void {
    const claim = this.claims.get(key);
    if (claim === undefined || claim.waiting.size > 0) return;
    this.claims.delete(key);
    claim.resolve(this.winner(key) === claim.entry);
  }

  private nodeUp(node: number): void {
    const entries: SyncedEntry[] = [];
    for (const e of this.table(this.node).values()) entries.push([e.key, e.pid, e.value, e.at]);
    this.agent.sendNamed(node, GLOBAL_SERVICE, ['sync', this.node, entries]);
  }

  private nodeDown(node: number): void {
    const table = this.tables.get(node);
    this.tables.delete(node);
    for (const key of table?.keys() ?? []) this.elect(key);
    for (const key of [...this.claims.keys()]) {
      this.claims.get(key)!.waiting.delete(node);
      this.settle(key);
    }
  }
}

/** The local name of each node's global name service. */
export const GLOBAL_SERVICE = 'actorkit.global';

/**
 * The exit reason of a process that lost its global name to a racing registration (see
 * {@link GlobalNames}); also emitted as a `report` (with `loser`) on its runtime's events.
 */
export interface GlobalNameConflict {
  type: 'global_name_conflict';
  /** The name both registered. */
  name: string;
  /** The process that holds it. */
  winner: Pid<any>;
}

/** True for a {@link GlobalNameConflict} exit reason; never throws. */
export function isGlobalNameConflict(reason: unknown): reason is GlobalNameConflict {
  try {
    return (reason as GlobalNameConflict | null)?.type === 'global_name_conflict';
  } catch {
    return false;
  }
}

/**
 * The global name registry of this thread's node (of `runtime`'s, if given): the
 * `ViaRegistry` of `{ via: globalNames(), key }` names. Throws `InvalidArgumentError` if
 * nodes are not started here (`startNodes`; on a worker node, they are).
 *
 * @example
 * globalNames().whereisName('orders');
 */
export function globalNames(runtime?: Runtime): GlobalNames {
  return agentOf(runtime).globalNames;
}

/**
 * A global name, `{ via: globalNames(runtime), key, value? }` (the issue's
 * `{ global: name }`): a name unique across all nodes, usable wherever a name is (`send`,
 * `exit`, `sendAfter`, `GenServer.start`'s `name`, `GenServer.call`, `GenServer.cast`). `value` is
 * stored with the registration when a process is started under the name; `runtime`
 * picks the node when this thread has several. The registry is this thread's node's,
 * taken when the name is made. Throws `InvalidArgumentError` for a key that is not a
 * string, or when nodes are not started here. See {@link GlobalNames}.
 *
 * @example
 * await GenServer.start(Orders, [], { name: globalName('orders') });
 * await GenServer.call(globalName('orders'), { type: 'count' }); // from any node
 */
export function globalName(key: string, value?: unknown, runtime?: Runtime): Via {
  if (typeof key !== 'string') throw new InvalidArgumentError('key', 'a string', key);
  const via = globalNames(runtime);
  return value === undefined ? { via, key } : { via, key, value };
}

interface Entry {
  readonly key: string;
  readonly pid: Pid<any>;
  readonly value: unknown;
  /** `Date.now()` at registration: the earlier of two racing claims wins. */
  readonly at: number;
}

/** A process of this node's names, and the watch that frees them when it exits. */
interface Owner {
  readonly keys: Set<string>;
  readonly cancel: () => boolean;
}

/** A `register` waiting for the nodes in `waiting` to acknowledge its claim. */
interface Claim {
  readonly entry: Entry;
  readonly waiting: Set<number>;
  readonly resolve: (won: boolean) => void;
}

type SyncedEntry = [key: string, pid: Pid<any>, value: unknown, at: number];

/** What the services of the nodes say to each other; the second element is the sender's node. */
type GlobalMessage =
  | [op: 'add', from: number, key: string, pid: Pid<any>, value: unknown, at: number, ack?: true]
  | [op: 'remove', from: number, key: string, pid: Pid<any>]
  | [op: 'sync', from: number, entries: SyncedEntry[]]
  | [op: 'free', from: number, key: string, pid: Pid<any>]
  | [op: 'ack', from: number, key: string];

/** True when `a` was registered before `b`: earlier, then lower node, then lower process. */
function before(a: Entry, b: Entry): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.pid.node !== b.pid.node) return a.pid.node < b.pid.node;
  return a.pid.id < b.pid.id;
}
