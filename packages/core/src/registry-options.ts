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
}

/** Options for `registry.dispatch()`. */
export interface DispatchOptions {
  /**
   * Elixir's `:parallel`. Elixir calls the callback once per partition and, with
   * `parallel: true`, each call in a task of its own; with one partition it makes no
   * difference. A Registry here has no partitions, so it never does: the callback is
   * called once, in the caller, with every entry, whatever this says. Accepted so that
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

const OPTION_KEYS = ['keys', 'listeners', 'meta'];

/**
 * @internal Checks `new Registry()`'s options and returns the key kind: an unknown key
 * (`partitions` included, with why) or a `keys` other than 'unique' or 'duplicate' is an
 * `InvalidArgumentError`.
 */
export function checkRegistryOptions(options: unknown): 'unique' | 'duplicate' {
  if (options === undefined) {
    throw new InvalidArgumentError('options', "an options object like { keys: 'unique' }", options);
  }
  const partitions = partitionsOf(options);
  if (partitions !== undefined) {
    throw new InvalidArgumentError(
      'options.partitions',
      'absent: a Registry has no partitions (it lives on one thread and every operation is synchronous)',
      partitions,
    );
  }
  assertOptions(options, 'options', 'new Registry', OPTION_KEYS);
  const keys = (options as RegistryOptions).keys;
  if (keys !== 'unique' && keys !== 'duplicate') {
    throw new InvalidArgumentError('options.keys', "'unique' or 'duplicate'", keys);
  }
  return keys;
}

/** `options.partitions`, read so that it never throws: assertOptions reports what it cannot read. */
function partitionsOf(options: unknown): unknown {
  try {
    return (options as { partitions?: unknown } | null)?.partitions;
  } catch {
    return undefined;
  }
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
