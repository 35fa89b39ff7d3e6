// Test helpers shared by the test files of @actorkit/genserver. The runtime helpers are
// those of @actorkit/core's tests; '@actorkit/core' and '../../core/src/index.js' are
// the same module here (the 'actorkit-source' condition), so the types and classes match.
import type { Pid, ReceiveContext, Runtime } from '@actorkit/core';

export {
  deferred,
  exitOf,
  stopRuntimes,
  stopRuntimesAfterEach,
  trackedRuntime,
  virtualRuntime,
} from '../../core/test/support.js';

/**
 * Watches `pid` and records its exit reason; read `reason` and `exited` after the exit
 * happened.
 */
export function exitReason(runtime: Runtime, pid: Pid<any>): { reason: unknown; exited: boolean } {
  const seen = { reason: undefined as unknown, exited: false };
  runtime.watch(pid, (reason) => {
    seen.reason = reason;
    seen.exited = true;
  });
  return seen;
}

/** Resolves with what `promise` rejects with; fails if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** Waits `ms` of the runtime's clock inside a process. */
export function sleep(ctx: ReceiveContext<any>, ms: number): Promise<unknown> {
  return ctx.receive({ timeout: ms });
}

/** Reads an async iterable to its end. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
