import { formatReason, Pid, type ProcessContext, runtimeOf } from '@actorkit/core';
import { describeId, type NormalizedSpec } from './child-spec.js';
import { ChildSpecError, StartError } from './errors.js';
import { isInstance } from './options.js';

/**
 * @internal Starts a child from its spec; resolves with its PID, or undefined if it
 * ignored. Rejects with what `start` threw, or with `ChildSpecError` when `start`
 * resolved with something that is not a PID (OTP's `{error, Value}`): the supervisor
 * never lists a non-PID as a child.
 */
export async function startChild(
  spec: NormalizedSpec,
  ctx: ProcessContext<unknown>,
): Promise<Pid<any> | undefined> {
  let pid: unknown;
  try {
    pid = await spec.start({ runtime: ctx.runtime, self: ctx.self });
  } catch (error) {
    if (isInstance(error, StartError) && error.ignored) return undefined;
    throw error;
  }
  if (isInstance(pid, Pid)) return pid;
  throw new ChildSpecError(
    `child spec ${describeId(spec.id)}: start resolved with ${formatReason(pid)}, not a PID. ` +
      'It must resolve with the PID of the process it started linked to the supervisor ' +
      "(or reject with StartError 'ignore' to start nothing).",
  );
}

/**
 * @internal Turns whatever a child's start failed with into an `Error` to reject a
 * caller with, whatever the value (a string, `undefined`, an object without a
 * prototype): an `Error` as it is, anything else inside a `StartError`.
 */
export function startFailure(reason: unknown, id: unknown): Error {
  return isInstance(reason, Error) ? reason : new StartError(reason, `child ${describeId(id)}`);
}

/**
 * @internal Stops a child as OTP does: unlink, send `'shutdown'`, wait up to `shutdown`
 * ms for it to exit, then kill it. `'brutal_kill'` kills at once; `'infinity'` waits.
 * Resolves with the child's exit reason in a box: a reason is any value, and a promise
 * resolved with one whose `then` throws (a revoked Proxy) would reject instead.
 */
export function shutdownChild(
  ctx: ProcessContext<unknown>,
  pid: Pid<any>,
  shutdown: NormalizedSpec['shutdown'],
): Promise<{ reason: unknown }> {
  const runtime = runtimeOf(pid);
  if (runtime === undefined) return Promise.resolve({ reason: 'noproc' });
  return new Promise((resolve) => {
    let timer: ReturnType<typeof runtime.callAfter> | undefined;
    runtime.watch(pid, (reason) => {
      if (timer !== undefined) runtime.cancelTimer(timer);
      resolve({ reason });
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
