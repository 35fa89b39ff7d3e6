// Issue #12, item 2, for the behaviours: with a crash reason, exit signal or stop reason
// that cannot be formatted naively, Task.await never settled, GenServer.stop never
// resolved, and GenServer.call waited out its whole timeout. Here every hand-made hostile
// value and any fast-check value goes through GenServers, Tasks (yieldMany and ignore
// too), Agents and supervisors as crash reason, exit signal, stop reason, call reply,
// agent state and message: every awaited API settles on
// a virtual clock that never moves (so none waited for a timeout), no unhandled rejection
// or uncaught exception is seen, and a fresh echo GenServer answers afterwards.
import {
  Crash,
  ExitError,
  InvalidArgumentError,
  isCrash,
  type Pid,
  type Runtime,
  Runtime as RuntimeClass,
  VirtualClock,
} from '@actorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  anyOrHostile,
  hostileValues,
  letNodeReport,
  watchNode,
} from '../../core/test/hostile-values.js';
import {
  Agent,
  ChildError,
  ChildSpecError,
  DynamicSupervisor,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  StartError,
  StateMachine,
  Supervisor,
  stop,
  Task,
  TaskSupervisor,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });
const node = watchNode();

// Built once: the runtime never changes them, and some are big (a 10 MB string).
const hostile = hostileValues();

/** What a request to `Victim` asks it to do with `value`. */
type Order =
  | { kind: 'throw' | 'stop' | 'exit' | 'reply'; value: unknown }
  | { kind: 'wait' | 'ping' };

/** A server that does with a value what it is asked: throw it, stop or exit with it, reply it. */
class Victim extends GenServer<number, Order, unknown, unknown> {
  init() {
    return ok(0);
  }
  override handleCall(order: Order, _from: From, n: number) {
    switch (order.kind) {
      case 'throw':
        throw order.value;
      case 'stop':
        return stop(order.value, n);
      case 'exit':
        return this.ctx.exit(order.value);
      case 'reply':
        return reply(order.value, n);
      case 'wait':
        return noreply(n);
      case 'ping':
        return reply(n, n);
    }
  }
  override handleCast(_request: unknown, n: number) {
    return noreply(n + 1);
  }
  override handleInfo(_message: unknown, n: number) {
    return noreply(n + 1);
  }
}

class Echo extends GenServer<null, string> {
  init() {
    return ok(null);
  }
  override handleCall(text: string, _from: From, state: null) {
    return reply(text.toUpperCase(), state);
  }
}

const PENDING: unique symbol = Symbol('pending');
type Outcome = { fulfilled: unknown } | { rejected: unknown } | typeof PENDING;

/**
 * How `promise` stands once the runtime has nothing left to do, without moving the
 * virtual clock: a promise still pending then would only settle at a timeout, if ever.
 */
async function outcomeOf(clock: VirtualClock, promise: Promise<unknown>): Promise<Outcome> {
  const settled = promise.then(
    (value) => ({ fulfilled: value }),
    (error: unknown) => ({ rejected: error }),
  );
  const idle = clock.settle().then((): typeof PENDING => PENDING);
  return Promise.race([settled, idle]);
}

/** Expects `promise` to settle without the clock moving; returns how. */
async function settles(clock: VirtualClock, promise: Promise<unknown>): Promise<Outcome> {
  const outcome = await outcomeOf(clock, promise);
  expect(outcome, 'still pending: it would wait for a timeout').not.toBe(PENDING);
  return outcome;
}

/** Expects a rejection with an ExitError whose reason passes `reason`. */
function expectExit(outcome: Outcome, reason: (actual: unknown) => boolean): void {
  expect(outcome !== PENDING && 'rejected' in outcome).toBe(true);
  const error = (outcome as { rejected: unknown }).rejected;
  expect(error).toBeInstanceOf(ExitError);
  expect(reason((error as ExitError).reason)).toBe(true);
  expect(typeof (error as ExitError).message).toBe('string');
}

const crashOf = (value: unknown) => (reason: unknown) =>
  isCrash(reason) && Object.is(reason.error, value);
const exactly = (value: unknown) => (reason: unknown) => Object.is(reason, value);

/** A fresh echo GenServer starts and answers: the runtime still works. */
async function echoAnswers(runtime: Runtime, clock: VirtualClock): Promise<void> {
  const started = GenServer.start(Echo, undefined, { runtime });
  const server = (await settles(clock, started)) as { fulfilled: Pid<any> };
  const answer = await settles(clock, GenServer.call(server.fulfilled, 'still alive'));
  expect(answer).toEqual({ fulfilled: 'STILL ALIVE' });
}

async function startVictim(runtime: Runtime, clock: VirtualClock): Promise<Pid<any>> {
  const started = await settles(clock, GenServer.start(Victim, undefined, { runtime }));
  return (started as { fulfilled: Pid<any> }).fulfilled;
}

/** A reason the exit signal ends a non-trapping process with (not 'normal', not 'kill'). */
const ends = (reason: unknown) => reason !== 'normal' && reason !== 'kill';

// ---- the scenarios, each for one value ----

async function crashInCall(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  expectExit(
    await settles(clock, GenServer.call(server, { kind: 'throw', value })),
    crashOf(value),
  );
}

async function stopFromCall(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  expectExit(await settles(clock, GenServer.call(server, { kind: 'stop', value })), exactly(value));
  const exiting = await startVictim(runtime, clock);
  const exited = await settles(clock, GenServer.call(exiting, { kind: 'exit', value }));
  expectExit(exited, exactly(value));
}

async function hostileReply(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  const outcome = await settles(clock, GenServer.call(server, { kind: 'reply', value }));
  // A reply is resolved as any promise value is: one whose `then` cannot be read rejects.
  if (outcome !== PENDING && 'fulfilled' in outcome) {
    expect(Object.is(outcome.fulfilled, value)).toBe(true);
  }
  expect(await settles(clock, GenServer.call(server, { kind: 'ping' }))).toEqual({ fulfilled: 0 });
}

async function stopWith(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  expect(await settles(clock, GenServer.stop(server, value))).toEqual({ fulfilled: undefined });
  expect(runtime.isAlive(server)).toBe(false);
}

async function exitSignal(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  const waiting = GenServer.call(server, { kind: 'wait' }, Number.POSITIVE_INFINITY);
  runtime.exit(server, value);
  if (ends(value)) expectExit(await settles(clock, waiting), exactly(value));
  else await settles(clock, GenServer.stop(server, 'shutdown'));
}

async function messages(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const server = await startVictim(runtime, clock);
  runtime.send(server, value);
  GenServer.cast(server, value);
  expect(await settles(clock, GenServer.call(server, { kind: 'ping' }))).toEqual({ fulfilled: 2 });
}

async function tasks(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const thrower = () => {
    throw value;
  };
  expectExit(await settles(clock, Task.await(Task.async(thrower, { runtime }))), crashOf(value));
  const yielded = await settles(clock, Task.yield(Task.async(thrower, { runtime })));
  const result = (yielded as { fulfilled: { exit: unknown } }).fulfilled;
  expect(crashOf(value)(result.exit)).toBe(true);
  const stream = Task.asyncStream([1], thrower, { runtime });
  expectExit(await settles(clock, stream.next()), crashOf(value));
  const exiting = Task.async((ctx) => ctx.exit(value), { runtime });
  expectExit(await settles(clock, Task.await(exiting)), exactly(value));
  const signalled = Task.async((ctx) => ctx.receive(), { runtime });
  await clock.settle();
  runtime.exit(signalled.pid, value);
  if (ends(value)) expectExit(await settles(clock, Task.await(signalled)), exactly(value));
  else await settles(clock, Task.shutdown(signalled, 'brutal_kill'));
}

async function supervised(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const started = Supervisor.start(
    [
      {
        id: 'victim',
        start: ({ runtime, self }) =>
          GenServer.startLink(Victim, undefined, { runtime, link: self }),
      },
    ],
    { runtime, maxRestarts: 1000, maxSeconds: 1 },
  );
  const supervisor = ((await settles(clock, started)) as { fulfilled: Pid<any> }).fulfilled;
  const children = async () =>
    (
      (await settles(clock, Supervisor.whichChildren(supervisor, { runtime }))) as {
        fulfilled: { pid: unknown }[];
      }
    ).fulfilled;
  const first = (await children())[0]!.pid as Pid<any>;
  expectExit(await settles(clock, GenServer.call(first, { kind: 'throw', value })), crashOf(value));
  const second = (await children())[0]!.pid as Pid<any>;
  expect(runtime.isAlive(supervisor)).toBe(true);
  expect(second).not.toBe(first);
  expectExit(await settles(clock, GenServer.call(second, { kind: 'stop', value })), exactly(value));
  expect(runtime.isAlive(supervisor)).toBe(true);

  const dynamic = await settles(clock, DynamicSupervisor.start({ runtime }));
  const dsup = (dynamic as { fulfilled: Pid<any> }).fulfilled;
  const failing = DynamicSupervisor.startChild(dsup, {
    id: 'x',
    start: () => Promise.reject(value),
  });
  const failed = await settles(clock, failing);
  expect(failed !== PENDING && 'rejected' in failed).toBe(true);
  expect(runtime.isAlive(dsup)).toBe(true);

  const tasksup = await settles(clock, TaskSupervisor.start({ runtime }));
  const tsup = (tasksup as { fulfilled: Pid<any> }).fulfilled;
  const task = await settles(
    clock,
    TaskSupervisor.asyncNolink(tsup, () => {
      throw value;
    }),
  );
  const yielded = await settles(clock, Task.yield((task as { fulfilled: Task }).fulfilled));
  expect(crashOf(value)((yielded as { fulfilled: { exit: unknown } }).fulfilled.exit)).toBe(true);
  expect(runtime.isAlive(tsup)).toBe(true);
}

async function agent(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const started = await settles(
    clock,
    Agent.start(() => value, { runtime }),
  );
  const pid = (started as { fulfilled: Pid<any> }).fulfilled;
  const holds = () =>
    settles(
      clock,
      Agent.get(pid, (state) => Object.is(state, value)),
    );
  expect(await holds()).toEqual({ fulfilled: true });
  // As any call reply: it settles (one whose `then` cannot be read rejects).
  await settles(
    clock,
    Agent.get(pid, (state) => state),
  );
  await settles(
    clock,
    Agent.update(pid, () => 0),
  );
  expect(
    await settles(
      clock,
      Agent.getAndUpdate(pid, () => [0, value]),
    ),
  ).toEqual({
    fulfilled: 0,
  });
  expect(await holds()).toEqual({ fulfilled: true });
  Agent.cast(pid, () => value);
  expect(await holds()).toEqual({ fulfilled: true });
  const thrower = () => {
    throw value;
  };
  expectExit(await settles(clock, Agent.get(pid, thrower)), crashOf(value));
  const stopped = await settles(
    clock,
    Agent.start(() => 0, { runtime }),
  );
  const other = (stopped as { fulfilled: Pid<any> }).fulfilled;
  expect(await settles(clock, Agent.stop(other, value))).toEqual({ fulfilled: undefined });
}

async function yieldMany(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const crashing = Task.async(
    () => {
      throw value;
    },
    { runtime },
  );
  const exiting = Task.async((ctx) => ctx.exit(value), { runtime });
  const waiting = Task.async((ctx) => ctx.receive(), { runtime });
  const limited = Task.yieldMany([crashing, exiting, waiting], {
    timeout: Number.POSITIVE_INFINITY,
    limit: 2,
  });
  const results = (await settles(clock, limited)) as {
    fulfilled: [unknown, { exit: unknown } | undefined][];
  };
  expect(crashOf(value)(results.fulfilled[0]![1]!.exit)).toBe(true);
  expect(exactly(value)(results.fulfilled[1]![1]!.exit)).toBe(true);
  expect(results.fulfilled[2]![1]).toBeUndefined();
  runtime.exit(waiting.pid, value);
  await clock.settle();
  const ignored = Task.ignore(waiting);
  if (ends(value)) expect(exactly(value)(ignored && 'exit' in ignored && ignored.exit)).toBe(true);
  // Killed by kill_task: no outcome, as Elixir's shutdown(task, :brutal_kill) answers nil.
  const killed = Task.async((ctx) => ctx.receive(), { runtime });
  const timedOut = Task.yieldMany([killed], { timeout: 0, onTimeout: 'kill_task' });
  expect(await settles(clock, timedOut)).toEqual({ fulfilled: [[killed, undefined]] });
  expect(runtime.isAlive(killed.pid)).toBe(false);
}

const toggle = createMachine({
  id: 'toggle',
  initial: 'off',
  states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } },
});

async function stateMachine(runtime: Runtime, clock: VirtualClock, value: unknown) {
  const started = await settles(clock, StateMachine.start(toggle, { runtime }));
  const machine = (started as { fulfilled: Pid<any> }).fulfilled;
  runtime.send(machine, value);
  try {
    StateMachine.send(machine, value as never);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
  }
  const snapshot = await settles(clock, StateMachine.call(machine, { type: 'flip' }));
  // 'on', unless the value was itself a { type: 'flip' } event.
  expect(['on', 'off']).toContain((snapshot as { fulfilled: { value: unknown } }).fulfilled.value);
  // As a call request it is refused (the process crashes, as OTP's would), or answered.
  await settles(clock, GenServer.call(machine, value));
}

const scenarios = {
  'a crash reason from handleCall': crashInCall,
  'a stop reason and ctx.exit reason from handleCall': stopFromCall,
  'a call reply': hostileReply,
  'a GenServer.stop reason': stopWith,
  'an exit signal to a server': exitSignal,
  'a message and a cast': messages,
  'a task crash reason and exit signal': tasks,
  'a supervised child crash, stop and start failure': supervised,
  'a message and an event to a state machine': stateMachine,
  "an agent's state, reply, crash and stop reason": agent,
  "a yielded task's crash reason and exit signal": yieldMany,
};

describe('hostile values through GenServers, Tasks and supervisors', () => {
  for (const [scenario, run] of Object.entries(scenarios)) {
    it.each(hostile.map((h) => [h.label, h.value] as const))(
      `settles every API with %s as ${scenario}, and a new server answers`,
      async (_label, value) => {
        const { runtime, clock } = virtualRuntime();
        await run(runtime, clock, value);
        await echoAnswers(runtime, clock);
        await node.assertQuiet();
      },
    );
  }

  it('settles every API for any value in any role, and a new server answers (property)', async () => {
    const runs = Object.values(scenarios);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: runs.length - 1 }), anyOrHostile, async (i, { value }) => {
        const clock = new VirtualClock();
        const runtime = new RuntimeClass({ clock });
        try {
          await runs[i]!(runtime, clock, value);
          await echoAnswers(runtime, clock);
        } finally {
          await runtime.stop({ timeout: 0 });
        }
      }),
      { numRuns: 200 },
    );
    await letNodeReport();
    await node.assertQuiet();
  });
});

describe('the errors of @actorkit/genserver', () => {
  it('build their message from any value without throwing (property)', () => {
    fc.assert(
      fc.property(anyOrHostile, ({ value }) => {
        const errors = [
          new StartError(value, 'Victim'),
          new StartError(new Crash(value), value as string),
          new ChildSpecError(value as string),
          new ChildError(value as 'not_found', value as string),
          new ExitError(value, { toString: () => '#PID<0.1.0>' }),
        ];
        for (const error of errors) {
          expect(typeof error.message).toBe('string');
          expect(typeof error.code).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });
});
