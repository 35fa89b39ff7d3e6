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
  addDeadline,
  attachWatch,
  type DeadlineNode,
  detachWatch,
  removeDeadline,
  type WatchNode,
} from '@actorkit/core/internal';
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
import { ServerLoop, type StartAck } from './server-loop.js';
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
    const start = new ServerStart(runtime, name, label, timeout, resolve, reject);
    try {
      start.pid = runtime.spawn(new ServerLoop(new module(), arg, start), {
        name: isAtom(name) ? name : undefined,
        link,
        label,
        behaviour: options.behaviour ?? 'gen_server',
        mailbox: options.mailbox,
      });
      if (name !== undefined && !isAtom(name)) registerVia(runtime, name, start.pid);
    } catch (error) {
      reject(error);
      return;
    }
    start.watch();
  });
}

/**
 * One server's start, in one object: what its loop tells (`StartAck`), what its exit
 * tells (a `WatchNode`), and its `timeout` (a `DeadlineNode`: starts with one timeout
 * share a queue and a timer). Resolves with the PID once `init` returned `ok`; rejects
 * with `StartError` if the process exits first (`'ignore'` after `ignore()`), with
 * `TimeoutError` (the process killed) if `timeout` passes first.
 */
class ServerStart implements StartAck, WatchNode, DeadlineNode {
  pid!: Pid<any>;
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;
  deadline = Number.POSITIVE_INFINITY;
  deadlineQueue: object | null = null;
  prevDeadline: DeadlineNode | null = null;
  nextDeadline: DeadlineNode | null = null;
  private settled = false;
  private initIgnored = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly name: Name | Via | undefined,
    private readonly label: string,
    private readonly timeout: number,
    private readonly resolve: (pid: Pid<any>) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Watches the spawned process and sets the timeout; a process already gone rejects at once. */
  watch(): void {
    if (!attachWatch(this.pid, this)) this.down('noproc');
    else if (this.timeout !== Number.POSITIVE_INFINITY) {
      addDeadline(this.runtime, this, this.timeout);
    }
  }

  started(): void {
    if (this.settle()) this.resolve(this.pid);
  }

  ignored(): void {
    this.initIgnored = true;
  }

  // OTP's init_it unregisters the name itself (gen:unregister_name), so a Registry's
  // listeners hear of it; the registry's own clean-up at the exit tells them nothing.
  failed(): void {
    const name = this.name;
    if (name === undefined || isAtom(name)) return;
    try {
      unregisterVia(name, this.pid);
    } catch {
      // The watch set at registration tries again at the exit, and reports a throw.
    }
  }

  down(reason: unknown): void {
    if (this.settle()) {
      this.reject(new StartError(this.initIgnored ? 'ignore' : reason, this.label));
    }
  }

  expire(): void {
    if (!this.settle()) return;
    this.runtime.exit(this.pid, 'kill');
    this.reject(
      new TimeoutError(`starting ${this.label}`, this.timeout, 'init() did not return in time.'),
    );
  }

  /** True the first time: the start is decided, the watch and the timeout go. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    detachWatch(this);
    if (this.deadlineQueue !== null) removeDeadline(this.runtime, this);
    return true;
  }
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
