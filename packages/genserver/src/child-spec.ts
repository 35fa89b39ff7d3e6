import type { Pid, Runtime } from '@actorkit/core';
import { ChildSpecError } from './errors.js';

/** A child's id within its supervisor. */
export type ChildId = string | number | symbol;

/** What a child's `start` gets: the supervisor it must link to. */
export interface StartContext {
  runtime: Runtime;
  /** The supervisor's PID: link the child to it (`startLink(…, { link: self })`). */
  self: Pid<any>;
}

/**
 * Opt-in restart backoff (beyond OTP, which restarts at once). After the child exits,
 * the supervisor waits `initial` ms, doubling per consecutive restart up to `max`,
 * spread by ±`jitter` (a fraction). The delay resets once the child has stayed up for
 * `max` ms. Each restart counts toward the supervisor's intensity when it happens (not
 * when scheduled), so backoff slows the restart rate the intensity window sees.
 *
 * While the child waits, its registered name is held by a stand-in: messages sent to
 * the name are dead letters (counted and emitted), or, with `buffer: n`, up to `n` are
 * kept and delivered to the restarted child in order (the rest are dead letters).
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
}

/**
 * How a supervisor starts, restarts and stops a child, as Elixir's child spec:
 * - `restart`: `'permanent'` (always restarted), `'transient'` (restarted unless it
 *   exits `'normal'`, `'shutdown'` or `{ shutdown: detail }`), `'temporary'` (never).
 * - `shutdown`: ms to wait after sending `'shutdown'` before killing, `'brutal_kill'`
 *   to kill at once, or `'infinity'` (the default for supervisors).
 */
export interface ChildSpec {
  id: ChildId;
  /** Starts the child linked to the supervisor and resolves with its PID (rejects with a `StartError` with reason `'ignore'` to not start it). */
  start: (supervisor: StartContext) => Promise<Pid<any>>;
  /** @default 'permanent' */
  restart?: 'permanent' | 'transient' | 'temporary';
  /** @default 5000 for a worker, 'infinity' for a supervisor */
  shutdown?: number | 'brutal_kill' | 'infinity';
  /** @default 'worker' */
  type?: 'worker' | 'supervisor';
  /** Opt-in restart backoff. @default none: restart at once, as OTP */
  backoff?: Backoff;
}

/** A module that provides its own child spec (every GenServer does). */
export interface ChildModule<A = any> {
  readonly name: string;
  childSpec(arg: A): ChildSpec;
}

/**
 * A child as written in a supervisor's list: a full spec, `[Module, arg]` (Elixir's
 * `{Module, arg}`), or a bare `Module` (its `childSpec(undefined)`).
 */
export type ChildSpecLike = ChildSpec | readonly [ChildModule, unknown] | ChildModule;

/** A child spec with every default filled in. */
export type NormalizedSpec = Required<Omit<ChildSpec, 'backoff'>> & {
  backoff: Backoff | undefined;
};

/**
 * Returns `spec` with `overrides` applied, as Elixir's `Supervisor.child_spec/2`: the
 * way to give two children of the same module different ids.
 *
 * @example
 * childSpec([Worker, 1], { id: 'worker-1', restart: 'transient' })
 */
export function childSpec(spec: ChildSpecLike, overrides: Partial<ChildSpec> = {}): ChildSpec {
  return { ...toSpec(spec), ...overrides };
}

/** @internal Validates a child and fills in defaults; throws `ChildSpecError` saying what is wrong. */
export function normalizeChildSpec(like: ChildSpecLike): NormalizedSpec {
  const spec = toSpec(like);
  const where = `child spec ${describeId(spec.id)}`;
  if (!['string', 'number', 'symbol'].includes(typeof spec.id)) {
    throw new ChildSpecError(`${where}: id must be a string, number or symbol.`);
  }
  if (typeof spec.start !== 'function') {
    throw new ChildSpecError(`${where}: start must be a function (supervisor) => Promise<Pid>.`);
  }
  const restart = spec.restart ?? 'permanent';
  if (!['permanent', 'transient', 'temporary'].includes(restart)) {
    throw new ChildSpecError(
      `${where}: restart must be 'permanent', 'transient' or 'temporary', got ${String(restart)}.`,
    );
  }
  const type = spec.type ?? 'worker';
  if (type !== 'worker' && type !== 'supervisor') {
    throw new ChildSpecError(
      `${where}: type must be 'worker' or 'supervisor', got ${String(type)}.`,
    );
  }
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  if (
    shutdown !== 'brutal_kill' &&
    shutdown !== 'infinity' &&
    !(typeof shutdown === 'number' && shutdown >= 0)
  ) {
    throw new ChildSpecError(
      `${where}: shutdown must be ms >= 0, 'brutal_kill' or 'infinity', got ${String(shutdown)}.`,
    );
  }
  if (spec.backoff !== undefined) validateBackoff(spec.backoff, where);
  return { id: spec.id, start: spec.start, restart, shutdown, type, backoff: spec.backoff };
}

function toSpec(like: ChildSpecLike): ChildSpec {
  if (Array.isArray(like)) {
    const [module, arg] = like as readonly [ChildModule, unknown];
    return specFromModule(module, arg);
  }
  if (typeof like === 'function') return specFromModule(like as ChildModule, undefined);
  if (like === null || typeof like !== 'object') {
    throw new ChildSpecError(
      `a child must be a child spec { id, start }, [Module, arg] or Module, got ${String(like)}.`,
    );
  }
  return like as ChildSpec;
}

function specFromModule(module: ChildModule, arg: unknown): ChildSpec {
  if (typeof module?.childSpec !== 'function') {
    throw new ChildSpecError(
      `${module?.name ?? String(module)} has no static childSpec(arg); write the child as { id, start } instead.`,
    );
  }
  return module.childSpec(arg);
}

function validateBackoff(backoff: Backoff, where: string): void {
  const { initial, max, jitter = 0, buffer = 0 } = backoff;
  if (!(initial >= 0) || !(max >= initial) || !(jitter >= 0 && jitter <= 1) || !(buffer >= 0)) {
    throw new ChildSpecError(
      `${where}: backoff needs 0 <= initial <= max, 0 <= jitter <= 1 and buffer >= 0, got ${JSON.stringify(backoff)}.`,
    );
  }
}

function describeId(id: unknown): string {
  return typeof id === 'symbol' ? id.toString() : (JSON.stringify(id) ?? String(id));
}
