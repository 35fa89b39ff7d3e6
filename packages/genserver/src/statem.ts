/**
 * State machines as processes: an xstate v5 machine run inside a GenServer, so it has
 * a PID, a mailbox, a supervisor and Erlang's crash semantics — OTP's `gen_statem`, with
 * statecharts (nested and parallel states, guards, delayed transitions) in place of
 * state functions.
 *
 * How it maps to `gen_statem`:
 * - the machine is the callback module; its snapshot is the `{State, Data}` pair;
 * - a message to the PID (`runtime.send(pid, event)`), `StateMachine.send` (a cast) and
 *   `StateMachine.call` (a call answered with the snapshot after the transition) are
 *   the three event types `info`, `cast` and `{call, From}`;
 * - xstate's `after` transitions and delayed `raise`/`sendTo` are `gen_statem`'s state
 *   and generic timeouts: they run on the process's own timers (`sendAfter`), so they
 *   die with it and a `VirtualClock` drives them;
 * - an error inside the machine (an action or guard that throws, an invoked actor that
 *   fails with no `onError`) crashes the process with a `Crash` carrying that error, and
 *   its supervisor restarts it from the initial state;
 * - reaching a top-level final state stops the process with reason `'normal'`.
 *
 * @example
 * import { Runtime } from '@actorkit/core';
 * import { StateMachine, Supervisor } from '@actorkit/genserver';
 * import { createMachine } from 'xstate';
 *
 * const runtime = new Runtime();
 * const door = createMachine({
 *   id: 'door',
 *   initial: 'closed',
 *   states: {
 *     closed: { on: { open: 'opened' } },
 *     opened: { on: { close: 'closed' }, after: { 5000: 'closed' } },
 *   },
 * });
 *
 * const pid = await StateMachine.start(door, { runtime });
 * const snapshot = await StateMachine.call(pid, { type: 'open' });
 * snapshot.value; // 'opened'; five seconds later, 'closed' again
 *
 * // Under a supervisor, restarted from 'closed' if it crashes:
 * await Supervisor.start([StateMachine.childSpec(door, { name: 'front-door' })], { runtime });
 * StateMachine.send<typeof door>('front-door', { type: 'open' }, { runtime });
 *
 * ## When not to use it
 * For state that is a value rather than a set of modes (a counter, a cache), a plain
 * `GenServer` is simpler. For a machine that lives only inside one request, run it with
 * xstate's `createActor` directly: a process is worth it when the machine must outlive
 * its caller, be addressed by name, or be restarted by a supervisor.
 *
 * ## Differences from Erlang and from plain xstate
 * - Events are xstate events: objects with a string `type`. Other plain messages are
 *   reported (`report` event, type `'unhandled_info'`) and dropped.
 * - Actors the machine invokes or spawns (promises, callbacks, child machines) run on
 *   xstate's own scheduling, not as processes; when one of them moves the machine, the
 *   process picks up the new snapshot as its next message. Prefer processes (a `Task`,
 *   another server) for work that must be supervised on its own.
 * - `GenServer.getState` returns the snapshot; `GenServer.replaceState` is not supported
 *   (the machine owns its state: start it from a persisted `snapshot` instead).
 * - The process does not trap exits: a supervisor's `'shutdown'` ends it at once, and the
 *   xstate actor is stopped through the process's `AbortSignal` on any exit, `kill`
 *   included.
 * - A final state exits `'normal'`, which a `permanent` child (the default) is restarted
 *   after; use `restart: 'transient'` for a machine whose end is its job done.
 */
import {
  InvalidArgumentError,
  type MailboxOptions,
  type Name,
  type Pid,
  type Runtime,
  type TimerRef,
  type Via,
} from '@actorkit/core';
import {
  type Actor,
  type AnyStateMachine,
  createActor,
  type EventFromLogic,
  type InputFrom,
  type Snapshot,
  type SnapshotFrom,
} from 'xstate';
import { checkOptions, type OptionChecks, PID_OPTION, RUNTIME_OPTION } from './check-options.js';
import type { ChildSpec } from './child-spec.js';
import {
  type CallOptions,
  type CastOptions,
  call,
  cast,
  getState,
  runtimeFor,
  type ServerRef,
} from './client.js';
import type { From } from './envelopes.js';
import { GenServer } from './gen-server.js';
import { type NoReplyResult, noreply, ok, reply, stop } from './results.js';
import { START_OPTIONS, startServer } from './start.js';

/** The events a machine accepts (xstate's `EventFromLogic`). */
export type MachineEvent<TMachine extends AnyStateMachine> = EventFromLogic<TMachine>;

/** The snapshot a machine produces (xstate's `SnapshotFrom`): state value, context, status. */
export type MachineSnapshot<TMachine extends AnyStateMachine> = SnapshotFrom<TMachine>;

/**
 * Options for `StateMachine.start`. An unknown key, or a value of the wrong type, rejects
 * with `InvalidArgumentError`.
 */
export interface StateMachineOptions<TMachine extends AnyStateMachine> {
  /** The machine's input (xstate's `input`), given again on every restart. @default undefined */
  input?: InputFrom<TMachine>;
  /**
   * A persisted snapshot (from `StateMachine.getPersistedSnapshot`) to start from instead
   * of the initial state. A supervisor restarts from it too. @default the initial state
   */
  snapshot?: Snapshot<unknown>;
  /** Register the process under a name, or `{ via: registry, key }`. */
  name?: Name | Via;
  /** The runtime to start in. @default the linked process's runtime, else `defaultRuntime()` */
  runtime?: Runtime;
  /** Ms to wait for the machine to start; past it the process is killed and start rejects with `TimeoutError`. @default 5000 */
  timeout?: number;
  /** Bounded mailbox settings. @default unbounded */
  mailbox?: MailboxOptions;
  /** Shapes what `GenServer.getStatus` shows, e.g. to hide secrets in the context. @default `{ value, status, context }` */
  formatStatus?: (snapshot: SnapshotFrom<TMachine>) => unknown;
}

/** Options for `StateMachine.startLink`: `link` is the parent (a supervisor passes its own PID). */
export interface StateMachineLinkOptions<TMachine extends AnyStateMachine>
  extends StateMachineOptions<TMachine> {
  link?: Pid<any>;
}

/** Options for `StateMachine.childSpec`: start options plus the spec's `id`, `restart` and `shutdown`. */
export interface StateMachineChildOptions<TMachine extends AnyStateMachine>
  extends Omit<StateMachineOptions<TMachine>, 'runtime'>,
    Pick<ChildSpec, 'restart' | 'shutdown' | 'backoff'> {
  /** @default the machine's id */
  id?: ChildSpec['id'];
}

/** A running state machine's PID, typed by its machine: calls and `getState` know its events and snapshot. */
export type StateMachineRef<TMachine extends AnyStateMachine> = ServerRef<
  StateMachineServer<TMachine>
>;

/** Where a state machine can be reached: its ref, or the name it was registered under. */
export type StateMachineDest<TMachine extends AnyStateMachine> =
  | StateMachineRef<TMachine>
  | Name
  | Via;

/** A snapshot as this module reads it, whatever the machine. */
type AnySnapshot = Snapshot<unknown> & { value?: unknown; context?: unknown };

/** What the server's `init` gets (not part of the public API). */
interface MachineInit {
  machine: AnyStateMachine;
  input: unknown;
  snapshot: Snapshot<unknown> | undefined;
  formatStatus: ((snapshot: any) => unknown) | undefined;
}

/** @internal A delayed xstate event, fired in the process when its message is handled. */
class MachineTimer {
  ref: TimerRef | undefined;
  cancelled = false;

  constructor(readonly fire: () => void) {}
}

/** @internal The machine moved outside a handler (an invoked actor finished): read its snapshot. */
class SnapshotChanged {}

/** @internal Asks for `actor.getPersistedSnapshot()`. */
class PersistRequest {}

const FINISHED = Symbol('actorkit.statem.finished');

/**
 * The process behind a {@link StateMachine}: a GenServer whose state is the machine's
 * latest snapshot and whose every callback feeds the machine an event. Not exported
 * from the package; start machines with `StateMachine.start`.
 */
export class StateMachineServer<TMachine extends AnyStateMachine> extends GenServer<
  SnapshotFrom<TMachine>,
  EventFromLogic<TMachine>,
  EventFromLogic<TMachine>,
  EventFromLogic<TMachine>
> {
  private actor: Actor<AnyStateMachine> | undefined;
  private format: MachineInit['formatStatus'];
  /** True while a handler drives the machine, whose observers then need not wake the process. */
  private driving = false;
  private changePending = false;
  private stopped = false;

  init({ machine, input, snapshot, formatStatus }: MachineInit) {
    this.format = formatStatus;
    const actor = createActor(machine, { input, snapshot, clock: this.timers() });
    this.actor = actor;
    this.ctx.signal.addEventListener('abort', () => this.stopActor(), { once: true });
    // An error listener is required: without one xstate rethrows the error on a timer.
    actor.subscribe({ next: () => this.changed(), error: () => this.changed() });
    const current = this.drive(() => actor.start());
    return ok(current, isDone(current) ? { continue: FINISHED } : undefined);
  }

  override handleCall(request: unknown, _from: From, state: SnapshotFrom<TMachine>) {
    if (request instanceof PersistRequest) return reply(this.actor!.getPersistedSnapshot(), state);
    const event = assertEvent(request);
    const next = this.drive(() => this.actor!.send(event as never));
    return isDone(next) ? stop('normal', next, next) : reply(next, next);
  }

  override handleCast(event: EventFromLogic<TMachine>) {
    return this.settle(this.drive(() => this.actor!.send(event)));
  }

  override handleInfo(message: unknown, state: SnapshotFrom<TMachine>) {
    if (isInstance(message, MachineTimer)) {
      return this.settle(this.drive(() => message.cancelled || message.fire()));
    }
    if (isInstance(message, SnapshotChanged)) {
      this.changePending = false;
      return this.settle(this.drive(() => {}));
    }
    // A message that cannot be read (a revoked proxy) is no event: reported, not a crash.
    if (!isEvent(message)) {
      this.ctx.runtime.events.emit('report', {
        type: 'unhandled_info',
        pid: this.self,
        module: 'StateMachine',
        message,
      });
      return noreply(state);
    }
    return this.settle(this.drive(() => this.actor!.send(message as never)));
  }

  override handleContinue(_arg: typeof FINISHED, state: SnapshotFrom<TMachine>) {
    return stop('normal', state);
  }

  override terminate() {
    this.stopActor();
  }

  override formatStatus(state: SnapshotFrom<TMachine>): unknown {
    if (this.format !== undefined) return this.format(state);
    const { value, status, context } = state as AnySnapshot;
    return { value, status, context };
  }

  /** Runs `step` against the machine and returns its snapshot; throws the machine's error. */
  private drive(step: () => unknown): SnapshotFrom<TMachine> {
    this.driving = true;
    try {
      step();
    } finally {
      this.driving = false;
    }
    const snapshot = this.actor!.getSnapshot() as AnySnapshot;
    if (snapshot.status === 'error') throw snapshot.error;
    return snapshot as SnapshotFrom<TMachine>;
  }

  private settle(snapshot: SnapshotFrom<TMachine>): NoReplyResult<SnapshotFrom<TMachine>> {
    return isDone(snapshot) ? stop('normal', snapshot) : noreply(snapshot);
  }

  private changed(): void {
    if (this.driving || this.stopped || this.changePending) return;
    this.changePending = true;
    this.ctx.runtime.send(this.self, new SnapshotChanged());
  }

  /** xstate's clock, on this process's timers: delayed events arrive as messages. */
  private timers() {
    return {
      setTimeout: (fire: () => void, ms: number): MachineTimer => {
        const timer = new MachineTimer(fire);
        timer.ref = this.ctx.sendAfter(timer, Math.max(0, ms));
        return timer;
      },
      clearTimeout: (timer: MachineTimer): void => {
        // The message may already be in the mailbox: the flag keeps it from firing.
        timer.cancelled = true;
        if (timer.ref !== undefined) this.ctx.runtime.cancelTimer(timer.ref, { info: false });
      },
    };
  }

  private stopActor(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.actor?.stop();
    } catch {
      // Stopping runs inside an exit or an abort listener: nothing may escape from there.
    }
  }
}

/**
 * Starting, addressing and supervising state machines. Every function takes the PID
 * `start` resolved to, or the name the machine was registered under.
 */
export const StateMachine = {
  /** Its name as a child module, as in `[StateMachine, { machine }]`. */
  name: 'StateMachine',

  /**
   * Starts `machine` in a new process, unlinked, and resolves with its PID once the
   * machine has entered its initial state (entry actions run). Rejects with `StartError`
   * whose reason is a `Crash` if the machine errors while starting, with
   * `NameTakenError` if `name` is held, and with `TimeoutError` after `timeout` ms.
   * A machine whose initial state is final starts and then exits `'normal'`.
   *
   * @example
   * const light = await StateMachine.start(trafficLight, { runtime, name: 'light' });
   */
  start<TMachine extends AnyStateMachine>(
    machine: TMachine,
    options: StateMachineOptions<TMachine> = {},
  ): Promise<StateMachineRef<TMachine>> {
    return startChecked(machine, options, 'StateMachine.start', MACHINE_OPTIONS);
  },

  /** Like `start`, and links the process to `options.link` (its parent, usually a supervisor). */
  startLink<TMachine extends AnyStateMachine>(
    machine: TMachine,
    options: StateMachineLinkOptions<TMachine> = {},
  ): Promise<StateMachineRef<TMachine>> {
    return startChecked(machine, options, 'StateMachine.startLink', MACHINE_LINK_OPTIONS);
  },

  /**
   * Sends `event` to the machine and returns at once (a cast); always succeeds, even if
   * the process is gone. A plain `runtime.send(pid, event)` does the same through
   * `handleInfo`. Throws `InvalidArgumentError` if `event` has no string `type`.
   */
  send<TMachine extends AnyStateMachine>(
    machine: StateMachineDest<TMachine>,
    event: EventFromLogic<TMachine>,
    options?: CastOptions,
  ): void {
    cast(machine, assertEvent(event), options, 'StateMachine.send');
  },

  /**
   * Sends `event` to the machine and resolves with the snapshot after the transition
   * (the same snapshot when no transition was enabled). Rejects as `GenServer.call`
   * does: `NoProcError` if not alive, `ExitError` with the `Crash` if the event crashed
   * the machine, `TimeoutError` after `timeout` ms (default 5000). When the event
   * reaches a final state, the snapshot (status `'done'`) is the reply and the process
   * then exits `'normal'`.
   *
   * @example
   * const { value } = await StateMachine.call(order, { type: 'pay', amount: 10 });
   */
  call<TMachine extends AnyStateMachine>(
    machine: StateMachineDest<TMachine>,
    event: EventFromLogic<TMachine>,
    timeout: number | CallOptions = 5000,
  ): Promise<SnapshotFrom<TMachine>> {
    try {
      assertEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return call(machine, event, timeout);
  },

  /** The current snapshot, as `GenServer.getState`. Rejects with `NoProcError` if not alive. */
  getSnapshot<TMachine extends AnyStateMachine>(
    machine: StateMachineDest<TMachine>,
    timeout: number | CallOptions = 5000,
  ): Promise<SnapshotFrom<TMachine>> {
    return getState(machine, timeout) as Promise<SnapshotFrom<TMachine>>;
  },

  /**
   * The machine's persisted snapshot (xstate's `getPersistedSnapshot`): JSON-safe, and
   * accepted back as the `snapshot` start option to resume where it was.
   */
  getPersistedSnapshot(
    machine: StateMachineDest<any>,
    timeout: number | CallOptions = 5000,
  ): Promise<Snapshot<unknown>> {
    return call(machine, new PersistRequest(), timeout);
  },

  /**
   * Sends `event` to the machine after `ms` ms of the runtime's clock (the runtime's
   * `sendAfter`); cancel with `runtime.cancelTimer`. A name is resolved when the timer
   * fires; a timer to a PID dies with the process. Inside the machine, prefer xstate's
   * own `after` and delayed `raise`, which run on the process's timers too.
   *
   * @example
   * StateMachine.sendAfter(order, { type: 'expire' }, 30 * 60_000);
   */
  sendAfter<TMachine extends AnyStateMachine>(
    machine: StateMachineDest<TMachine>,
    event: EventFromLogic<TMachine>,
    ms: number,
    options?: CastOptions,
  ): TimerRef {
    checkOptions(options, 'StateMachine.sendAfter', { runtime: RUNTIME_OPTION });
    return runtimeFor(machine, options).sendAfter(machine, assertEvent(event), ms);
  },

  /** Stops the machine's process with `reason` (default `'normal'`), as `GenServer.stop`. */
  stop(
    machine: StateMachineDest<any>,
    reason: unknown = 'normal',
    timeout: number | CallOptions = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    return GenServer.stop(machine, reason, timeout);
  },

  /**
   * A child spec that runs `machine` under a supervisor: id the machine's id, restart
   * `'permanent'`, and a fresh start from the initial state (or `options.snapshot`) on
   * every restart. Also accepts `{ machine, ...options }`, so `[StateMachine, { machine }]`
   * works in a children list.
   *
   * @example
   * await Supervisor.start([
   *   StateMachine.childSpec(orderMachine, { id: 'order-1', input: { orderId: 1 } }),
   *   [StateMachine, { machine: connectionMachine, restart: 'transient' }],
   * ]);
   */
  childSpec<TMachine extends AnyStateMachine>(
    machineOrOptions: TMachine | (StateMachineChildOptions<TMachine> & { machine: TMachine }),
    options: StateMachineChildOptions<TMachine> = {},
  ): ChildSpec {
    const { machine, ...rest } = isMachine(machineOrOptions)
      ? { ...options, machine: machineOrOptions }
      : machineOrOptions;
    checkOptions(rest, 'StateMachine.childSpec', MACHINE_CHILD_OPTIONS);
    const { id, restart, shutdown, backoff, ...start } = rest;
    return {
      id: id ?? machine?.id,
      // A name given with the child (`childSpec(spec, { name })`) wins over the option's.
      start: ({ runtime, self, name }) =>
        startMachine(machine, { ...start, runtime, name: name ?? start.name }, self),
      ...(restart !== undefined && { restart }),
      ...(shutdown !== undefined && { shutdown }),
      ...(backoff !== undefined && { backoff }),
    };
  },
};

const ANY_OPTION = { expected: 'anything', accepts: () => true };

const MACHINE_OPTIONS: OptionChecks = {
  input: ANY_OPTION,
  snapshot: {
    expected: 'a persisted snapshot (from StateMachine.getPersistedSnapshot)',
    accepts: (value) => typeof value === 'object' && value !== null,
  },
  name: START_OPTIONS.name!,
  runtime: START_OPTIONS.runtime!,
  timeout: START_OPTIONS.timeout!,
  mailbox: START_OPTIONS.mailbox!,
  formatStatus: {
    expected: 'a function (snapshot) => what getStatus shows',
    accepts: (value) => typeof value === 'function',
  },
};

const MACHINE_LINK_OPTIONS: OptionChecks = { ...MACHINE_OPTIONS, link: PID_OPTION };

// The supervisor checks the spec's own keys (id, restart, shutdown, backoff).
const { runtime: _runtime, ...MACHINE_START_OPTIONS } = MACHINE_OPTIONS;
const MACHINE_CHILD_OPTIONS: OptionChecks = {
  ...MACHINE_START_OPTIONS,
  id: ANY_OPTION,
  restart: ANY_OPTION,
  shutdown: ANY_OPTION,
  backoff: ANY_OPTION,
};

/** `startMachine` for options from a user: a bad one rejects with `InvalidArgumentError`. */
function startChecked<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: StateMachineLinkOptions<TMachine> | undefined,
  what: string,
  checks: OptionChecks,
): Promise<StateMachineRef<TMachine>> {
  try {
    checkOptions(options, what, checks);
  } catch (error) {
    return Promise.reject(error);
  }
  return startMachine(machine, options ?? {}, options?.link);
}

function startMachine<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: StateMachineOptions<TMachine>,
  link: Pid<any> | undefined,
): Promise<StateMachineRef<TMachine>> {
  if (!isMachine(machine)) {
    return Promise.reject(
      new InvalidArgumentError(
        'machine',
        'an xstate v5 machine (createMachine(…) or setup(…).createMachine(…))',
        machine,
      ),
    );
  }
  const init: MachineInit = {
    machine,
    input: options.input,
    snapshot: options.snapshot,
    formatStatus: options.formatStatus,
  };
  const { runtime, name, timeout, mailbox } = options;
  const label = `StateMachine(${machine.id})`;
  return startServer(
    StateMachineServer<TMachine>,
    init,
    { runtime, name, timeout, mailbox, label, behaviour: 'state_machine' },
    link,
  );
}

function isMachine(value: unknown): value is AnyStateMachine {
  const candidate = value as AnyStateMachine | null | undefined;
  return (
    typeof candidate?.getInitialSnapshot === 'function' &&
    typeof candidate.transition === 'function' &&
    typeof candidate.root === 'object'
  );
}

function isDone(snapshot: unknown): boolean {
  return (snapshot as AnySnapshot).status === 'done';
}

/** True for an object with a string `type`; never throws (a getter or a proxy trap may). */
function isEvent(value: unknown): value is { type: string } {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return typeof (value as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}

/** `value instanceof type`, false where `instanceof` throws (a revoked proxy). */
function isInstance<T>(value: unknown, type: abstract new (...args: any[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

function assertEvent<E>(event: E): E {
  if (!isEvent(event)) {
    throw new InvalidArgumentError(
      'event',
      'an xstate event: an object with a string `type`',
      event,
    );
  }
  return event;
}
