import { type Pid, type ProcessContext, runtimeOf } from '@actorkit/core';
import type { NormalizedSpec } from './child-spec.js';
import { StartError } from './errors.js';

/** @internal Starts a child from its spec; resolves with its PID, or undefined if it ignored. */
export async function startChild(
  spec: NormalizedSpec,
  ctx: ProcessContext<unknown>,
): Promise<Pid<any> | undefined> {
  try {
    return await spec.start({ runtime: ctx.runtime, self: ctx.self });
  } catch (error) {
    if (error instanceof StartError && error.ignored) return undefined;
    throw error;
  }
}

/**
 * @internal Stops a child as OTP does: unlink, send `'shutdown'`, wait up to `shutdown`
 * ms for it to exit, then kill it. `'brutal_kill'` kills at once; `'infinity'` waits.
 */
export function shutdownChild(
  ctx: ProcessContext<unknown>,
  pid: Pid<any>,
  shutdown: NormalizedSpec['shutdown'],
): Promise<unknown> {
  const runtime = runtimeOf(pid);
  if (runtime === undefined) return Promise.resolve('noproc');
  return new Promise((resolve) => {
    let timer: ReturnType<typeof runtime.callAfter> | undefined;
    runtime.watch(pid, (reason) => {
      if (timer !== undefined) runtime.cancelTimer(timer);
      resolve(reason);
    });
    ctx.unlink(pid);
    if (shutdown === 'brutal_kill') {
      ctx.exit(pid, 'kill');
      return;
    }
    ctx.exit(pid, 'shutdown');
    if (shutdown !== 'infinity' && runtime.isAlive(pid)) {
      timer = runtime.callAfter(shutdown, () => runtime.exit(pid, 'kill'));
    }
  });
}
