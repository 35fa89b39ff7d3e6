import {
  defaultRuntime,
  InvalidArgumentError,
  isDown,
  isExit,
  isPid,
  type Pid,
  type ReceiveContext,
  Runtime,
  runtimeOf,
} from '@actorkit/core';
import { Task } from '@actorkit/genserver';
import { encode, type Stub } from './codec.js';
import { NodeDownError, NoNodeError } from './errors.js';
import { RUNNERS } from './node-load.js';
import { agentOf, isPlacement, type Placement, spawnPlaced } from './placement.js';
import type { TaskResultMessage } from './runners.js';
import { moduleUrl } from './spawner.js';

/**
 * Options for `nodes.async` and `remoteAsync`. An unknown key or a wrong type throws
 * `InvalidArgumentError`.
 */
export interface RemoteAsyncOptions {
  /**
   * The runtime the task is started from (its stand-in runs there); it must have nodes
   * attached. `nodes.async` passes its own. @default the `link` process's runtime, else
   * `defaultRuntime()` (on a worker node, the node's runtime)
   */
  runtime?: Runtime;
  /**
   * Links the task to this process, as `Task.async`'s `link` (Elixir links to the
   * caller): if the task crashes, or its node goes down, the process exits too
   * (`'noconnection'` for the node), and if the process exits the task does.
   * @default unlinked
   */
  link?: Pid<any>;
}

let nextToken = 1;

/**
 * Starts export `fn` of `module` as a task on the node `where` names (a node number or a
 * placement), from `options.runtime` (what `nodes.async` does from the main thread; this
 * works on a worker node too), called as `TaskMfa` calls it: `fn(...args, ctx)`, its result (or what it
 * resolves to) the task's. Returns at once a `Task` of `@actorkit/genserver`, taken by
 * `Task.await`, `Task.yield` and `Task.shutdown` as a local one.
 *
 * The `Task`'s `pid` is a stand-in on `agent`'s node, linked to the process that runs
 * `fn` on the other node: what ends one ends the other, so the task behaves as one:
 * - `Task.await` resolves with the result; rejects with `ExitError` whose reason is the
 *   remote process's (a throw as a `Crash` holding the error, as it crossed) or
 *   `'noconnection'` when its node goes down (or no node could be placed on), and with
 *   `TimeoutError` after `timeout`, killing the remote process too.
 * - `Task.shutdown` passes its signal on to the remote process and resolves once that one
 *   has ended (`{ ok }` if the result came first); past its timeout the stand-in is
 *   killed, and the kill crosses the link.
 * - A crash is reported (`crash` event) on the task's node, and again here by the
 *   stand-in, which exits with the same reason.
 *
 * Throws `InvalidArgumentError` for a bad module, export name, `args` or option, and
 * `UncloneableMessageError` for `args` that cannot cross, as `Task.async` throws: before
 * anything starts. A result that cannot cross crashes the task with that error.
 */
export function remoteAsync<R>(
  where: number | Placement,
  module: string | URL,
  fn: string,
  args: readonly unknown[] = [],
  options: RemoteAsyncOptions = {},
): Task<R> {
  const url = moduleUrl(module);
  if (typeof fn !== 'string' || fn === '') {
    throw new InvalidArgumentError('fn', 'the name of an exported function', fn);
  }
  if (!Array.isArray(args)) throw new InvalidArgumentError('args', 'an array of arguments', args);
  if (!isPlacement(where) && !(Number.isInteger(where) && where >= 0)) {
    throw new InvalidArgumentError('where', 'a node number or a placement', where);
  }
  const link = checkOptions(options);
  const runtime = options.runtime ?? (link && runtimeOf(link)) ?? defaultRuntime();
  const agent = agentOf(runtime);
  encode([...args], [] as Stub[]);
  const token = nextToken++;
  const spawn = (standin: Pid<any>) =>
    spawnPlaced(agent, where, RUNNERS, 'taskRunner', [standin, token, url, fn, [...args]], standin);
  const body = {
    [fn]: (ctx: ReceiveContext<any>) => standIn<R>(ctx, spawn, token, link),
  }[fn]!;
  return Task.async<R>(
    body,
    link === undefined ? { runtime: agent.runtime } : { runtime: agent.runtime, link },
  );
}

/**
 * The task's process on the caller's node: spawns the remote process linked to it,
 * then waits for its result, its end, or an exit signal to pass on to it. It traps
 * exits so that a signal can be passed on and the remote end awaited; an exit signal
 * the runner's node could not answer (it went down during a retried placement) is not
 * for this task.
 */
async function standIn<R>(
  ctx: ReceiveContext<any>,
  spawn: (standin: Pid<any>) => Promise<Pid<any>>,
  token: number,
  owner: Pid<any> | undefined,
): Promise<R> {
  ctx.trapExit(true);
  let runner: Pid<any>;
  try {
    runner = await spawn(ctx.self);
  } catch (error) {
    if (NodeDownError.is(error) || NoNodeError.is(error)) ctx.exit('noconnection');
    throw error;
  }
  // The runner's end is the task's (the link says so too, but a monitor also covers
  // a runner whose link was undone).
  ctx.monitor(runner);
  for (;;) {
    const message = await ctx.receive();
    if (isResult(message, token)) return message.value as R;
    if (isDown(message) && message.pid === runner) ctx.exit(message.reason);
    if (!isExit(message)) continue;
    // The runner's result crosses before its exit (frames between two nodes keep their
    // order): an exit, 'normal' too, with no result before it ends the task.
    if (message.from === runner) ctx.exit(message.reason);
    if (message.reason === 'normal') continue;
    const orphan = message.from.node !== ctx.self.node && message.from !== owner;
    if (orphan && message.reason === 'noconnection') continue;
    // An exit signal for the task (its owner exited, `Task.shutdown`): the runner gets it,
    // and its end, or its result, is the task's.
    ctx.exit(runner, message.reason);
  }
}

function isResult(message: unknown, token: number): message is TaskResultMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Partial<TaskResultMessage>).taskResult === token
  );
}

function checkOptions(options: RemoteAsyncOptions): Pid<any> | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'an options object (nodes.async)', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'link' && key !== 'runtime') {
      throw new InvalidArgumentError(`options.${key}`, 'runtime or link (nodes.async)', key);
    }
  }
  if (options.runtime !== undefined && !(options.runtime instanceof Runtime)) {
    throw new InvalidArgumentError('options.runtime', 'a Runtime', options.runtime);
  }
  if (options.link !== undefined && !isPid(options.link)) {
    throw new InvalidArgumentError('options.link', 'a Pid', options.link);
  }
  return options.link;
}
