/**
 * Process bodies the node layer spawns on other nodes by module path (closures cannot
 * cross threads): each node imports this module itself. Not for use of their own.
 */
import type { Pid, ReceiveContext } from '@actorkit/core';

type Ctx = ReceiveContext<any>;

/** A load request of the {@link LoadMeter} of another node. */
interface LoadRequest {
  from: Pid<any>;
  loadRequest: number;
}

/** Answers each load request with the live processes of its node, itself excluded. */
export async function loadProbe(ctx: Ctx): Promise<void> {
  for (;;) {
    const { from, loadRequest } = (await ctx.receive()) as LoadRequest;
    ctx.send(from, { loadReply: loadRequest, processes: ctx.runtime.processCount - 1 });
  }
}

/** What a remote task's runner sends its stand-in: the result, tagged with the task's token. */
export interface TaskResultMessage {
  taskResult: number;
  value: unknown;
}

/**
 * Runs a remote task: imports `url`, calls its export `fn` as `TaskMfa` does
 * (`fn(...args, ctx)`), and sends the result to `standin`, the task's stand-in on the
 * caller's node, to which it is linked from its spawn. Whatever `fn` throws ends it with
 * a `Crash`, which the link carries to the stand-in.
 */
export async function taskRunner(
  ctx: Ctx,
  standin: Pid<any>,
  token: number,
  url: string,
  fn: string,
  args: unknown[],
): Promise<void> {
  const module = (await import(url)) as Record<string, unknown>;
  const target = module[fn];
  if (typeof target !== 'function') {
    throw new Error(
      target === undefined
        ? `${url} has no export ${fn}`
        : `export ${fn} of ${url} is not a function (...args, ctx) => result`,
    );
  }
  const value: unknown = await target.call(module, ...args, ctx);
  ctx.send(standin, { taskResult: token, value } satisfies TaskResultMessage);
}
