/**
 * Agent, as Elixir's `Agent`: a process that only holds state, read and changed through
 * functions that run inside it, one at a time. It is a `GenServer` whose callbacks are
 * the functions you pass, so everything said of GenServer (names, timeouts, links,
 * supervision, `GenServer.getState`) holds for it.
 *
 * @example
 * const counter = await Agent.start(() => 0, { runtime });
 * await Agent.update(counter, (n) => n + 1);
 * await Agent.get(counter, (n) => n); // 1
 * await Agent.getAndUpdate(counter, (n) => [n, n + 1]); // 1, and the state is 2
 * await Agent.stop(counter);
 *
 * When not to use it: state with behaviour of its own (timeouts, messages from other
 * processes, a protocol) belongs in a `GenServer`; a function that takes long blocks
 * every other caller of the agent, so do slow work outside and store only its result.
 * Where JavaScript differs: Elixir's `{Module, fun, args}` forms are plain closures
 * here, and a function may return a promise (or another thenable), which the agent
 * awaits before the next request (one at a time still holds); any other value is the
 * state as it is, even one whose `then` cannot be read.
 */
import { formatReason, InvalidArgumentError, type Name, type Via } from '@actorkit/core';
import { checkOptions, type OptionChecks } from './check-options.js';
import type { ChildSpec } from './child-spec.js';
import type { CallOptions, ServerRef, ServerTarget } from './client.js';
import type { From } from './envelopes.js';
import { type Call, GenServer, type StartLinkOptions, type StartOptions } from './gen-server.js';
import { type MaybePromise, noreply, ok, reply } from './results.js';
import { START_LINK_OPTIONS, START_OPTIONS, startServer } from './start.js';

type StateFn = (state: unknown) => unknown;

/** The requests an agent answers. */
type AgentCall =
  | Call<'get', unknown, { fn: StateFn }>
  | Call<'getAndUpdate', unknown, { fn: StateFn }>
  | Call<'update', void, { fn: StateFn }>;

/** The agent process (use it through `Agent`). */
export class AgentServer extends GenServer<unknown, AgentCall, { type: 'cast'; fn: StateFn }> {
  async init(fn: () => unknown) {
    const state = fn();
    return ok(thenable(state) ? await state : state);
  }

  override async handleCall(request: AgentCall, _from: From, state: unknown) {
    const result = request.fn(state);
    const value = thenable(result) ? await result : result;
    if (request.type === 'get') return reply(value, state);
    if (request.type === 'update') return reply(undefined, value);
    const [answer, next] = pairOf(value);
    return reply(answer, next);
  }

  override async handleCast(request: { fn: StateFn }, state: unknown) {
    const result = request.fn(state);
    return noreply(thenable(result) ? await result : result);
  }
}

/**
 * True for a promise or another thenable, which the agent awaits. Any other value is the
 * state as it is, even one whose `then` cannot be read (a revoked proxy): `await` would
 * read it and crash the agent, where Elixir's Agent holds any term.
 */
function thenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
  } catch {
    return false;
  }
}

/** What `getAndUpdate`'s function must return: `[reply, newState]` (Elixir's `{reply, new_state}`). */
function pairOf(value: unknown): [unknown, unknown] {
  try {
    if (Array.isArray(value) && value.length === 2) return [value[0], value[1]];
  } catch {
    // A revoked proxy or a throwing trap is no pair either: the message below says why.
  }
  throw new TypeError(
    `Agent.getAndUpdate: the function must return [reply, newState], got ${formatReason(value)}.`,
  );
}

/** A running agent holding state of type `S`: what `Agent.start` resolves to. */
export type AgentRef<S> = ServerRef<AgentServer> & { readonly __agentState?: S };

/** Where an agent holding `S` can be reached: its PID, or its name. */
export type AgentTarget<S> = AgentRef<S> | Name | Via;

/** The `Agent` API (see the module doc above): start, read and change an agent's state. */
export class Agent {
  /**
   * Starts an agent whose state is what `fn` returns (or resolves to), run in the new
   * process; resolves with its PID. Options as `GenServer.start`'s (`name`, `timeout`
   * for `fn`, `runtime`). Rejects with `StartError` if `fn` throws.
   *
   * @example
   * const cache = await Agent.start(() => new Map<string, string>(), { name: 'cache' });
   */
  static start<S>(fn: () => MaybePromise<S>, options: StartOptions = {}): Promise<AgentRef<S>> {
    return startAgent(fn, options, 'Agent.start', START_OPTIONS);
  }

  /** Like `start`, linked to `options.link` (its parent, usually a supervisor). */
  static startLink<S>(fn: () => MaybePromise<S>, options: StartLinkOptions): Promise<AgentRef<S>> {
    return startAgent(fn, options, 'Agent.startLink', START_LINK_OPTIONS);
  }

  /**
   * Resolves with `fn(state)`, run in the agent; the state stays as it was. Rejects as
   * `GenServer.call` does: `TimeoutError` after `timeout` ms (default 5000), `ExitError`
   * if the agent exits first (a throw in `fn` crashes the agent, as in Elixir).
   */
  static get<S, R>(
    agent: AgentTarget<S>,
    fn: (state: S) => MaybePromise<R>,
    timeout: number | CallOptions = 5000,
  ): Promise<R> {
    return call(agent, 'get', fn, timeout) as Promise<R>;
  }

  /** Runs `fn(state)`, which returns `[reply, newState]`; resolves with `reply`. */
  static getAndUpdate<S, R>(
    agent: AgentTarget<S>,
    fn: (state: S) => MaybePromise<readonly [R, S]>,
    timeout: number | CallOptions = 5000,
  ): Promise<R> {
    return call(agent, 'getAndUpdate', fn, timeout) as Promise<R>;
  }

  /** Replaces the state with `fn(state)` and resolves once done (Elixir's `:ok`). */
  static update<S>(
    agent: AgentTarget<S>,
    fn: (state: S) => MaybePromise<S>,
    timeout: number | CallOptions = 5000,
  ): Promise<void> {
    return call(agent, 'update', fn, timeout) as Promise<void>;
  }

  /** Replaces the state with `fn(state)` without waiting; succeeds even if the agent is gone. */
  static cast<S>(
    agent: AgentTarget<S>,
    fn: (state: S) => MaybePromise<S>,
    options?: Pick<CallOptions, 'runtime'>,
  ): void {
    assertFn(fn);
    GenServer.cast(
      agent as ServerTarget<AgentServer>,
      { type: 'cast', fn: fn as StateFn },
      options,
    );
  }

  /** Stops the agent with `reason` (default `'normal'`), as `GenServer.stop`. */
  static stop(
    agent: AgentTarget<unknown>,
    reason: unknown = 'normal',
    timeout: number | CallOptions = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    return GenServer.stop(agent, reason, timeout);
  }

  /**
   * The child spec to run an agent under a supervisor, so that `[Agent, fn]` is a child
   * (Elixir's `{Agent, fun}`): `{ id: 'Agent', start: Agent.startLink(fn) }`, permanent.
   */
  static childSpec(fn: () => unknown): ChildSpec {
    assertFn(fn);
    return {
      id: 'Agent',
      start: ({ runtime, self, name }) => Agent.startLink(fn, { runtime, link: self, name }),
    };
  }
}

/**
 * Starts the agent process once `fn` and `options` passed `checks`; rejects (never
 * throws) with `InvalidArgumentError` for an `fn` that is not a function, or options that
 * are not an object of known keys, or whose getters throw (they are read before they are
 * copied, so a revoked proxy never reaches a spread).
 */
function startAgent<S>(
  fn: () => unknown,
  options: StartLinkOptions | undefined,
  what: string,
  checks: OptionChecks,
): Promise<AgentRef<S>> {
  const bad = badFn(fn);
  if (bad !== undefined) return Promise.reject(bad);
  let labelled: StartLinkOptions;
  try {
    checkOptions(options, what, checks);
    labelled = { label: 'Agent', behaviour: 'agent', ...options };
  } catch (error) {
    const typed = InvalidArgumentError.is(error);
    return Promise.reject(
      typed ? error : new InvalidArgumentError('options', `an options object for ${what}`, options),
    );
  }
  return startServer(AgentServer, fn, labelled, labelled.link);
}

/** Calls the agent with `fn` as a request of `type`; rejects with `InvalidArgumentError` for an `fn` that is not a function. */
function call(
  agent: AgentTarget<unknown>,
  type: AgentCall['type'],
  fn: unknown,
  timeout: number | CallOptions,
): Promise<unknown> {
  const bad = badFn(fn);
  if (bad !== undefined) return Promise.reject(bad);
  const request = { type, fn: fn as StateFn } as AgentCall;
  return GenServer.call(agent as ServerTarget<AgentServer>, request, timeout);
}

/** The `InvalidArgumentError` for an `fn` that is not a function, else undefined. */
function badFn(fn: unknown): InvalidArgumentError | undefined {
  return typeof fn === 'function' ? undefined : new InvalidArgumentError('fn', 'a function', fn);
}

/** Throws `InvalidArgumentError` unless `fn` is a function. */
function assertFn(fn: unknown): void {
  const bad = badFn(fn);
  if (bad !== undefined) throw bad;
}
