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
import {
  checkOptions,
  type OptionCheck,
  type OptionChecks,
  PID_OPTION,
  RUNTIME_OPTION,
  TIMEOUT_OPTION,
} from './check-options.js';
import type { ServerRef } from './client.js';
import { StartError } from './errors.js';
import type { AnyServer, ServerModule, StartLinkOptions, StartOptions } from './gen-server.js';
import { ServerLoop } from './server-loop.js';
import { nameOf } from './text.js';

const NAME_OPTION: OptionCheck = {
  expected: 'a name (a string or a symbol) or { via, key }',
  accepts: (value) =>
    typeof value === 'string' ||
    typeof value === 'symbol' ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Via).via?.registerName === 'function'),
};

const OBJECT_OPTION = (expected: string): OptionCheck => ({
  expected,
  accepts: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
});

const STRING_OPTION: OptionCheck = {
  expected: 'a string',
  accepts: (value) => typeof value === 'string',
};

/** @internal What `GenServer.start` takes. */
export const START_OPTIONS: OptionChecks = {
  runtime: RUNTIME_OPTION,
  name: NAME_OPTION,
  timeout: TIMEOUT_OPTION,
  mailbox: OBJECT_OPTION('mailbox options { capacity, overflow }'),
  label: STRING_OPTION,
  behaviour: STRING_OPTION,
};

/** @internal What `GenServer.startLink` takes: `start`'s options and `link`. */
export const START_LINK_OPTIONS: OptionChecks = { ...START_OPTIONS, link: PID_OPTION };

/**
 * @internal `startServer` for options from a user: checks them against `checks` first
 * (a bad one rejects with `InvalidArgumentError`); `link` is `options.link`, if any.
 */
export function startChecked<S extends AnyServer>(
  module: ServerModule<S>,
  arg: unknown,
  options: StartLinkOptions | undefined,
  what: string,
  checks: OptionChecks,
): Promise<ServerRef<S>> {
  try {
    checkOptions(options, what, checks);
  } catch (error) {
    return Promise.reject(error);
  }
  return startServer(module, arg, options ?? {}, options?.link);
}

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
  if (typeof module !== 'function' || !readable(module)) {
    return Promise.reject(
      new InvalidArgumentError('module', 'a GenServer class (class X extends GenServer)', module),
    );
  }
  const runtime = options.runtime ?? (link && runtimeOf(link)) ?? defaultRuntime();
  const timeout = options.timeout ?? 5000;
  const name = options.name;
  const label = options.label ?? nameOf(module, 'GenServer');
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
      // OTP's init_it unregisters the name itself (gen:unregister_name), so a Registry's
      // listeners hear of it; the registry's own clean-up at the exit tells them nothing.
      failed: () => {
        if (name === undefined || isAtom(name)) return;
        try {
          unregisterVia(name, pid);
        } catch {
          // The watch set at registration tries again at the exit, and reports a throw.
        }
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
                new TimeoutError(`starting ${label}`, timeout, 'init() did not return in time.'),
              );
            }),
          );
  });
}

function isAtom(name: Name | Via | undefined): name is Name {
  return typeof name === 'string' || typeof name === 'symbol';
}

/** Registers through `{ via, key, value? }`, and unregisters when the process exits. */
function registerVia(runtime: Runtime, name: Via, pid: Pid<any>): void {
  try {
    name.via.registerName(name.key, pid, name.value);
  } catch (error) {
    runtime.exit(pid, 'kill');
    throw error;
  }
  runtime.watch(pid, () => unregisterVia(name, pid));
}

/** Unregisters `name` if `pid` still holds it. */
function unregisterVia(name: Via, pid: Pid<any>): void {
  if (name.via.whereisName(name.key)?.equals(pid)) name.via.unregisterName(name.key);
}

/** False for a function nothing can be asked of (a revoked proxy): `new` would throw a TypeError. */
function readable(module: Function): boolean {
  try {
    void module.prototype;
    return true;
  } catch {
    return false;
  }
}
