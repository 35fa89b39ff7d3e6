import type { ViaRegistry } from './context.js';
import { ActorkitError, InvalidArgumentError, NameTakenError, NoProcError } from './errors.js';
import { isPid, type Pid } from './pid.js';
import type { Runtime } from './runtime.js';

/** Options for `new Registry()`. */
export interface RegistryOptions {
  /**
   * `'unique'`: a key maps to at most one process (use it to name processes, e.g. one
   * per user via `{ via: registry, key }`). `'duplicate'`: many processes may register
   * the same key (use it for pub/sub and dispatch).
   */
  keys: 'unique' | 'duplicate';
}

/** One registration: the process and the value it registered with. */
export interface RegistryEntry<V> {
  pid: Pid<any>;
  value: V;
}

/**
 * A local key → process store, as Elixir's `Registry`. Entries belong to the process
 * that registered them and disappear when it exits. A `'unique'` registry names
 * processes anywhere a PID is accepted: `send({ via: registry, key }, msg)`, and
 * `GenServer.start(..., { name: { via: registry, key } })`.
 *
 * @example
 * const users = new Registry<string>(runtime, { keys: 'unique' });
 * users.register(pid, 'user:42');
 * runtime.send({ via: users, key: 'user:42' }, 'sync');
 *
 * Unlike Elixir's, a Registry here is a plain object, not a process: registration is
 * synchronous and needs no supervision. `register` takes the PID explicitly because
 * JavaScript has no implicit "calling process".
 */
export class Registry<K = unknown, V = unknown> implements ViaRegistry {
  readonly keys: 'unique' | 'duplicate';
  private readonly entries = new Map<K, RegistryEntry<V>[]>();
  private readonly owners = new Map<Pid<any>, { keys: K[]; cancel: () => boolean }>();

  constructor(
    readonly runtime: Runtime,
    options: RegistryOptions,
  ) {
    if (options?.keys !== 'unique' && options?.keys !== 'duplicate') {
      throw new InvalidArgumentError('options.keys', "'unique' or 'duplicate'", options?.keys);
    }
    this.keys = options.keys;
  }

  /**
   * Registers `pid` under `key` with `value`. In a unique registry, throws
   * `NameTakenError` if another live process holds `key`. Throws `NoProcError` for a
   * dead PID.
   */
  register(pid: Pid<any>, key: K, value?: V): void {
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    if (!this.runtime.isAlive(pid)) throw new NoProcError(pid, 'Only a live process can register.');
    const list = this.entries.get(key);
    if (this.keys === 'unique' && list !== undefined) throw new NameTakenError(key, list[0]!.pid);
    const entry = { pid, value: value as V };
    if (list === undefined) this.entries.set(key, [entry]);
    else list.push(entry);
    this.ownerOf(pid).keys.push(key);
  }

  /** Removes every registration of `pid` under `key`. */
  unregister(pid: Pid<any>, key: K): void {
    const list = this.entries.get(key);
    if (list !== undefined) this.removeEntries(key, list, pid);
    const owner = this.owners.get(pid);
    if (owner === undefined) return;
    owner.keys = owner.keys.filter((k) => k !== key);
    if (owner.keys.length === 0) this.release(pid, owner);
  }

  /** Every `{ pid, value }` registered under `key` (at most one in a unique registry). */
  lookup(key: K): RegistryEntry<V>[] {
    return [...(this.entries.get(key) ?? [])];
  }

  /**
   * Calls `callback` with the entries under `key`, if there are any, as Elixir's
   * `Registry.dispatch/3`: the way to broadcast to every subscriber of a topic.
   */
  dispatch(key: K, callback: (entries: RegistryEntry<V>[]) => void): void {
    const list = this.entries.get(key);
    if (list !== undefined && list.length > 0) callback([...list]);
  }

  /** The keys `pid` is registered under. */
  keysOf(pid: Pid<any>): K[] {
    return [...(this.owners.get(pid)?.keys ?? [])];
  }

  /** How many registrations the registry holds. */
  count(): number {
    let total = 0;
    for (const list of this.entries.values()) total += list.length;
    return total;
  }

  whereisName(key: unknown): Pid<any> | undefined {
    this.assertUnique('whereisName');
    return this.entries.get(key as K)?.[0]?.pid;
  }

  registerName(key: unknown, pid: Pid<any>): void {
    this.assertUnique('registerName');
    this.register(pid, key as K);
  }

  unregisterName(key: unknown): void {
    const pid = this.whereisName(key);
    if (pid !== undefined) this.unregister(pid, key as K);
  }

  private ownerOf(pid: Pid<any>): { keys: K[]; cancel: () => boolean } {
    let owner = this.owners.get(pid);
    if (owner === undefined) {
      owner = { keys: [], cancel: () => false };
      this.owners.set(pid, owner);
      owner.cancel = this.runtime.watch(pid, () => this.forget(pid));
    }
    return owner;
  }

  private forget(pid: Pid<any>): void {
    const owner = this.owners.get(pid);
    if (owner === undefined) return;
    this.owners.delete(pid);
    for (const key of new Set(owner.keys)) {
      const list = this.entries.get(key);
      if (list !== undefined) this.removeEntries(key, list, pid);
    }
  }

  private removeEntries(key: K, list: RegistryEntry<V>[], pid: Pid<any>): void {
    const kept = list.filter((entry) => entry.pid !== pid);
    if (kept.length === 0) this.entries.delete(key);
    else this.entries.set(key, kept);
  }

  private release(pid: Pid<any>, owner: { cancel: () => boolean }): void {
    owner.cancel();
    this.owners.delete(pid);
  }

  private assertUnique(operation: string): void {
    if (this.keys !== 'unique') {
      throw new ActorkitError(
        'REGISTRY_NOT_UNIQUE',
        `${operation} needs a registry with keys: 'unique'; this one has duplicate keys. Use lookup() or dispatch() instead.`,
      );
    }
  }
}
