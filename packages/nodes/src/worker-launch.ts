import { type ResourceLimits, type Transferable, Worker } from 'node:worker_threads';

/** True when this module runs from its TypeScript source (the workspace's tests), not from dist/. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** What {@link launchWorker} starts. */
export interface LaunchOptions {
  /** The module the thread runs, after the boot module. */
  entry: URL | string;
  /** Passed to the entry module as `workerData.data`. */
  data?: unknown;
  /** Ports (and buffers) moved into the thread with `data`. */
  transferList?: Transferable[];
  /**
   * Register tsx in the thread before importing `entry`, so `entry` and the modules it
   * loads by path may be TypeScript. @default true when this package runs from source
   */
  typescript?: boolean;
  /** Node options for the thread. @default ['--conditions=actorkit-source'] from source, else the parent's */
  execArgv?: string[];
  /** The thread's name in inspectors and heap snapshots. */
  name?: string;
  /** The thread's heap and stack limits (Node's `Worker` `resourceLimits`). @default Node's */
  resourceLimits?: ResourceLimits;
}

/**
 * Starts a worker thread on the package's boot module (`worker/boot.mjs`), which
 * registers tsx when asked and imports `entry`. From source, the thread resolves
 * `@actorkit/*` to their sources (the `actorkit-source` condition) as the parent did,
 * so tests and CI need no dist/.
 */
export function launchWorker(options: LaunchOptions): Worker {
  const entry = options.entry instanceof URL ? options.entry.href : options.entry;
  const typescript = options.typescript ?? FROM_SOURCE;
  const execArgv = options.execArgv ?? (FROM_SOURCE ? ['--conditions=actorkit-source'] : undefined);
  return new Worker(new URL('../worker/boot.mjs', import.meta.url), {
    workerData: { entry, typescript, data: options.data },
    transferList: options.transferList ?? [],
    ...(execArgv === undefined ? {} : { execArgv }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
  });
}

/**
 * The URL of a module of this package beside this one (`name` without extension): the
 * `.ts` source from source, the built `.js` from dist/.
 */
export function siblingModule(name: string): URL {
  return new URL(`./${name}${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
}
