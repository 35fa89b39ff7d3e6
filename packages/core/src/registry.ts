import type { Name, ViaRegistry } from './context.js';
import { ActorkitError, InvalidArgumentError, NameTakenError, NoProcError } from './errors.js';
import { isPid, type Pid } from './pid.js';
import {
  listenerNames,
  notifyListeners,
  type RegistryListenerMessage,
  RegistryRegister,
  RegistryUnregister,
} from './registry-listeners.js';
import { KeyLocks } from './registry-lock.js';
import {
  checkDispatchOptions,
  checkRegistryOptions,
  type DispatchOptions,
  type MetaKey,
  metaEntries,
  metaKey,
  type RegistryOptions,
} from './registry-options.js';
import {
  ANY,
  compilePattern,
  compileRecordPattern,
  type MatchGuard,
  type MatchPattern,
} from './registry-pattern.js';
import type { Runtime } from './runtime.js';

export type { DispatchOptions, MetaKey, RegistryOptions } from './registry-options.js';

/** True when `value` looks like a Runtime; false, never a throw, if it cannot be read. */
function isRuntime(value: unknown): value is Runtime {
  try {
    return typeof (value as Runtime | null)?.watch === 'function';
  } catch {
    // A revoked proxy, or a proxy whose traps throw.
    return false;
  }
}

/** One registration: the process and the value it registered with. Frozen. */
export interface RegistryEntry<V> {
  readonly pid: Pid<any>;
  readonly value: V;
}

/** One registration with its key, as `select` returns it (Elixir's `{key, pid, value}`). */
export interface RegistryRecord<K, V> {
  readonly key: K;
  readonly pid: Pid<any>;
  readonly value: V;
}

interface Owner<K> {
  /** The keys the process holds, with how many entries under each. */
  readonly keys: Map<K, number>;
  cancel: () => boolean;
}

/**
 * A local key → process store, as Elixir's `Registry`: name processes by any key, keep
 * a value beside each registration, find, dispatch to and query them. Entries belong to
 * the process that registered them and disappear the moment it exits.
 *
 * A `'unique'` registry names processes anywhere a PID is accepted:
 * `send({ via: registry, key }, msg)`, and `GenServer.start(..., { name: { via: registry,
 * key, value } })` (the value is stored with the registration). A `'duplicate'` registry
 * is a pub/sub: subscribers register under a topic, publishers `dispatch` to them.
 *
 * Listeners (the `listeners` option) are told of `register`, `unregister` and
 * `unregisterMatch`, exactly where Elixir tells them, and not of exits: as in Elixir, a
 * listener that wants to know when a registered process dies monitors it.
 *
 * @example
 * const users = new Registry<string, { plan: string }>(runtime, { keys: 'unique' });
 * users.register(pid, 'user:42', { plan: 'pro' });
 * runtime.send({ via: users, key: 'user:42' }, 'sync');
 * users.updateValue(pid, 'user:42', () => ({ plan: 'free' })); // [{ plan: 'free' }, { plan: 'pro' }]
 * users.select({ value: { plan: 'free' } }); // [{ key: 'user:42', pid, value: { plan: 'free' } }]
 *
 * How it differs from Elixir's, and why:
 * - It is a plain object, not a process: every operation is synchronous and needs no
 *   supervision. The `partitions` option is accepted and changes nothing: one thread
 *   has nothing to spread over partitions, so one table serves any count.
 * - The operations Elixir applies to "the calling process" (`register`, `unregister`,
 *   `unregisterMatch`, `updateValue`) take its PID first, since JavaScript has no
 *   implicit caller; pass `ctx.self`. Nothing checks that the caller is that process.
 * - Keys are compared as `Map` keys (SameValueZero), not structurally: an object or
 *   array key matches only itself, so build keys from strings, numbers or symbols. With
 *   one number type, `1` and `1.0` are one key (two in Elixir), and match each other in
 *   a pattern.
 * - Match specs do not exist in JavaScript: `match`, `select` and friends take a
 *   structural {@link ValuePattern} or a function (see {@link MatchPattern}).
 * - `keysOf(pid)` is Elixir's `keys/2` (`keys` is the registry's kind, as the option).
 */
export class Registry<K = unknown, V = unknown, Meta extends object = Record<MetaKey, unknown>>
  implements ViaRegistry
{
  /** The wildcard of a structural {@link ValuePattern}, Elixir's `:_`: matches anything in its place. */
  static readonly ANY: typeof ANY = ANY;

  /** Whether a key maps to one process or to many (the `keys` option). */
  readonly keys: 'unique' | 'duplicate';
  /** The registered names told of registrations (the `listeners` option). */
  readonly listeners: readonly Name[];
  /**
   * The `partitions` option (1 without it). It changes nothing here: one table serves
   * any count (see `RegistryOptions.partitions`).
   */
  readonly partitions: number;
  private readonly entries = new Map<K, RegistryEntry<V>[]>();
  private readonly owners = new Map<Pid<any>, Owner<K>>();
  private readonly metadata = new Map<MetaKey, unknown>();
  private size = 0;
  private locks: KeyLocks | undefined;

  constructor(
    readonly runtime: Runtime,
    options: RegistryOptions<Meta>,
  ) {
    if (!isRuntime(runtime)) {
      throw new InvalidArgumentError('runtime', 'an actorkit Runtime', runtime);
    }
    ({ keys: this.keys, partitions: this.partitions } = checkRegistryOptions(options));
    this.listeners = listenerNames(options.listeners);
    for (const [key, value] of metaEntries(options.meta)) this.metadata.set(key, value);
  }

  /**
   * Registers `pid` under `key` with `value` (Elixir's `register/3`, for the process
   * `pid`), and tells the listeners if it succeeded. In a unique registry, throws
   * `NameTakenError` (its `holder` is the owner, Elixir's
   * `{:error, {:already_registered, pid}}`) if any process holds `key`, `pid` itself
   * included. In a duplicate registry a process may register the same key again: each
   * registration is an entry of its own. Throws `NoProcError` for a dead PID, so nothing
   * is ever registered to a process that cannot clean up after itself.
   *
   * @example
   * topics.register(ctx.self, 'news', { since: Date.now() });
   */
  register(pid: Pid<any>, key: K, value?: V): void {
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    if (!this.runtime.isAlive(pid)) throw new NoProcError(pid, 'Only a live process can register.');
    const list = this.entries.get(key);
    if (this.keys === 'unique' && list !== undefined) throw new NameTakenError(key, list[0]!.pid);
    const entry: RegistryEntry<V> = Object.freeze({ pid, value: value as V });
    if (list === undefined) this.entries.set(key, [entry]);
    else list.push(entry);
    this.size++;
    const owner = this.ownerOf(pid);
    owner.keys.set(key, (owner.keys.get(key) ?? 0) + 1);
    if (this.listeners.length > 0) this.notify(new RegistryRegister(this, key, pid, entry.value));
  }

  /**
   * Removes every entry of `pid` under `key` (Elixir's `unregister/2`) and tells the
   * listeners: as Elixir does, even when `pid` held nothing under `key`, which removes
   * nothing.
   *
   * @example
   * topics.unregister(ctx.self, 'news');
   */
  unregister(pid: Pid<any>, key: K): void {
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    this.removeEntries(pid, key, undefined);
    if (this.listeners.length > 0) this.notify(new RegistryUnregister(this, key, pid));
  }

  /**
   * Removes the entries of `pid` under `key` whose value matches `pattern` (and
   * `guard`), and returns how many it removed (Elixir's `unregister_match/4`). The
   * listeners are told when `pid` has no entry left under `key`: when every one of its
   * entries there matched, and, as Elixir does, when it had none to begin with. When
   * some stay (none or only some matched), they are not told.
   *
   * @example
   * topics.register(pid, 'news', 'sport');
   * topics.register(pid, 'news', 'weather');
   * topics.unregisterMatch(pid, 'news', 'sport'); // 1; the 'weather' entry stays
   */
  unregisterMatch(pid: Pid<any>, key: K, pattern: MatchPattern<V>, guard?: MatchGuard<V>): number {
    if (!isPid(pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    const test = compilePattern(pattern, guard);
    const held = this.owners.get(pid)?.keys.get(key) ?? 0;
    const removed = this.removeEntries(pid, key, test);
    if (removed === held && this.listeners.length > 0) {
      this.notify(new RegistryUnregister(this, key, pid));
    }
    return removed;
  }

  /**
   * Replaces the value of `pid`'s entry under `key` with `update(oldValue)` and returns
   * `[newValue, oldValue]` (Elixir's `update_value/3`). Returns undefined (Elixir's
   * `:error`) when `pid` does not hold `key`, and also when `update` itself removed the
   * entry. An error thrown by `update` leaves the value as it was. Listeners are not
   * told. Unique registries only: a duplicate one throws an `ActorkitError` with code
   * `'REGISTRY_NOT_UNIQUE'`.
   *
   * @example
   * users.register(pid, 'user:42', 1);
   * users.updateValue(pid, 'user:42', (n) => n + 1); // [2, 1]
   */
  updateValue(
    pid: Pid<any>,
    key: K,
    update: (value: V) => V,
  ): [newValue: V, oldValue: V] | undefined {
    this.assertUnique('updateValue');
    if (typeof update !== 'function') {
      throw new InvalidArgumentError('update', 'a function (value) => newValue', update);
    }
    const entry = this.entries.get(key)?.[0];
    if (entry === undefined || entry.pid !== pid) return undefined;
    const value = update(entry.value);
    const list = this.entries.get(key);
    if (list?.[0] !== entry) return undefined;
    list[0] = Object.freeze({ pid, value });
    return [value, entry.value];
  }

  /**
   * Every `{ pid, value }` registered under `key`, in registration order (at most one in
   * a unique registry); `[]` if none (Elixir's `lookup/2`).
   *
   * @example
   * users.lookup('user:42'); // [{ pid, value: { plan: 'pro' } }]
   */
  lookup(key: K): RegistryEntry<V>[] {
    const list = this.entries.get(key);
    return list === undefined ? [] : [...list];
  }

  /**
   * The values `pid` registered under `key`, in registration order: `[]` or one value in
   * a unique registry, any number in a duplicate one (Elixir's `values/3`).
   *
   * @example
   * topics.values('news', pid); // ['sport', 'weather']
   */
  values(key: K, pid: Pid<any>): V[] {
    const values: V[] = [];
    for (const entry of this.entries.get(key) ?? [])
      if (entry.pid === pid) values.push(entry.value);
    return values;
  }

  /**
   * The keys `pid` is registered under (Elixir's `keys/2`): each once in a unique
   * registry; in a duplicate one, a key `pid` registered twice appears twice. `[]` for a
   * process that holds none, or that has exited.
   *
   * @example
   * topics.keysOf(pid); // ['news', 'news', 'sport']
   */
  keysOf(pid: Pid<any>): K[] {
    const keys: K[] = [];
    for (const [key, n] of this.owners.get(pid)?.keys ?? []) {
      for (let i = 0; i < n; i++) keys.push(key);
    }
    return keys;
  }

  /**
   * Calls `callback` with the entries under `key`, if there are any (Elixir's
   * `dispatch/3`): the way to broadcast to every subscriber of a topic. It runs in the
   * caller, at once; the registered processes are involved only if `callback` sends
   * them something. An error it throws reaches the caller. `callback` gets a copy, so
   * it may register and unregister freely. `options.parallel` is accepted and, with one
   * table here, changes nothing (see {@link DispatchOptions}); an unknown option
   * throws `InvalidArgumentError`.
   *
   * @example
   * topics.dispatch('news', (entries) => {
   *   for (const { pid } of entries) ctx.send(pid, headline);
   * });
   */
  dispatch(
    key: K,
    callback: (entries: RegistryEntry<V>[]) => void,
    options?: DispatchOptions,
  ): void {
    if (typeof callback !== 'function') {
      throw new InvalidArgumentError('callback', 'a function (entries) => void', callback);
    }
    checkDispatchOptions(options);
    const list = this.entries.get(key);
    if (list !== undefined && list.length > 0) callback([...list]);
  }

  /**
   * The entries under `key` whose value matches `pattern` and passes `guard` (Elixir's
   * `match/4`). `pattern` is a structural {@link ValuePattern} (`Registry.ANY` for
   * Elixir's `:_`) or a function; `guard`, a function, takes the place of Elixir's guard
   * tuples. See {@link MatchPattern} for why there are no match specs.
   *
   * @example
   * jobs.register(pid, 'queue', { state: 'retry', attempts: 3 });
   * jobs.match('queue', { state: 'retry' }, (job) => job.attempts > 2); // [{ pid, value: … }]
   */
  match(key: K, pattern: MatchPattern<V>, guard?: MatchGuard<V>): RegistryEntry<V>[] {
    const test = compilePattern(pattern, guard);
    return (this.entries.get(key) ?? []).filter((entry) => test(entry.value));
  }

  /**
   * How many entries under `key` `match(key, pattern, guard)` would return (Elixir's
   * `count_match/4`), without building the list.
   *
   * @example
   * jobs.countMatch('queue', { state: 'retry' }); // 1
   */
  countMatch(key: K, pattern: MatchPattern<V>, guard?: MatchGuard<V>): number {
    const test = compilePattern(pattern, guard);
    let n = 0;
    for (const entry of this.entries.get(key) ?? []) if (test(entry.value)) n++;
    return n;
  }

  /**
   * Every registration as `{ key, pid, value }` that matches `pattern` and `guard`, or
   * all of them with no pattern (Elixir's `select/2` over `{key, pid, value}`). Shape the
   * result with `.map`, where Elixir's spec has a body; where Elixir gives several specs,
   * pass a function that tries each. A pattern that could never match a record (not
   * `ANY`, a function or a plain object with only `key`, `pid` and `value`) throws
   * `InvalidArgumentError`, as Elixir raises on a match spec of the wrong shape.
   *
   * @example
   * users.select({ value: { plan: 'pro' } }).map((r) => r.key); // ['user:42']
   * users.select((r) => r.pid === pid); // every registration of pid
   */
  select(
    pattern: MatchPattern<RegistryRecord<K, V>> = ANY,
    guard?: MatchGuard<RegistryRecord<K, V>>,
  ): RegistryRecord<K, V>[] {
    const test = compileRecordPattern(pattern, guard);
    const selected: RegistryRecord<K, V>[] = [];
    for (const [key, list] of this.entries) {
      for (const { pid, value } of list) {
        const record = { key, pid, value };
        if (test(record)) selected.push(record);
      }
    }
    return selected;
  }

  /**
   * How many registrations `select(pattern, guard)` would return (Elixir's
   * `count_select/2`), without building the list; the same patterns, the same errors.
   *
   * @example
   * users.countSelect({ value: { plan: 'pro' } }); // 1
   */
  countSelect(
    pattern: MatchPattern<RegistryRecord<K, V>> = ANY,
    guard?: MatchGuard<RegistryRecord<K, V>>,
  ): number {
    if (pattern === ANY && guard === undefined) return this.size;
    const test = compileRecordPattern(pattern, guard);
    let n = 0;
    for (const [key, list] of this.entries) {
      for (const { pid, value } of list) if (test({ key, pid, value })) n++;
    }
    return n;
  }

  /**
   * How many entries the registry holds, in constant time (Elixir's `count/1`): a
   * process registered under two keys, or twice under one duplicate key, counts twice.
   *
   * @example
   * topics.count(); // 3
   */
  count(): number {
    return this.size;
  }

  /**
   * The metadata stored under `key` by the `meta` option or `putMeta`, or undefined
   * (Elixir's `meta/2`, whose `:error` is undefined here; a value stored as undefined
   * reads the same as none). Metadata belongs to the registry, not to any process.
   *
   * @example
   * const pools = new Registry<string, Conn, { size: number }>(runtime, { keys: 'unique', meta: { size: 10 } });
   * pools.meta('size'); // 10
   */
  meta<Key extends keyof Meta & MetaKey>(key: Key): Meta[Key] | undefined {
    return this.metadata.get(metaKey(key)) as Meta[Key] | undefined;
  }

  /**
   * Stores `value` as the metadata under `key`, replacing any (Elixir's `put_meta/3`).
   *
   * @example
   * pools.putMeta('size', 20);
   */
  putMeta<Key extends keyof Meta & MetaKey>(key: Key, value: Meta[Key]): void {
    this.metadata.set(metaKey(key), value);
  }

  /**
   * Removes the metadata under `key`, if any (Elixir's `delete_meta/2`).
   *
   * @example
   * pools.deleteMeta('size');
   * pools.meta('size'); // undefined
   */
  deleteMeta<Key extends keyof Meta & MetaKey>(key: Key): void {
    this.metadata.delete(metaKey(key));
  }

  /**
   * Runs `fn` for `pid` once it holds the lock on `lockKey`, and resolves with what `fn`
   * returns (or resolves to), as Elixir's `lock/3`: per key, one process runs at a time
   * and the others wait in the order they asked; different keys do not wait for each
   * other. `lockKey` is any value, compared as a `Map` key; it has nothing to do with the
   * registrations. The lock is released when `fn` returns or throws (the error reaches
   * the caller), or its promise settles, and also when `pid` exits first: the next
   * waiter runs then, though `fn` itself, which JavaScript cannot stop, may still be
   * running. A waiter whose process exits leaves the queue, and its promise rejects with
   * `ExitError`. Rejects with `NoProcError` for a dead `pid`. Where Elixir locks for the
   * calling process, `pid` names it: usually `ctx.self`.
   *
   * @example
   * await accounts.lock(ctx.self, `account:${id}`, async () => {
   *   await settle(id); // no other process settles this account meanwhile
   * });
   */
  lock<R>(pid: Pid<any>, lockKey: unknown, fn: () => R | PromiseLike<R>): Promise<R> {
    this.locks ??= new KeyLocks(this.runtime);
    return this.locks.lock(pid, lockKey, fn);
  }

  /**
   * The process registered under `key`, or undefined: what `{ via: registry, key }`
   * resolves through (Elixir's `whereis_name/1`). Unique registries only: a duplicate
   * one throws an `ActorkitError` with code `'REGISTRY_NOT_UNIQUE'`.
   *
   * @example
   * users.whereisName('user:42'); // pid
   */
  whereisName(key: unknown): Pid<any> | undefined {
    this.assertUnique('A { via: registry, key } name (whereisName)');
    return this.entries.get(key as K)?.[0]?.pid;
  }

  /**
   * Registers `pid` under `key` with `value`, as `{ via: registry, key, value }` does
   * for a starting GenServer (Elixir's `register_name/2` with a `{registry, key, value}`
   * name). Throws `NameTakenError` if the key is held. Unique registries only.
   *
   * @example
   * users.registerName('user:42', pid, { plan: 'pro' });
   */
  registerName(key: unknown, pid: Pid<any>, value?: unknown): void {
    this.assertUnique('A { via: registry, key } name (registerName)');
    this.register(pid, key as K, value as V);
  }

  /**
   * Frees `key`, whoever holds it (Elixir's `unregister_name/1`), and tells the listeners
   * as `unregister` does. Elixir's acts for the calling process, and so tells the
   * listeners even when the key is free; with no calling process to name, this tells
   * them only when a process held the key. Unique registries only.
   *
   * @example
   * users.unregisterName('user:42');
   */
  unregisterName(key: unknown): void {
    const pid = this.whereisName(key);
    if (pid !== undefined) this.unregister(pid, key as K);
  }

  /** Removes `pid`'s entries under `key` that pass `test` (all with none); returns how many. */
  private removeEntries(pid: Pid<any>, key: K, test: MatchGuard<V> | undefined): number {
    const owner = this.owners.get(pid);
    const held = owner?.keys.get(key);
    if (owner === undefined || held === undefined) return 0;
    const list = this.entries.get(key)!;
    const kept = list.filter(
      (entry) => entry.pid !== pid || (test !== undefined && !test(entry.value)),
    );
    const removed = list.length - kept.length;
    if (removed === 0) return 0;
    if (kept.length === 0) this.entries.delete(key);
    else this.entries.set(key, kept);
    this.size -= removed;
    if (removed < held) {
      owner.keys.set(key, held - removed);
      return removed;
    }
    owner.keys.delete(key);
    if (owner.keys.size === 0) {
      owner.cancel();
      this.owners.delete(pid);
    }
    return removed;
  }

  private ownerOf(pid: Pid<any>): Owner<K> {
    let owner = this.owners.get(pid);
    if (owner === undefined) {
      const created: Owner<K> = { keys: new Map(), cancel: () => false };
      this.owners.set(pid, created);
      created.cancel = this.runtime.watch(pid, () => this.forget(pid, created));
      owner = created;
    }
    return owner;
  }

  /**
   * Drops every entry of a process that exited. The listeners are not told, as in
   * Elixir: one that cares about a registered process's exit monitors it.
   */
  private forget(pid: Pid<any>, owner: Owner<K>): void {
    if (this.owners.get(pid) !== owner) return;
    this.owners.delete(pid);
    for (const [key, held] of owner.keys) {
      const list = this.entries.get(key)!;
      const kept = held === list.length ? [] : list.filter((entry) => entry.pid !== pid);
      if (kept.length === 0) this.entries.delete(key);
      else this.entries.set(key, kept);
      this.size -= held;
    }
  }

  private notify(message: RegistryListenerMessage<K, V>): void {
    notifyListeners(this.runtime, this.listeners, message);
  }

  private assertUnique(operation: string): void {
    if (this.keys !== 'unique') {
      throw new ActorkitError(
        'REGISTRY_NOT_UNIQUE',
        `${operation} needs a registry with keys: 'unique'; this one has duplicate keys. Use lookup(), values() or dispatch() instead.`,
      );
    }
  }
}
