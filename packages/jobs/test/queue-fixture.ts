// The runtime, clock and store a Queue test runs against, shared by the Queue tests:
//
//   import { clock, runtime, setup, start, store } from './queue-fixture.js';
//
// `setup()` at the start of each test makes fresh ones; the imports are live bindings, so
// they name the current test's. Stop them after each test with `stopRuntimesAfterEach`.
import type { Pid, Runtime, VirtualClock } from '@actorkit/core';
import { Queue, type QueueOptions } from '../src/queue.js';
import type { SqliteStore } from '../src/sqlite-store.js';
import { memoryStore, virtualRuntime } from './support.js';

/** The current test's runtime, on {@link clock}. */
export let runtime: Runtime;
/** The current test's virtual clock. */
export let clock: VirtualClock;
/** The current test's store: SQLite in memory, on {@link clock}. */
export let store: SqliteStore;

/** Makes a fresh runtime, clock and store for the test that calls it. */
export function setup(): void {
  ({ runtime, clock } = virtualRuntime());
  store = memoryStore(clock);
}

/** Starts a queue on the current test's store and runtime, as node 'test' unless `options` say otherwise. */
export function start(
  options: Partial<QueueOptions> & Pick<QueueOptions, 'workers'>,
): Promise<Pid<any>> {
  return Queue.start({ store, runtime, node: 'test', ...options });
}
