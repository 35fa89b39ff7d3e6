import { isPid, type Pid } from '@actorkit/core';

/**
 * What a child's `start` resolves with when it has more to say than its PID: OTP's
 * `{ok, Pid, Info}`. The supervisor keeps only `pid`; `info` is handed, untouched, to
 * whoever called `startChild` or `restartChild` (`Supervisor` and `DynamicSupervisor`
 * alike, as Elixir's `{:ok, pid, info}`). A child started with the supervisor itself
 * or restarted after a crash has nobody to hand it to: there it is dropped, as in OTP.
 *
 * @example
 * const listener: ChildSpec<StartedChild<{ port: number }>> = {
 *   id: 'listener',
 *   start: async (ctx) => {
 *     const pid = await GenServer.startLink(Listener, 0, { runtime: ctx.runtime, link: ctx.self });
 *     return { pid, info: { port: await GenServer.call(pid, { type: 'port' }) } };
 *   },
 * };
 * const { pid, info } = (await Supervisor.startChild(sup, listener))!;
 */
export interface StartedChild<I = unknown> {
  /** The child, linked to the supervisor. */
  pid: Pid<any>;
  /** Anything; the supervisor neither reads nor keeps it. */
  info: I;
}

/**
 * What a child's `start` may resolve with: its PID (OTP's `{ok, Pid}`), or
 * `{ pid, info }` (`{ok, Pid, Info}`). `startChild` resolves with the same shape.
 */
export type ChildStart = Pid<any> | StartedChild<unknown>;

/**
 * @internal A start that went through: the child's PID, and what `startChild` resolves
 * with (the PID itself, or a fresh `{ pid, info }`).
 */
export interface Started {
  pid: Pid<any>;
  result: ChildStart;
}

const STARTED_KEYS = ['pid', 'info'];

/**
 * @internal Reads what a child's `start` resolved with: a PID, or an object whose own
 * keys are `pid` (a PID) and optionally `info`, both plain data properties. Undefined for
 * anything else; never throws and never runs a getter, whatever the value (a revoked
 * proxy, a throwing trap).
 */
export function readStarted(value: unknown): Started | undefined {
  if (isPid(value)) return { pid: value, result: value };
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    if (Array.isArray(value)) return undefined;
    const keys = Reflect.ownKeys(value);
    if (!keys.every((key) => typeof key === 'string' && STARTED_KEYS.includes(key)))
      return undefined;
    const pid = dataProperty(value, 'pid');
    const info = dataProperty(value, 'info');
    if (pid == null || !isPid(pid.value) || info === null) return undefined;
    return { pid: pid.value, result: { pid: pid.value, info: info?.value } };
  } catch {
    return undefined;
  }
}

/** The own data property `key` of `value` as `{ value }`; undefined if absent, null if an accessor. */
function dataProperty(value: object, key: string): { value: unknown } | null | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(value, key);
  if (descriptor === undefined) return undefined;
  return 'value' in descriptor ? { value: descriptor.value } : null;
}
