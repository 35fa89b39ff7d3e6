import { randomUUID } from 'node:crypto';
import { VirtualClock } from '@actorkit/core';
import { afterEach, expect } from 'vitest';
import type { AttemptError, ClaimedJob, NewJob } from '../../src/job.js';
import type { NodeRef, SettleResult, Store } from '../../src/store.js';

/**
 * What a store's test file gives the contract suite: a fresh, empty store on `clock`,
 * and a way to open it again as another process would (the same object, for a store
 * that cannot be shared between processes).
 */
export interface StoreHandles {
  store: Store;
  /** Another handle on the same store. */
  reopen(): Store;
  /** Closes every handle and removes what the store left behind. */
  close(): void | Promise<void>;
}

/** Makes a fresh, empty store whose clock is `clock`. */
export type StoreFactory = (clock: { now(): number }) => StoreHandles | Promise<StoreHandles>;

/** One test's store, clock and helpers. */
export interface Fixture {
  clock: VirtualClock;
  store: Store;
  reopen(): Store;
}

/** Returns a `setup()` that makes a store per test and closes it after the test. */
export function fixtures(factory: StoreFactory): () => Promise<Fixture> {
  const open: StoreHandles[] = [];
  afterEach(async () => {
    for (const handles of open.splice(0)) await handles.close();
  });
  return async () => {
    const clock = new VirtualClock(1_000_000);
    const handles = await factory(clock);
    open.push(handles);
    return { clock, store: handles.store, reopen: () => handles.reopen() };
  };
}

/** A job of the `default` queue for worker `w`, with `overrides`. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return { queue: 'default', worker: 'w', args: { n: 1 }, ...overrides };
}

/** Registers a node named `name` (a fresh incarnation) with `leaseMs`, and returns it. */
export async function node(store: Store, name = 'node-a', leaseMs = 10_000): Promise<NodeRef> {
  const ref = { name, incarnation: `${name}#${randomUUID()}` };
  await store.registerNode(ref, leaseMs);
  return ref;
}

/** Claims one job of `queue` for `ref`, failing the test if there is none. */
export async function claimOne(store: Store, ref: NodeRef, queue = 'default'): Promise<ClaimedJob> {
  const [job] = await store.claim({ queue, node: ref, limit: 1 });
  expect(job).toBeDefined();
  return job!;
}

/** An attempt error as a queue would record it. */
export function attemptError(attempt: number, at: number, message = 'boom'): AttemptError {
  const error = new Error(message);
  return { attempt, at, kind: 'error', name: error.name, message, stack: error.stack!, node: 'n' };
}

/** Asserts every settle result was recorded. */
export function expectOk(results: SettleResult[]): void {
  expect(results.map((r) => (r.ok ? 'ok' : r.error.name))).toEqual(results.map(() => 'ok'));
}
