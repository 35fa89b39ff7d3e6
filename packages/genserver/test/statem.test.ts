import {
  Crash,
  ExitError,
  InvalidArgumentError,
  isCrash,
  NoProcError,
  type Pid,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromCallback, fromPromise, setup } from 'xstate';
import { GenServer, StartError, Supervisor } from '../src/index.js';
import { StateMachine } from '../src/statem.js';
import { exitOf, stopRuntimesAfterEach, trackedRuntime, virtualRuntime } from './support.js';

type OrderEvent =
  | { type: 'add' }
  | { type: 'pay'; amount: number }
  | { type: 'ship' }
  | { type: 'cancel' }
  | { type: 'explode' };

const orderMachine = setup({
  types: {} as {
    context: { items: number; paid: number };
    events: OrderEvent;
    input: { items: number } | undefined;
  },
  actions: {
    explode: () => {
      throw new Error('payment gateway exploded');
    },
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({ items: input?.items ?? 0, paid: 0 }),
  initial: 'open',
  states: {
    open: {
      on: {
        add: { actions: assign({ items: ({ context }) => context.items + 1 }) },
        pay: { target: 'paid', actions: assign({ paid: ({ event }) => event.amount }) },
        explode: { actions: 'explode' },
        cancel: 'cancelled',
      },
    },
    paid: { on: { ship: 'shipped' } },
    shipped: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

const connectionMachine = createMachine({
  id: 'connection',
  types: {} as {
    events: { type: 'connect' } | { type: 'connected' } | { type: 'drop' } | { type: 'ping' };
    context: { pings: number };
  },
  context: { pings: 0 },
  initial: 'disconnected',
  states: {
    disconnected: { on: { connect: 'connecting' } },
    connecting: { after: { 1000: 'failed' }, on: { connected: 'connected' } },
    connected: {
      on: {
        drop: 'disconnected',
        ping: { actions: assign({ pings: ({ context }) => context.pings + 1 }) },
      },
    },
    failed: {},
  },
});

stopRuntimesAfterEach();

describe('the module example', () => {
  it('runs as documented', async () => {
    const { runtime, clock } = virtualRuntime();
    const door = createMachine({
      id: 'door',
      initial: 'closed',
      states: {
        closed: { on: { open: 'opened' } },
        opened: { on: { close: 'closed' }, after: { 5000: 'closed' } },
      },
    });

    const pid = await StateMachine.start(door, { runtime });
    const snapshot = await StateMachine.call(pid, { type: 'open' });
    expect(snapshot.value).toBe('opened');
    await clock.advance(5000);
    expect((await StateMachine.getSnapshot(pid)).value).toBe('closed');

    await Supervisor.start([StateMachine.childSpec(door, { name: 'front-door' })], { runtime });
    StateMachine.send<typeof door>('front-door', { type: 'open' }, { runtime });
    expect((await StateMachine.getSnapshot('front-door', { runtime })).value).toBe('opened');
  });
});

describe('StateMachine.start()', () => {
  it('resolves with a PID once the machine is in its initial state, with its input', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime, input: { items: 2 } });
    expect(runtime.isAlive(order)).toBe(true);
    const snapshot = await StateMachine.getSnapshot(order);
    expect(snapshot.value).toBe('open');
    expect(snapshot.context).toEqual({ items: 2, paid: 0 });
    expect(runtime.processInfo(order)?.initialCall).toBe('StateMachine(order)');
  });

  it('registers the process under a name that every function accepts', async () => {
    const runtime = trackedRuntime();
    await StateMachine.start(orderMachine, { runtime, name: 'order' });
    StateMachine.send<typeof orderMachine>('order', { type: 'add' }, { runtime });
    const snapshot = await StateMachine.call<typeof orderMachine>(
      'order',
      { type: 'add' },
      { runtime },
    );
    expect(snapshot.context.items).toBe(2);
  });

  it('rejects with StartError carrying a Crash when the machine errors on entry', async () => {
    const runtime = trackedRuntime();
    const broken = createMachine({
      id: 'broken',
      initial: 'a',
      states: {
        a: {
          entry: () => {
            throw new Error('bad entry');
          },
        },
      },
    });
    const error = await StateMachine.start(broken, { runtime }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    const reason = (error as StartError).reason;
    expect(isCrash(reason) && (reason.error as Error).message).toBe('bad entry');
    expect(runtime.processCount).toBe(0);
  });

  it('rejects with InvalidArgumentError for something that is not a machine', async () => {
    const runtime = trackedRuntime();
    await expect(StateMachine.start({} as never, { runtime })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('StateMachine.call()', () => {
  it('replies with the snapshot after the transition', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    const snapshot = await StateMachine.call(order, { type: 'pay', amount: 30 });
    expect(snapshot.value).toBe('paid');
    expect(snapshot.context.paid).toBe(30);
  });

  it('replies with the unchanged snapshot when no transition is enabled', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    const snapshot = await StateMachine.call(order, { type: 'ship' });
    expect(snapshot.value).toBe('open');
    expect(runtime.isAlive(order)).toBe(true);
  });

  it('rejects with NoProcError when the machine is not running', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    await StateMachine.stop(order);
    await expect(StateMachine.call(order, { type: 'add' })).rejects.toThrow(NoProcError);
  });

  it('rejects with InvalidArgumentError for an event without a type', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    await expect(StateMachine.call(order, { kind: 'add' } as never)).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('StateMachine.send() and plain messages', () => {
  it('feeds a cast to the machine', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    StateMachine.send(order, { type: 'add' });
    StateMachine.send(order, { type: 'add' });
    expect((await StateMachine.getSnapshot(order)).context.items).toBe(2);
  });

  it('feeds a plain message sent to the PID to the machine, in order with casts', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    runtime.send(order, { type: 'add' });
    StateMachine.send(order, { type: 'pay', amount: 5 });
    runtime.send(order, { type: 'add' }); // ignored: 'paid' has no 'add'
    const snapshot = await GenServer.getState(order);
    expect(snapshot.value).toBe('paid');
    expect(snapshot.context).toEqual({ items: 1, paid: 5 });
  });

  it('reports and drops a plain message that is not an event', async () => {
    const runtime = trackedRuntime();
    const reports: unknown[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const order = await StateMachine.start(orderMachine, { runtime });
    runtime.send(order, 'hello');
    expect((await StateMachine.getSnapshot(order)).value).toBe('open');
    expect(reports).toEqual([
      expect.objectContaining({ type: 'unhandled_info', message: 'hello' }),
    ]);
  });

  it('is typed by the machine', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    // @ts-expect-error 'refund' is not an event of the order machine
    StateMachine.send(order, { type: 'refund' });
    // @ts-expect-error 'pay' needs an amount
    StateMachine.send(order, { type: 'pay' });
    const snapshot = await StateMachine.getSnapshot(order);
    const items: number = snapshot.context.items;
    expect(items).toBe(0);
  });
});

describe('errors inside the machine', () => {
  it('crash the process with a Crash carrying the error thrown by an action', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    const exited = exitOf(runtime, order);
    const error = await StateMachine.call(order, { type: 'explode' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExitError);
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect(((reason as Crash).error as Error).message).toBe('payment gateway exploded');
  });

  it('crash the process when an invoked actor fails with no onError', async () => {
    const runtime = trackedRuntime();
    const machine = createMachine({
      id: 'loader',
      initial: 'loading',
      states: {
        loading: {
          invoke: {
            src: fromPromise(async () => {
              throw new Error('database down');
            }),
          },
        },
      },
    });
    const loader = await StateMachine.start(machine, { runtime });
    const reason = await exitOf(runtime, loader);
    expect(isCrash(reason) && (reason.error as Error).message).toBe('database down');
  });

  it('are restarted by a supervisor from the initial state, under a new PID', async () => {
    const runtime = trackedRuntime();
    const sup = await Supervisor.start(
      [StateMachine.childSpec(orderMachine, { id: 'order', input: { items: 1 } })],
      { runtime },
    );
    const [before] = await Supervisor.whichChildren(sup);
    expect(before).toMatchObject({ id: 'order', restart: 'permanent', type: 'worker' });
    const first = before!.pid as Pid<any>;
    await StateMachine.call(first, { type: 'add' });
    expect((await StateMachine.getSnapshot(first)).context.items).toBe(2);

    const crashed = exitOf(runtime, first);
    await expect(StateMachine.call(first, { type: 'explode' })).rejects.toThrow(
      'payment gateway exploded',
    );
    expect(isCrash(await crashed)).toBe(true);

    const [after] = await Supervisor.whichChildren(sup);
    const second = after!.pid as Pid<any>;
    expect(after!.id).toBe('order');
    expect(second).not.toBe(first);
    expect(runtime.isAlive(second)).toBe(true);
    const snapshot = await StateMachine.getSnapshot(second);
    expect(snapshot.value).toBe('open');
    expect(snapshot.context).toEqual({ items: 1, paid: 0 });
    await StateMachine.call(second, { type: 'pay', amount: 3 });
    expect((await StateMachine.getSnapshot(second)).value).toBe('paid');
    await Supervisor.stop(sup);
    expect(runtime.processCount).toBe(0);
  });

  it('restart a [StateMachine, { machine }] child the same way', async () => {
    const runtime = trackedRuntime();
    const sup = await Supervisor.start([[StateMachine, { machine: orderMachine }]], { runtime });
    const [child] = await Supervisor.whichChildren(sup);
    expect(child!.id).toBe('order');
    await StateMachine.call(child!.pid as Pid<any>, { type: 'explode' }).catch(() => {});
    const [restarted] = await Supervisor.whichChildren(sup);
    expect(restarted!.pid).not.toBe(child!.pid);
    expect(runtime.isAlive(restarted!.pid as Pid<any>)).toBe(true);
  });
});

describe('final states', () => {
  it('exit the process normal, after replying with the done snapshot', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    const exited = exitOf(runtime, order);
    await StateMachine.call(order, { type: 'pay', amount: 1 });
    const snapshot = await StateMachine.call(order, { type: 'ship' });
    expect(snapshot.status).toBe('done');
    expect(snapshot.value).toBe('shipped');
    expect(await exited).toBe('normal');
  });

  it('exit normal when reached through a cast, as a monitor sees it', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    const watcher = runtime.spawn(async (ctx) => {
      ctx.monitor(order);
      StateMachine.send(order, { type: 'cancel' });
      const down = await ctx.receive();
      return down;
    });
    const reason = await new Promise((resolve) => runtime.watch(watcher, resolve));
    expect(reason).toBe('normal');
    expect(runtime.isAlive(order)).toBe(false);
  });

  it('exit normal when an invoked actor moves the machine to its final state', async () => {
    const runtime = trackedRuntime();
    const machine = createMachine({
      id: 'job',
      initial: 'working',
      states: {
        working: { invoke: { src: fromPromise(async () => 42), onDone: 'finished' } },
        finished: { type: 'final' },
      },
    });
    const job = await StateMachine.start(machine, { runtime });
    expect(await exitOf(runtime, job)).toBe('normal');
  });

  it('are not restarted for a transient child', async () => {
    const runtime = trackedRuntime();
    const sup = await Supervisor.start(
      [StateMachine.childSpec(orderMachine, { restart: 'transient' })],
      { runtime },
    );
    const [child] = await Supervisor.whichChildren(sup);
    await StateMachine.call(child!.pid as Pid<any>, { type: 'cancel' });
    const [after] = await Supervisor.whichChildren(sup);
    expect(after).toMatchObject({ id: 'order', pid: undefined, restart: 'transient' });
  });
});

describe('timers', () => {
  it('StateMachine.sendAfter delivers the event on the runtime clock', async () => {
    const { runtime, clock } = virtualRuntime();
    const conn = await StateMachine.start(connectionMachine, { runtime });
    StateMachine.sendAfter(conn, { type: 'connect' }, 500);
    await clock.advance(499);
    expect((await StateMachine.getSnapshot(conn)).value).toBe('disconnected');
    await clock.advance(1);
    expect((await StateMachine.getSnapshot(conn)).value).toBe('connecting');
  });

  it("runs xstate's `after` transitions on the process's own timers", async () => {
    const { runtime, clock } = virtualRuntime();
    const conn = await StateMachine.start(connectionMachine, { runtime });
    await StateMachine.call(conn, { type: 'connect' });
    expect(runtime.processInfo(conn)?.pendingTimers).toBe(1);
    await clock.advance(1000);
    expect((await StateMachine.getSnapshot(conn)).value).toBe('failed');
  });

  it('cancels an `after` transition when its state is left first', async () => {
    const { runtime, clock } = virtualRuntime();
    const conn = await StateMachine.start(connectionMachine, { runtime });
    await StateMachine.call(conn, { type: 'connect' });
    await clock.advance(999);
    await StateMachine.call(conn, { type: 'connected' });
    expect(runtime.processInfo(conn)?.pendingTimers).toBe(0);
    await clock.advance(5000);
    expect((await StateMachine.getSnapshot(conn)).value).toBe('connected');
  });

  it('does not fire a delayed event cancelled after its message was queued', async () => {
    const { runtime, clock } = virtualRuntime();
    const conn = await StateMachine.start(connectionMachine, { runtime });
    // Due in the same millisecond as the `after` timer, set before it: at t=1000 these
    // three are queued ahead of the timer's message, and 'connected' cancels it too late
    // for the runtime timer.
    StateMachine.sendAfter(conn, { type: 'connected' }, 1000);
    StateMachine.sendAfter(conn, { type: 'drop' }, 1000);
    StateMachine.sendAfter(conn, { type: 'connect' }, 1000);
    await StateMachine.call(conn, { type: 'connect' });
    await clock.advance(1000);
    // The second 'connect' armed a fresh timer; the stale one must not end it early.
    expect((await StateMachine.getSnapshot(conn)).value).toBe('connecting');
    await clock.advance(1000);
    expect((await StateMachine.getSnapshot(conn)).value).toBe('failed');
  });
});

describe('the xstate actor', () => {
  function watchedMachine(onStop: () => void) {
    return createMachine({
      id: 'watched',
      initial: 'live',
      states: { live: { invoke: { src: fromCallback(() => onStop) } } },
    });
  }

  it('stops when the process is killed', async () => {
    const runtime = trackedRuntime();
    let stopped = 0;
    const pid = await StateMachine.start(
      watchedMachine(() => stopped++),
      { runtime },
    );
    expect(stopped).toBe(0);
    runtime.exit(pid, 'kill');
    expect(stopped).toBe(1);
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('stops when the process is stopped, or shut down by its supervisor', async () => {
    const runtime = trackedRuntime();
    let stopped = 0;
    const pid = await StateMachine.start(
      watchedMachine(() => stopped++),
      { runtime },
    );
    await StateMachine.stop(pid);
    expect(stopped).toBe(1);
    const sup = await Supervisor.start([StateMachine.childSpec(watchedMachine(() => stopped++))], {
      runtime,
    });
    await Supervisor.stop(sup);
    expect(stopped).toBe(2);
  });
});

describe('introspection', () => {
  it('getStatus shows value, status and context unless formatStatus says otherwise', async () => {
    const runtime = trackedRuntime();
    const plain = await StateMachine.start(orderMachine, { runtime });
    expect((await GenServer.getStatus(plain)).state).toEqual({
      value: 'open',
      status: 'active',
      context: { items: 0, paid: 0 },
    });
    const hidden = await StateMachine.start(orderMachine, {
      runtime,
      formatStatus: (snapshot) => ({ value: snapshot.value, context: '<hidden>' }),
    });
    expect((await GenServer.getStatus(hidden)).state).toEqual({
      value: 'open',
      context: '<hidden>',
    });
  });

  it('getPersistedSnapshot resumes a machine where it was', async () => {
    const runtime = trackedRuntime();
    const order = await StateMachine.start(orderMachine, { runtime });
    await StateMachine.call(order, { type: 'add' });
    await StateMachine.call(order, { type: 'pay', amount: 7 });
    const persisted = await StateMachine.getPersistedSnapshot(order);
    const copy = await StateMachine.start(orderMachine, {
      runtime,
      snapshot: JSON.parse(JSON.stringify(persisted)),
    });
    const snapshot = await StateMachine.getSnapshot(copy);
    expect(snapshot.value).toBe('paid');
    expect(snapshot.context).toEqual({ items: 1, paid: 7 });
  });
});
