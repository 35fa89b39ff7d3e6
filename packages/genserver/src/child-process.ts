import { formatReason, isDown, type Pid, type ProcessContext, runtimeOf } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';
import { describeId, type NormalizedSpec } from './child-spec.js';
import { ChildSpecError, StartError } from './errors.js';
import { readStarted, type Started } from './started-child.js';

/**
 * @internal Starts a child from its spec; resolves with its PID and what `startChild`
 * answers (the PID, or `{ pid, info }`), or undefined if it ignored. Rejects with what
 * `start` threw, or with `ChildSpecError` when `start` resolved with neither a PID nor
 * `{ pid, info }` (OTP's `{error, Value}`): the supervisor never lists a non-PID as a
 * child.
 */
export async function startChild(
  spec: NormalizedSpec,
  ctx: ProcessContext<unknown>,
  extraArguments?: readonly unknown[],
): Promise<Started | undefined> {
  let value: unknown;
  try {
    const context = { runtime: ctx.runtime, self: ctx.self };
    value = await spec.start(
      extraArguments === undefined ? context : { ...context, extraArguments },
    );
  } catch (error) {
    if (isInstance(error, StartError) && error.ignored) return undefined;
    throw error;
  }
  const started = readStarted(value);
  if (started !== undefined) return started;
  throw new ChildSpecError(
    `child spec ${describeId(spec.id)}: start resolved with ${formatReason(value)}, not a PID. ` +
      'It must resolve with the PID of the process it started linked to the supervisor, ' +
      "or { pid, info } to hand info to the caller of startChild (or reject with StartError 'ignore' to start nothing).",
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
  if (runtime === undefined) {
    if (pid.node !== ctx.runtime.node) return shutdownRemoteChild(ctx, pid, shutdown);
    return Promise.resolve({ reason: 'noproc' });
  }
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

/**
 * `shutdownChild` for a child on another node (a PID with no local process), which
 * `runtime.watch` cannot watch: a watcher process monitors it (the monitor crosses
 * before the signal, so its `Down` carries the reason the signal caused; `'noconnection'`
 * if the node is gone), then the signal is sent as for a local child.
 */
function shutdownRemoteChild(
  ctx: ProcessContext<unknown>,
  pid: Pid<any>,
  shutdown: NormalizedSpec['shutdown'],
): Promise<{ reason: unknown }> {
  const runtime = ctx.runtime;
  return new Promise((resolve) => {
    runtime.spawn(
      async (watcher) => {
        watcher.monitor(pid);
        const signal = shutdown === 'brutal_kill' ? 'kill' : 'shutdown';
        try {
          ctx.unlink(pid);
          ctx.exit(pid, signal);
        } catch {
          // The supervisor exited meanwhile: the child is stopped all the same.
          runtime.exit(pid, signal);
        }
        const timer =
          typeof shutdown === 'number'
            ? runtime.callAfter(shutdown, () => runtime.exit(pid, 'kill'))
            : undefined;
        const down = await watcher.receive(isDown);
        if (timer !== undefined) runtime.cancelTimer(timer);
        resolve({ reason: down.reason });
      },
      { label: 'shutdown of a remote child' },
    );
  });
}
