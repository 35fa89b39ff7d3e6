import type { Name } from './context.js';
import { InvalidArgumentError } from './errors.js';
import { assertOptions } from './internal/options.js';

/** The keys `meta` accepts (Elixir allows atoms and tuples; here, strings and symbols). */
export type MetaKey = string | symbol;

/** Options for `new Registry()`. */
export interface RegistryOptions<Meta extends object = Record<MetaKey, unknown>> {
  /**
   * `'unique'`: a key maps to at most one process (use it to name processes, e.g. one
   * per user via `{ via: registry, key }`). `'duplicate'`: many processes may register
   * the same key, a process even several times (use it for pub/sub and dispatch).
   * Elixir's `{:duplicate, :pid}` and `{:duplicate, :key}` choose how partitions split
   * a duplicate registry's entries; one table holds them here, so both are `'duplicate'`.
   */
  keys: 'unique' | 'duplicate';
  /**
   * Registered names of processes told of every registration (a `RegistryRegister`
   * message) and every unregistration (`RegistryUnregister`): exactly where Elixir's
   * `:listeners` are told, by `register`, `unregister` and `unregisterMatch`. As in
   * Elixir, they are not told when a registered process exits: a listener that wants to
   * know monitors the registered process (`ctx.monitor(message.pid)` when its
   * `RegistryRegister` arrives) and gets a `Down`. Each name is looked up when a message
   * goes out, so a listener restarted under the same name keeps listening; a name nobody
   * holds at that moment makes the message a dead letter (where Elixir's `send` to an
   * unregistered name would raise in the registering process).
   * @default []
   */
  listeners?: readonly Name[];
  /** Metadata to start with; see `Registry.meta`. @default {} */
  meta?: Partial<Meta>;
  /**
   * Elixir's `:partitions`, an integer >= 1, kept as `registry.partitions`. Elixir splits
   * a registry into that many ETS tables, each owned by a process, so that processes
   * registering on many cores do not queue behind one table. Here every operation is a
   * synchronous call on one thread, with nothing to queue behind: one table serves any
   * count, and a registry behaves the same whatever this says (lookups, counts, listeners
   * and `dispatch`, which calls back once, in the caller). Accepted so that options
   * written for Elixir's registry keep working.
   * @default 1
   */
  partitions?: number;
}

/** Options for `registry.dispatch()`. */
export interface DispatchOptions {
  /**
   * Elixir's `:parallel`. Elixir calls the callback once per partition and, with
   * `parallel: true`, each call in a task of its own; with one partition it makes no
   * difference. A Registry here is one table, whatever its `partitions`, so it never
   * does: the callback is called once, in the caller, with every entry, whatever this
   * says (where Elixir, with several partitions and `parallel: true`, calls it in other
   * processes, once per partition). Accepted so that
   * code written for Elixir's `dispatch/4` keeps its meaning.
   * @default false
   */
  parallel?: boolean;
}

/**
 * @internal Checks `dispatch()`'s options: an unknown key, or a `parallel` that is not a
 * boolean, is an `InvalidArgumentError`.
 */
export function checkDispatchOptions(options: unknown): void {
  assertOptions(options, 'options', 'registry.dispatch', ['parallel']);
  const parallel = (options as DispatchOptions | undefined)?.parallel;
  if (parallel !== undefined && typeof parallel !== 'boolean') {
    throw new InvalidArgumentError('options.parallel', 'a boolean', parallel);
  }
}

const OPTION_KEYS = ['keys', 'listeners', 'meta', 'partitions'];

/**
 * @internal Checks `new Registry()`'s options and returns the key kind and the partition
 * count: an unknown key, a `keys` other than 'unique' or 'duplicate', or `partitions`
 * other than an integer >= 1, is an `InvalidArgumentError`.
 */
export function checkRegistryOptions(options: unknown): {
  keys: 'unique' | 'duplicate';
  partitions: number;
} {
  if (options === undefined) {
    throw new InvalidArgumentError('options', "an options object like { keys: 'unique' }", options);
  }
  assertOptions(options, 'options', 'new Registry', OPTION_KEYS);
  const { keys, partitions = 1 } = options as RegistryOptions;
  if (keys !== 'unique' && keys !== 'duplicate') {
    // An array or object is likely Elixir's {:duplicate, :pid} or {:duplicate, :key}.
    const tuple = typeof keys === 'object' && keys !== null;
    throw new InvalidArgumentError(
      'options.keys',
      tuple
        ? "'unique' or 'duplicate' (for Elixir's {:duplicate, :pid} or {:duplicate, :key}, which only choose how partitions split the entries, use 'duplicate': one table holds them here)"
        : "'unique' or 'duplicate'",
      keys,
    );
  }
  if (!(Number.isInteger(partitions) && partitions >= 1)) {
    throw new InvalidArgumentError('options.partitions', 'an integer >= 1', partitions);
  }
  return { keys, partitions };
}

/**
 * @internal The entries of the `meta` option; throws `InvalidArgumentError` unless it is
 * a plain object whose entries can be read (not a revoked proxy, no getter that throws).
 */
export function metaEntries(meta: unknown): [MetaKey, unknown][] {
  if (meta === undefined) return [];
  try {
    const proto =
      typeof meta === 'object' && meta !== null ? Object.getPrototypeOf(meta) : undefined;
    if (proto === Object.prototype || proto === null) {
      return Reflect.ownKeys(meta as object).map((key) => [key, (meta as any)[key]]);
    }
  } catch {
    // Not readable: no metadata either.
  }
  throw new InvalidArgumentError('options.meta', 'a plain object of metadata', meta);
}

/** @internal `key` if it is a string or a symbol; else throws `InvalidArgumentError`. */
export function metaKey(key: unknown): MetaKey {
  if (typeof key === 'string' || typeof key === 'symbol') return key;
  throw new InvalidArgumentError('key', 'a string or a symbol', key);
}
