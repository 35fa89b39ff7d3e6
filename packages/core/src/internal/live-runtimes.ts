/*
 * Internal: the runtimes alive in this Node process, held weakly, so that a name
 * looked up in the wrong one can say where it is registered (the usual mistake: a
 * name looked up in `defaultRuntime()` when it lives in a runtime of one's own).
 * Nothing here is read unless a lookup by name fails.
 */

/** What a failed lookup needs to know of a runtime. */
export interface KnownRuntime {
  readonly node: number;
  readonly running: boolean;
  whereis(name: string | symbol): unknown;
}

const live = new Set<WeakRef<KnownRuntime>>();
let defaultOne: WeakRef<KnownRuntime> | undefined;

/** Remembers `runtime`, weakly, until it is stopped or collected. */
export function trackRuntime(runtime: KnownRuntime): void {
  live.add(new WeakRef(runtime));
  // Runtimes nobody stops are only forgotten when collected: prune now and then.
  if (live.size % 64 === 0) runtimesHolding(Symbol('prune'), runtime);
}

/** Marks `runtime` as `defaultRuntime()`'s, for messages. */
export function markDefaultRuntime(runtime: KnownRuntime): void {
  defaultOne = new WeakRef(runtime);
}

/** `runtime node 2`, or `the default runtime (node 0)`. */
export function runtimeLabel(runtime: KnownRuntime): string {
  return defaultOne?.deref() === runtime
    ? `the default runtime (node ${runtime.node})`
    : `runtime node ${runtime.node}`;
}

/** The running runtimes other than `except` in which `name` is registered. */
export function runtimesHolding(name: string | symbol, except: KnownRuntime): KnownRuntime[] {
  const found: KnownRuntime[] = [];
  for (const ref of live) {
    const runtime = ref.deref();
    if (runtime === undefined || !runtime.running) live.delete(ref);
    else if (runtime !== except && runtime.whereis(name) !== undefined) found.push(runtime);
  }
  return found;
}
