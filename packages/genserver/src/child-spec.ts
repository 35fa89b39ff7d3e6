import {
  ActorkitError,
  formatReason,
  InvalidArgumentError,
  type Name,
  type Pid,
  type Runtime,
  type Via,
} from '@actorkit/core';
import { isChildName, registerChildName } from './child-name.js';
import { ChildSpecError } from './errors.js';
import { isOptionsObject, listKeys, unknownKey } from './options.js';
import { type ChildStart, readStarted } from './started-child.js';
import { nameOf } from './text.js';

/** A child's id within its supervisor. */
export type ChildId = string | number | symbol;

/** What a child's `start` gets: the supervisor it must link to. */
export interface StartContext {
  runtime: Runtime;
  /** The supervisor's PID: link the child to it (`startLink(…, { link: self })`). */
  self: Pid<any>;
  /**
   * The name the child is to be registered under, when the spec was given one with
   * `childSpec(spec, { name })` or `[Module, arg, { name }]`; else undefined. A `start`
   * that passes it to `startLink` registers the child before its `init` runs; otherwise
   * the supervisor registers the PID as soon as `start` resolves with it.
   */
  name?: Name | Via;
  /**
   * A `DynamicSupervisor`'s `extraArguments` (Elixir's `:extra_arguments`, which it
   * prepends to each child's start arguments), for a `start` that takes them; the same
   * at every restart. Undefined under a `Supervisor`, and under a dynamic supervisor
   * started without them.
   */
  extraArguments?: readonly unknown[];
}

/**
 * Opt-in restart backoff (beyond OTP, which restarts at once), honoured alike by
 * `Supervisor`, `DynamicSupervisor` and `TaskSupervisor`. After the child exits, the
 * supervisor waits `initial` ms, doubling per consecutive restart up to `max`, spread by
 * ±`jitter` (a fraction). The delay resets once the child has stayed up for `max` ms.
 * Each restart counts toward the supervisor's intensity when it happens (not when
 * scheduled), so backoff slows the restart rate the intensity window sees. A restart
 * that fails to start the child is retried at once, as in OTP.
 *
 * While the child waits, its registered name is held by a stand-in: messages sent to
 * the name are dead letters (counted and emitted), or, with `buffer: n`, up to `n` are
 * kept and delivered to the restarted child in order (the rest are dead letters).
 *
 * @example
 * childSpec([Mailer, config], { backoff: { initial: 100, max: 30_000, jitter: 0.2 } })
 * // waits about 100, 200, 400 … ms, each ±20%, then at most 30 s
 */
export interface Backoff {
  /** First delay, in ms. */
  initial: number;
  /** Largest delay, in ms. */
  max: number;
  /** Random spread as a fraction of the delay (0.2 = ±20%). @default 0 */
  jitter?: number;
  /** How many messages to the child's name to keep while it waits. @default 0 */
  buffer?: number;
  /**
   * The random source of the jitter: returns a number in [0, 1). Give a seeded one for
   * reproducible delays. @default Math.random
   */
  random?: () => number;
}

/**
 * How a supervisor starts, restarts and stops a child, as Elixir's child spec:
 * - `restart`: `'permanent'` (always restarted), `'transient'` (restarted unless it
 *   exits `'normal'`, `'shutdown'` or `{ shutdown: detail }`), `'temporary'` (never).
 * - `shutdown`: ms to wait after sending `'shutdown'` before killing, `'brutal_kill'`
 *   to kill at once, or `'infinity'` (the default for supervisors).
 *
 * Any other key is rejected with `ChildSpecError` (a registered name is not a key of
 * the spec: give it with `childSpec(spec, { name })` or `[Module, arg, { name }]`).
 *
 * ## Shutdown, trapping exits and `ctx.signal`
 * To stop a child (`terminateChild`, a `one_for_all` restart of a sibling, or its
 * supervisor stopping, which `runtime.stop()` does to every tree), the supervisor sends
 * it the exit signal `'shutdown'`, waits up to `shutdown` ms for it to exit, then kills
 * it. What the child does with that time depends on whether it traps exits:
 * - A child that does not trap exits dies of the signal at once, whatever `shutdown`
 *   says: `shutdown: 10_000` is a grace period only for a child that traps exits. Work
 *   in flight stops where it is, and `ctx.signal` aborts, so a `fetch` or driver given
 *   that signal stops too.
 * - A child that traps exits (`ctx.trapExit(true)`) gets the signal as an `Exit`
 *   message and keeps running. A GenServer finishes the message in hand, then runs
 *   `terminate('shutdown', state)`: await the draining there. A task sees the `Exit`
 *   when it looks at its mailbox (`ctx.receive({ timeout: 0 })`), so it can stop taking
 *   new work, finish what it started and return.
 * - Past `shutdown` ms it is killed (`'kill'` cannot be trapped) and its `ctx.signal`
 *   aborts then. `'brutal_kill'` kills at once; `'infinity'` waits for as long as it takes.
 *
 * `runtime.stop({ timeout })` bounds the whole shutdown as well (5000 ms by default):
 * give it at least the longest grace period. The package README has a complete example
 * that drains in-flight work.
 */
export interface ChildSpec<R extends ChildStart = Pid<any>> {
  id: ChildId;
  /**
   * Starts the child linked to the supervisor and resolves with its PID, or with
   * `{ pid, info }` (`StartedChild`, OTP's `{ok, Pid, Info}`) to hand `info` to the
   * caller of `startChild`/`restartChild`; `R` is which of the two, and what those
   * resolve with. Rejects with a `StartError` with reason `'ignore'` to not start it.
   * Anything else it resolves with is a start failure, as OTP's `{error, Value}`: the
   * supervisor rejects it with `ChildSpecError` and stays up.
   */
  start: (supervisor: StartContext) => Promise<R>;
  /** @default 'permanent' */
  restart?: 'permanent' | 'transient' | 'temporary';
  /**
   * Ms a child that traps exits gets to stop after `'shutdown'` (see above), or
   * `'brutal_kill'`, or `'infinity'`.
   * @default 5000 for a worker, 'infinity' for a supervisor
   */
  shutdown?: number | 'brutal_kill' | 'infinity';
  /** @default 'worker' */
  type?: 'worker' | 'supervisor';
  /** Opt-in restart backoff. @default none: restart at once, as OTP */
  backoff?: Backoff;
}

/**
 * What `childSpec(spec, overrides)` and `[Module, arg, overrides]` can set: any key of
 * the spec, and `name`.
 */
export interface ChildSpecOverrides<R extends ChildStart = Pid<any>> extends Partial<ChildSpec<R>> {
  /**
   * Registers the child under this name, again at each restart: a string or symbol, or
   * `{ via: registry, key }`. A name held by another process fails the start with
   * `NameTakenError`, as OTP's `{error, {already_started, Pid}}`.
   */
  name?: Name | Via;
}

/**
 * A module that provides its own child spec (every GenServer does); `R` is what its
 * spec's `start` resolves with (see `ChildSpec`).
 */
export interface ChildModule<A = any, R extends ChildStart = Pid<any>> {
  readonly name: string;
  childSpec(arg: A): ChildSpec<R>;
}

/**
 * A child as written in a supervisor's list: a full spec, `[Module, arg]` (Elixir's
 * `{Module, arg}`), `[Module, arg, overrides]` (the same through `childSpec`, so
 * `[Counter, 0, { name: 'counter' }]` registers it), or a bare `Module` (its
 * `childSpec(undefined)`).
 */
export type ChildSpecLike<R extends ChildStart = Pid<any>> =
  | ChildSpec<R>
  | readonly [ChildModule<any, R>, unknown]
  | readonly [ChildModule<any, R>, unknown, ChildSpecOverrides<R>]
  | ChildModule<any, R>;

/**
 * Any child, whatever its `start` resolves with: what a supervisor's list of children
 * holds.
 */
export type AnyChildSpecLike = ChildSpecLike<ChildStart>;

/** A child spec with every default filled in. */
export type NormalizedSpec = Required<Omit<ChildSpec<ChildStart>, 'backoff'>> & {
  backoff: Backoff | undefined;
};

const SPEC_KEYS = ['id', 'start', 'restart', 'shutdown', 'type', 'backoff'] as const;
const OVERRIDE_KEYS = [...SPEC_KEYS, 'name'] as const;
const BACKOFF_KEYS = ['initial', 'max', 'jitter', 'buffer', 'random'] as const;

/**
 * Returns `spec` with `overrides` applied, as Elixir's `Supervisor.child_spec/2`: the
 * way to give two children of the same module different ids, or a child a registered
 * `name`. Throws `ChildSpecError` for an override key that does not exist.
 *
 * @example
 * childSpec([Worker, 1], { id: 'worker-1', restart: 'transient' })
 * childSpec([Counter, 0], { name: 'counter' }) // GenServer.call('counter', …) reaches it
 */
export function childSpec<R extends ChildStart = Pid<any>>(
  spec: ChildSpecLike<R>,
  overrides: ChildSpecOverrides<R> = {},
): ChildSpec<R> {
  return applyOverrides(toSpec(spec), overrides) as ChildSpec<R>;
}

/**
 * @internal Validates a child and fills in defaults; throws `ChildSpecError` saying what
 * is wrong, whatever `like` is: a spec that cannot be read (a revoked proxy, a proxy
 * whose traps throw, a getter or a module's `childSpec` that throws) is a
 * `ChildSpecError` too, with what was thrown as its `cause`.
 */
export function normalizeChildSpec(like: AnyChildSpecLike): NormalizedSpec {
  try {
    return checkChildSpec(like);
  } catch (error) {
    if (ActorkitError.is(error) || InvalidArgumentError.is(error)) throw error;
    const unreadable = new ChildSpecError(
      `a child spec could not be read (${formatReason(error)}); give { id, start }, [Module, arg] or Module.`,
    );
    Object.defineProperty(unreadable, 'cause', {
      value: error,
      configurable: true,
      writable: true,
    });
    throw unreadable;
  }
}

function checkChildSpec(like: AnyChildSpecLike): NormalizedSpec {
  const spec = toSpec(like);
  const where = `child spec ${describeId(spec.id)}`;
  const unknown = unknownKey(spec, SPEC_KEYS);
  if (unknown !== undefined) {
    const hint =
      unknown === 'name'
        ? ' Give a name with childSpec(spec, { name }) or [Module, arg, { name }].'
        : '';
    throw new ChildSpecError(
      `${where}: unknown key "${unknown}"; a child spec has ${listKeys(SPEC_KEYS)}.${hint}`,
    );
  }
  if (!['string', 'number', 'symbol'].includes(typeof spec.id) || Number.isNaN(spec.id)) {
    throw new ChildSpecError(`${where}: id must be a string, number or symbol.`);
  }
  if (typeof spec.start !== 'function') {
    throw new ChildSpecError(`${where}: start must be a function (supervisor) => Promise<Pid>.`);
  }
  const restart = spec.restart ?? 'permanent';
  if (!['permanent', 'transient', 'temporary'].includes(restart)) {
    throw new ChildSpecError(
      `${where}: restart must be 'permanent', 'transient' or 'temporary', got ${formatReason(restart)}.`,
    );
  }
  const type = spec.type ?? 'worker';
  if (type !== 'worker' && type !== 'supervisor') {
    throw new ChildSpecError(
      `${where}: type must be 'worker' or 'supervisor', got ${formatReason(type)}.`,
    );
  }
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  if (
    shutdown !== 'brutal_kill' &&
    shutdown !== 'infinity' &&
    !(typeof shutdown === 'number' && Number.isFinite(shutdown) && shutdown >= 0)
  ) {
    throw new ChildSpecError(
      `${where}: shutdown must be ms >= 0, 'brutal_kill' or 'infinity', got ${formatReason(shutdown)}.`,
    );
  }
  if (spec.backoff !== undefined) validateBackoff(spec.backoff, where);
  return { id: spec.id, start: spec.start, restart, shutdown, type, backoff: spec.backoff };
}

function toSpec(like: AnyChildSpecLike): ChildSpec<ChildStart> {
  if (Array.isArray(like)) {
    if (like.length !== 2 && like.length !== 3) {
      throw new ChildSpecError(
        `a child tuple is [Module, arg] or [Module, arg, overrides], got an array of ${like.length}.`,
      );
    }
    const [module, arg, overrides] = like as readonly [
      ChildModule<any, ChildStart>,
      unknown,
      ChildSpecOverrides<ChildStart>?,
    ];
    const spec = specFromModule(module, arg);
    return overrides === undefined ? spec : applyOverrides(spec, overrides);
  }
  if (typeof like === 'function')
    return specFromModule(like as ChildModule<any, ChildStart>, undefined);
  if (!isOptionsObject(like)) {
    throw new ChildSpecError(
      `a child must be a child spec { id, start }, [Module, arg] or Module, got ${formatReason(like)}.`,
    );
  }
  return like as ChildSpec<ChildStart>;
}

function specFromModule(module: ChildModule<any, ChildStart>, arg: unknown): ChildSpec<ChildStart> {
  const label = moduleLabel(module);
  if (typeof module?.childSpec !== 'function') {
    throw new ChildSpecError(
      `${label} has no static childSpec(arg); write the child as { id, start } instead.`,
    );
  }
  const spec = module.childSpec(arg);
  if (!isOptionsObject(spec)) {
    throw new ChildSpecError(
      `${label}.childSpec(arg) returned ${formatReason(spec)}, not a child spec { id, start }.`,
    );
  }
  return spec;
}

function applyOverrides(
  spec: ChildSpec<ChildStart>,
  overrides: ChildSpecOverrides<ChildStart>,
): ChildSpec<ChildStart> {
  const where = `the overrides of child spec ${describeId(spec.id)}`;
  if (!isOptionsObject(overrides)) {
    throw new ChildSpecError(`${where} must be an object, got ${formatReason(overrides)}.`);
  }
  const unknown = unknownKey(overrides, OVERRIDE_KEYS);
  if (unknown !== undefined) {
    throw new ChildSpecError(
      `${where}: unknown key "${unknown}"; overrides can set ${listKeys(OVERRIDE_KEYS)}.`,
    );
  }
  const { name, ...rest } = overrides;
  const merged: ChildSpec<ChildStart> = { ...spec, ...rest };
  if (name === undefined) return merged;
  if (!isChildName(name)) {
    throw new ChildSpecError(
      `${where}: name must be a string, a symbol or { via, key }, got ${formatReason(name)}.`,
    );
  }
  return { ...merged, start: startNamed(merged.start, name) };
}

/** Wraps `start` so the child it starts ends up registered under `name`. */
function startNamed(
  start: ChildSpec<ChildStart>['start'],
  name: Name | Via,
): ChildSpec<ChildStart>['start'] {
  if (typeof start !== 'function') return start;
  return async (context) => {
    const result = await start({ ...context, name });
    const started = readStarted(result);
    if (started !== undefined) registerChildName(context.runtime, started.pid, name);
    return result;
  };
}

function validateBackoff(backoff: Backoff, where: string): void {
  if (!isOptionsObject(backoff)) {
    throw new ChildSpecError(
      `${where}: backoff must be { initial, max, jitter?, buffer?, random? }, got ${formatReason(backoff)}.`,
    );
  }
  const unknown = unknownKey(backoff, BACKOFF_KEYS);
  if (unknown !== undefined) {
    throw new ChildSpecError(
      `${where}: unknown backoff key "${unknown}"; backoff has ${listKeys(BACKOFF_KEYS)}.`,
    );
  }
  const { initial, max, jitter = 0, buffer = 0, random } = backoff;
  const wrong = (key: string, expected: string, got: unknown) =>
    new ChildSpecError(`${where}: backoff.${key} must be ${expected}, got ${formatReason(got)}.`);
  if (!(Number.isFinite(initial) && initial >= 0)) {
    throw wrong('initial', 'a finite number of ms >= 0', initial);
  }
  if (!(Number.isFinite(max) && max >= initial)) {
    throw wrong('max', `a finite number of ms >= initial (${initial})`, max);
  }
  if (!(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)) {
    throw wrong('jitter', 'a fraction from 0 to 1', jitter);
  }
  if (!(Number.isInteger(buffer) && buffer >= 0)) {
    throw wrong('buffer', 'an integer >= 0', buffer);
  }
  if (random !== undefined && typeof random !== 'function') {
    throw wrong('random', 'a function () => number in [0, 1)', random);
  }
}

/** A module's name for a message, read without running a getter; never throws. */
function moduleLabel(module: unknown): string {
  if (typeof module === 'function') return nameOf(module, 'an anonymous module');
  if (typeof module !== 'object' || module === null) return formatReason(module);
  try {
    const name = Object.getOwnPropertyDescriptor(module, 'name')?.value;
    return typeof name === 'string' ? name : formatReason(module);
  } catch {
    return formatReason(module);
  }
}

/** Renders a child id for a message; never throws, whatever the id. */
export function describeId(id: unknown): string {
  if (typeof id === 'string') return JSON.stringify(id);
  if (typeof id === 'number' || typeof id === 'symbol') return id.toString();
  return formatReason(id);
}
