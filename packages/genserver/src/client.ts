import {
  defaultRuntime,
  ExitError,
  InvalidArgumentError,
  isPid,
  type Name,
  NoProcError,
  Pid,
  type Runtime,
  runtimeOf,
  type Via,
} from '@actorkit/core';
import {
  addDeadline,
  attachWatch,
  isInstance,
  isRunning,
  runtimeReaching,
  sendSystem,
  sendTagged,
} from '@actorkit/core/internal';
import {
  checkOptions,
  isTimeout,
  type OptionChecks,
  RUNTIME_OPTION,
  TIMEOUT_OPTION,
} from './check-options.js';
import { CastEnvelope, From, SystemEnvelope } from './envelopes.js';
import { CallingSelfError } from './errors.js';
import { remoteCall } from './remote-call.js';
import type { ServerStatus } from './server-loop.js';

declare const serverType: unique symbol;

/**
 * The PID of a running GenServer of module `S`: what `start` resolves to. Calls
 * through it are typed by the module's requests and replies.
 */
export type ServerRef<S> = Pid<any> & { readonly [serverType]?: S };

/** A registered name (or `{ via, key }`) that carries its server's module type: see {@link serverName}. */
export type ServerName<S> = (Name | Via) & { readonly [serverType]?: S };

/** Where a server of module `S` can be reached: its PID, or a name (typed or not). */
export type ServerTarget<S> = ServerRef<S> | ServerName<S> | Name | Via;

/**
 * Gives a name the type of the server registered under it, so calls by name are typed
 * as calls by PID are. Names are strings at run time; this only informs TypeScript.
 *
 * @example
 * const tracker = serverName<SetupTracker>('SetupTracker');
 * await GenServer.start(SetupTracker, arg, { name: tracker });
 * const report = await GenServer.call(tracker, { type: 'report' }); // typed reply
 */
export function serverName<S>(name: Name | Via): ServerName<S> {
  return name as ServerName<S>;
}

/**
 * Options for calls: the timeout, and the runtime in which to look up a name. Where a
 * function takes `number | CallOptions`, a number is the timeout. An unknown key, or a
 * value of the wrong type (a timeout of `'100'` or `null`), is an `InvalidArgumentError`;
 * a key left out or `undefined` takes its default, so `{}` means every default.
 */
export interface CallOptions {
  /** Ms to wait, >= 0, or `Infinity`. @default 5000 (Infinity for `stop`) */
  timeout?: number;
  /** Where names are looked up; PIDs know their own runtime. @default defaultRuntime() */
  runtime?: Runtime;
}

/** Options for casts: only where to look a name up (a cast waits for nothing). */
export type CastOptions = Pick<CallOptions, 'runtime'>;

const CALL_OPTIONS: OptionChecks = { timeout: TIMEOUT_OPTION, runtime: RUNTIME_OPTION };
const CAST_OPTIONS: OptionChecks = { runtime: RUNTIME_OPTION };

/** @internal The runtime a server reference lives in. */
export function runtimeFor(server: Pid<any> | Name | Via, options?: CallOptions): Runtime {
  if (options?.runtime !== undefined) return options.runtime;
  if (!isPid(server)) {
    // A `{ via, key }` naming a process of another node (a global name of the node layer).
    const held = remoteHolder(server);
    return (held && runtimeReaching(held)) ?? defaultRuntime();
  }
  // A PID without a process here may be another node's: reached from a node layer's runtime.
  return runtimeOf(server) ?? runtimeReaching(server) ?? defaultRuntime();
}

/**
 * The PID of another node that `server` (a `{ via, key }`) names, if any: a global name
 * of the node layer, whose registry answers with a PID that has no process on this
 * thread. Never throws (a registry that throws is asked again by the lookup, which says so).
 */
function remoteHolder(server: Pid<any> | Name | Via): Pid<any> | undefined {
  if (typeof server !== 'object' || isPid(server)) return undefined;
  try {
    const held = server.via.whereisName(server.key);
    return isPid(held) && runtimeOf(held) === undefined ? held : undefined;
  } catch {
    return undefined;
  }
}

/** True for what can name a server: a PID, a string or symbol, or `{ via, key }`. Never throws. */
function isTarget(server: unknown): boolean {
  if (typeof server === 'string' || typeof server === 'symbol' || isPid(server)) return true;
  if (typeof server !== 'object' || server === null) return false;
  try {
    return typeof (server as Via).via?.whereisName === 'function';
  } catch {
    return false;
  }
}

function badTarget(server: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    'server',
    'a PID, a registered name (a string or a symbol) or { via: registry, key }',
    server,
  );
}

/** The timeout `timeoutOrOptions` gives (`fallback` if none); throws on a malformed one. */
function timeoutOf(timeoutOrOptions: unknown, fallback: number, what: string): number {
  if (timeoutOrOptions === undefined) return fallback;
  if (typeof timeoutOrOptions === 'number') {
    if (!isTimeout(timeoutOrOptions)) {
      throw new InvalidArgumentError('timeout', TIMEOUT_OPTION.expected, timeoutOrOptions);
    }
    return timeoutOrOptions;
  }
  if (typeof timeoutOrOptions !== 'object' || timeoutOrOptions === null) {
    throw new InvalidArgumentError(
      'timeout',
      `${TIMEOUT_OPTION.expected}, or an options object { timeout, runtime }`,
      timeoutOrOptions,
    );
  }
  checkOptions(timeoutOrOptions, what, CALL_OPTIONS);
  return (timeoutOrOptions as CallOptions).timeout ?? fallback;
}

/**
 * @internal Sends a fresh `From` (carrying `message`), or the envelope built around it,
 * and waits for the reply, watching the server for the whole call.
 */
function request<R>(
  server: Pid<any> | Name | Via,
  timeoutOrOptions: number | CallOptions | undefined,
  fallbackTimeout: number,
  what: string,
  message: unknown,
  envelope: ((from: From<R>) => unknown) | null,
): Promise<R> {
  let timeout: number;
  let runtime: Runtime;
  let pid: Pid<any> | undefined;
  try {
    // `instanceof` throws for a revoked proxy: inside the try, it rejects like any bad target.
    if (typeof timeoutOrOptions === 'number' && timeoutOrOptions >= 0 && server instanceof Pid) {
      // The usual call, a PID with a timeout in ms, has nothing to parse: this shortcut
      // saves a few percent of a sequential call.
      timeout = timeoutOrOptions;
      runtime = runtimeOf(server) ?? defaultRuntime();
      pid = runtime.resolve(server);
    } else {
      timeout = timeoutOf(timeoutOrOptions, fallbackTimeout, what);
      runtime = runtimeFor(
        server,
        typeof timeoutOrOptions === 'object' ? timeoutOrOptions : undefined,
      );
      pid = runtime.resolve(server);
    }
  } catch (error) {
    return Promise.reject(isTarget(server) ? error : badTarget(server));
  }
  if (pid === undefined) {
    // A PID of another node holds no process here: a node layer may reach it.
    // runtimeOf, not pid.proc: proc is internal to core and not in its published types.
    // So may a `{ via, key }` whose registry names a process of another node (a global name).
    const elsewhere = isPid(server)
      ? runtimeOf(server) === undefined
        ? server
        : undefined
      : remoteHolder(server);
    if (elsewhere !== undefined) {
      const explicit = typeof timeoutOrOptions === 'object' ? timeoutOrOptions.runtime : undefined;
      const remote = remoteCall<R>(elsewhere, explicit, message, what, timeout, envelope);
      if (remote !== undefined) return remote;
    }
    return Promise.reject(
      new NoProcError(server, `${what} needs a running server: start it first, or check the name.`),
    );
  }
  // A server's callback waiting on its own server would wait until the timeout (OTP's
  // calling_self). Seen only while the callback runs in its turn: see CallingSelfError.
  if (isRunning(pid)) return Promise.reject(new CallingSelfError(pid, what));
  const target = pid;
  return new Promise<R>((resolve, reject) => {
    const from = new From<R>(message, resolve, reject, runtime, target, what, timeout);
    if (!attachWatch(target, from)) {
      from.down('noproc');
      return;
    }
    if (timeout !== Number.POSITIVE_INFINITY) addDeadline(runtime, from, timeout);
    try {
      if (envelope === null) runtime.send(target, from);
      // A system request goes beside a bounded mailbox's capacity: it never takes, nor
      // pushes out, a place of the server's own messages, and is never dropped.
      else if (!sendSystem(target, envelope(from))) from.down('noproc');
    } catch (error) {
      from.fail(error);
    }
  });
}

/** @internal */
export function call(
  server: Pid<any> | Name | Via,
  req: unknown,
  timeout: number | CallOptions | undefined,
): Promise<any> {
  // The From carries the request: it is the message.
  return request(server, timeout, 5000, 'GenServer.call', req, null);
}

/** @internal */
export function cast(
  server: Pid<any> | Name | Via,
  req: unknown,
  options: CastOptions | undefined,
  what = 'GenServer.cast',
): void {
  if (options !== undefined) checkOptions(options, what, CAST_OPTIONS);
  try {
    sendTagged(runtimeFor(server, options), server, req, CastEnvelope);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    if (!isTarget(server)) throw badTarget(server);
    // As in Elixir, a cast to a missing server or a full mailbox is not the caller's problem.
  }
}

/** @internal `GenServer.whereis`: the PID `server` names now, undefined if none. */
export function whereis(
  server: Pid<any> | Name | Via,
  options: CastOptions | undefined,
): Pid<any> | undefined {
  if (options !== undefined) checkOptions(options, 'GenServer.whereis', CAST_OPTIONS);
  if (isPid(server)) return server;
  if (typeof server === 'string' || typeof server === 'symbol') {
    return runtimeFor(server, options).whereis(server);
  }
  if (!isTarget(server)) throw badTarget(server);
  const pid: unknown = server.via.whereisName(server.key);
  return isPid(pid) ? pid : undefined;
}

/** @internal */
export function reply<R>(from: From<R>, value: R): boolean {
  // isInstance, not instanceof: a revoked proxy gets this error, not instanceof's TypeError.
  if (!isInstance(from, From)) {
    throw new InvalidArgumentError('from', 'the From passed to handleCall', from);
  }
  return from.resolve(value);
}

/** @internal */
export function getState(
  server: Pid<any> | Name | Via,
  timeout: number | CallOptions,
): Promise<unknown> {
  return request(
    server,
    timeout,
    5000,
    'GenServer.getState',
    undefined,
    (from) => new SystemEnvelope('getState', from),
  );
}

/** @internal */
export function replaceState(
  server: Pid<any> | Name | Via,
  update: (state: unknown) => unknown,
  timeout: number | CallOptions,
): Promise<unknown> {
  if (typeof update !== 'function') {
    return Promise.reject(
      new InvalidArgumentError('update', 'a function (state) => newState', update),
    );
  }
  return request(
    server,
    timeout,
    5000,
    'GenServer.replaceState',
    undefined,
    (from) => new SystemEnvelope('replaceState', from, update),
  );
}

/** @internal */
export function getStatus(
  server: Pid<any> | Name | Via,
  timeout: number | CallOptions,
): Promise<ServerStatus> {
  return request(
    server,
    timeout,
    5000,
    'GenServer.getStatus',
    undefined,
    (from) => new SystemEnvelope('getStatus', from),
  );
}

/** @internal Asks the server to stop and waits for it to exit with that reason. */
export function stopServer(
  server: Pid<any> | Name | Via,
  reason: unknown,
  timeout: number | CallOptions,
): Promise<void> {
  return request<void>(
    server,
    timeout,
    Number.POSITIVE_INFINITY,
    'GenServer.stop',
    undefined,
    // The server ignores `from` for a stop; it carries the caller's watch to another node.
    (from) => new SystemEnvelope('stop', from, reason),
  ).catch((error: unknown) => {
    // Object.is: a reason of NaN is its own reason too.
    if (error instanceof ExitError && Object.is(error.reason, reason)) return;
    throw error;
  });
}
