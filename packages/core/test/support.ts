// Test helpers shared by the test files of @actorkit/core (and, re-exported, of
// @actorkit/genserver). Vitest runs each test file in its own module graph, so every
// importing file gets its own list of runtimes.
import { afterEach } from 'vitest';
import {
  type Pid,
  Runtime,
  type RuntimeOptions,
  type StopOptions,
  VirtualClock,
} from '../src/index.js';

const runtimes: Runtime[] = [];

/** A runtime made from `options` (a real clock unless they give one), stopped by `stopRuntimes()`. */
export function trackedRuntime(options: RuntimeOptions = {}): Runtime {
  const runtime = new Runtime(options);
  runtimes.push(runtime);
  return runtime;
}

/** A runtime on a fresh virtual clock, stopped by `stopRuntimes()`. */
export function virtualRuntime(options: Omit<RuntimeOptions, 'clock'> = {}): {
  runtime: Runtime;
  clock: VirtualClock;
} {
  const clock = new VirtualClock();
  const runtime = trackedRuntime({ clock, ...options });
  return { runtime, clock };
}

/** Stops every runtime made since the last call, all at once. */
export async function stopRuntimes(options?: StopOptions): Promise<void> {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop(options)));
}

/**
 * Stops the runtimes after each test of the calling file. Pass `{ timeout: 0 }` where the
 * tests leave processes that ignore 'shutdown' (exit traps), to kill them at once.
 */
export function stopRuntimesAfterEach(options?: StopOptions): void {
  afterEach(() => stopRuntimes(options));
}

/** A promise and the function that resolves it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the exit reason of `pid`. */
export function exitOf(runtime: Runtime, pid: Pid<any>): Promise<unknown> {
  return new Promise((resolve) => runtime.watch(pid, resolve));
}

/** A virtual clock that counts its readings (`now()` calls). */
export class CountingClock extends VirtualClock {
  reads = 0;

  override now(): number {
    this.reads++;
    return super.now();
  }
}
