import {
  defaultRuntime,
  InvalidArgumentError,
  type Name,
  type Pid,
  type Runtime,
  runtimeOf,
  TimeoutError,
  type Via,
} from '@actorkit/core';
import type { ServerRef } from './client.js';
import { StartError } from './errors.js';
import type { AnyServer, ServerModule, StartOptions } from './gen-server.js';
import { ServerLoop } from './server-loop.js';

/**
 * @internal Spawns the server loop for `module`, registers its name, and resolves once
 * `init` has returned `ok` (rejects on stop, ignore, crash or timeout).
 */
export function startServer<S extends AnyServer>(
  module: ServerModule<S>,
  arg: unknown,
  options: StartOptions,
  link: Pid<any> | undefined,
): Promise<ServerRef<S>> {
  if (typeof module !== 'function') {
    return Promise.reject(
      new InvalidArgumentError('module', 'a GenServer class (class X extends GenServer)', module),
    );
  }
  const runtime = options.runtime ?? (link && runtimeOf(link)) ?? defaultRuntime();
  const timeout = options.timeout ?? 5000;
  const name = options.name;
  const label = options.label ?? module.name;
  return new Promise((resolve, reject) => {
    let settled = false;
    let ignored = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      unwatch();
      if (timer !== undefined) runtime.cancelTimer(timer);
      outcome();
    };
    const loop = new ServerLoop(new module(), arg, {
      started: () => finish(() => resolve(pid)),
      ignored: () => {
        ignored = true;
      },
    });
    let pid: Pid<any>;
    try {
      pid = runtime.spawn(loop, {
        name: isAtom(name) ? name : undefined,
        link,
        label,
        behaviour: options.behaviour ?? 'gen_server',
        mailbox: options.mailbox,
      });
      if (name !== undefined && !isAtom(name)) registerVia(runtime, name, pid);
    } catch (error) {
      reject(error);
      return;
    }
    const unwatch = runtime.watch(pid, (reason) =>
      finish(() => reject(new StartError(ignored ? 'ignore' : reason, label))),
    );
    const timer =
      timeout === Number.POSITIVE_INFINITY
        ? undefined
        : runtime.callAfter(timeout, () =>
            finish(() => {
              runtime.exit(pid, 'kill');
              reject(
                new TimeoutError(
                  `starting ${module.name}`,
                  timeout,
                  'init() did not return in time.',
                ),
              );
            }),
          );
  });
}

function isAtom(name: Name | Via | undefined): name is Name {
  return typeof name === 'string' || typeof name === 'symbol';
}

/** Registers through `{ via, key }`, and unregisters when the process exits. */
function registerVia(runtime: Runtime, name: Via, pid: Pid<any>): void {
  try {
    name.via.registerName(name.key, pid);
  } catch (error) {
    runtime.exit(pid, 'kill');
    throw error;
  }
  runtime.watch(pid, () => {
    if (name.via.whereisName(name.key)?.equals(pid)) name.via.unregisterName(name.key);
  });
}
