import { InvalidArgumentError, type ReceiveContext } from '@actorkit/core';
import type { TaskFn } from './task.js';

// Elixir's MFA form of a task, { module, function, args }, for TaskSupervisor.

/**
 * A task written as Elixir's MFA: `[module, functionName, args]`, called as
 * `module[functionName](...args, ctx)`; in a stream, as `module[functionName](item, ...args, ctx)`.
 */
export type TaskMfa = readonly [module: object, functionName: string, args: readonly unknown[]];

/** What a stream runs for each item, in the item's task. */
export type StreamFn<T, R> = (item: T, ctx: ReceiveContext<any>) => R | PromiseLike<R>;

/**
 * @internal The function a task runs: `task` itself, or the one `[module, functionName,
 * args]` names (see {@link TaskMfa}); anything else is an `InvalidArgumentError`.
 */
export function taskFunction(task: TaskFn<unknown> | TaskMfa): TaskFn<unknown> {
  if (typeof task === 'function') return task;
  const mfa = readMfa(task);
  if (mfa === undefined) {
    throw new InvalidArgumentError(
      'task',
      'a function (ctx) => … or [module, functionName, args] naming a function of module',
      task,
    );
  }
  const { module, functionName, args, target } = mfa;
  // Written in the literal, so the function takes `functionName` as its name (its label).
  const named = {
    [functionName]: (ctx: ReceiveContext<any>) => target.call(module, ...args, ctx),
  };
  return named[functionName]!;
}

/**
 * @internal A stream's function: `fn` itself, or for `[module, functionName, args]` one that calls
 * `module[functionName](item, ...args, ctx)`, as Elixir's `async_stream/6` applies
 * `[item | args]`. Anything else is an `InvalidArgumentError`.
 */
export function streamFunction<T, R>(fn: StreamFn<T, R> | TaskMfa): StreamFn<T, R> {
  if (typeof fn === 'function') return fn;
  const mfa = readMfa(fn);
  if (mfa === undefined) {
    throw new InvalidArgumentError(
      'fn',
      'a function (item, ctx) => result, or [module, functionName, args] naming a function of module',
      fn,
    );
  }
  const { module, functionName, args, target } = mfa;
  const named = {
    [functionName]: (item: T, ctx: ReceiveContext<any>) =>
      target.call(module, item, ...args, ctx) as R | PromiseLike<R>,
  };
  return named[functionName]!;
}

/** The parts of `[module, functionName, args]`, read once; undefined if it is not one or cannot be read. */
function readMfa(task: unknown):
  | {
      module: object;
      functionName: string;
      args: readonly unknown[];
      target: (...args: unknown[]) => unknown;
    }
  | undefined {
  try {
    if (!Array.isArray(task) || task.length !== 3 || !Array.isArray(task[2])) return undefined;
    const [module, functionName, args] = task as unknown as TaskMfa;
    const target = (module as Record<string, unknown> | null)?.[functionName];
    if (typeof target !== 'function') return undefined;
    return {
      module,
      functionName,
      args: [...args],
      target: target as (...a: unknown[]) => unknown,
    };
  } catch {
    return undefined;
  }
}
