// System requests (OTP's :sys messages: getStatus, getState, replaceState, stop) read or
// steer a server without changing what it does. Issue #12 item 3: a formatStatus that
// threw killed the server, and a status read on a full 'drop-oldest' mailbox pushed out
// one of its messages.
import {
  ActorkitError,
  type MailboxOverflowEvent,
  type OverflowPolicy,
  type Runtime,
  type VirtualClock,
} from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { type Call, type From, GenServer, noreply, ok, reply, StateMachine } from '../src/index.js';
import { deferred, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

type Secret = { user: string; key: string };

/** Its formatStatus throws: the status read must still answer, and hide the state. */
class Fragile extends GenServer<Secret, Call<'user', string>> {
  init(state: Secret) {
    return ok(state);
  }
  override handleCall(_request: Call<'user', string>, _from: From, state: Secret) {
    return reply(state.user, state);
  }
  override formatStatus(): unknown {
    throw new Error('cannot format');
  }
}

/** A server whose casts wait for `gate` (so its mailbox fills) and are recorded in order. */
class Queue extends GenServer<number[], Call<'seen', number[]>, number> {
  static gate = Promise.resolve();

  init() {
    return ok([] as number[]);
  }
  override handleCall(_request: Call<'seen', number[]>, _from: From, seen: number[]) {
    return reply(seen, seen);
  }
  override async handleCast(n: number, seen: number[]) {
    await Queue.gate;
    return noreply([...seen, n]);
  }
}

/** A Queue with a bounded mailbox, busy with cast 0, then holding casts 1…queued (default: full). */
async function fullQueue(
  runtime: Runtime,
  clock: VirtualClock,
  capacity: number,
  overflow: OverflowPolicy,
  queued = capacity,
) {
  const gate = deferred();
  Queue.gate = gate.promise;
  const overflows: MailboxOverflowEvent[] = [];
  runtime.events.on('mailboxOverflow', (event) => overflows.push(event));
  const server = await GenServer.start(Queue, undefined, {
    runtime,
    mailbox: { capacity, overflow },
  });
  GenServer.cast(server, 0);
  await clock.settle();
  for (let n = 1; n <= queued; n++) GenServer.cast(server, n);
  return { server, overflows, open: () => gate.resolve() };
}

describe('GenServer.getStatus()', () => {
  it('answers with a placeholder when formatStatus throws, and the server lives on', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Fragile, { user: 'ada', key: 'sk-1' }, { runtime });
    const status = await GenServer.getStatus(server);
    expect(status.pid).toBe(server);
    expect(status.module).toBe('Fragile');
    expect(status.state).toBe(
      'Fragile.formatStatus threw Error: cannot format; the state is not shown.',
    );
    expect(JSON.stringify(status)).not.toContain('sk-1');
    expect(runtime.isAlive(server)).toBe(true);
    expect(await GenServer.call(server, { type: 'user' })).toBe('ada');
  });

  it('shows a StateMachine whose formatStatus throws with a placeholder too', async () => {
    const { runtime } = virtualRuntime();
    const machine = createMachine({ id: 'm', initial: 'a', states: { a: {} } });
    const pid = await StateMachine.start(machine, {
      runtime,
      formatStatus: () => {
        throw new TypeError('no');
      },
    });
    expect((await GenServer.getStatus(pid)).state).toContain('formatStatus threw TypeError: no');
    expect(runtime.isAlive(pid)).toBe(true);
  });

  it('names the module GenServer when its class name cannot be read', async () => {
    const { runtime } = virtualRuntime();
    class Nameless extends GenServer<number> {
      static override get name(): string {
        throw new Error('no name');
      }
      init() {
        return ok(1);
      }
    }
    const server = await GenServer.start(Nameless, undefined, { runtime });
    expect(await GenServer.getStatus(server)).toEqual({
      pid: server,
      module: 'GenServer',
      state: 1,
    });
  });

  it.each(['drop-oldest', 'drop-newest', 'reject'] as const)(
    'on a full %s mailbox pushes out no message, and is answered in turn',
    async (overflow) => {
      const { runtime, clock } = virtualRuntime();
      const { server, overflows, open } = await fullQueue(runtime, clock, 3, overflow);
      const status = GenServer.getStatus(server);
      expect(overflows).toEqual([]);
      open();
      expect((await status).state).toEqual([0, 1, 2, 3]);
      expect(await GenServer.call(server, { type: 'seen' })).toEqual([0, 1, 2, 3]);
    },
  );

  it('takes no place of the capacity: while it waits, the server still holds capacity messages of its own', async () => {
    const { runtime, clock } = virtualRuntime();
    const { server, overflows, open } = await fullQueue(runtime, clock, 2, 'drop-newest', 1);
    const status = GenServer.getStatus(server);
    GenServer.cast(server, 2); // fits: the status request is beside the capacity
    GenServer.cast(server, 3); // full with 1 and 2: dropped
    expect(overflows.map((event) => event.message)).toEqual(
      [3].map((n) => expect.objectContaining({ request: n })),
    );
    open();
    expect((await status).state).toEqual([0, 1]);
    expect(await GenServer.call(server, { type: 'seen' })).toEqual([0, 1, 2]);
  });
});

describe('GenServer.replaceState()', () => {
  it('rejects when the update throws, keeps the state, and the server lives on', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Fragile, { user: 'ada', key: 'k' }, { runtime });
    const boom = new Error('bad update');
    const error = await rejection(
      GenServer.replaceState(server, () => {
        throw boom;
      }),
    );
    expect(error).toBeInstanceOf(ActorkitError);
    expect((error as ActorkitError).code).toBe('REPLACE_STATE_FAILED');
    expect((error as ActorkitError).message).toContain('Error: bad update');
    expect((error as Error).cause).toBe(boom);
    expect(runtime.isAlive(server)).toBe(true);
    expect(await GenServer.getState(server)).toEqual({ user: 'ada', key: 'k' });
  });
});

describe('GenServer.stop()', () => {
  it('stops a server whose drop-newest mailbox is full (the request is never dropped)', async () => {
    const { runtime, clock } = virtualRuntime();
    const { server, open } = await fullQueue(runtime, clock, 2, 'drop-newest');
    const stopped = GenServer.stop(server, 'normal');
    open();
    await stopped;
    expect(runtime.isAlive(server)).toBe(false);
  });

  it('resolves for a reason of NaN, which is not === to itself', async () => {
    const { runtime } = virtualRuntime();
    const server = await GenServer.start(Fragile, { user: 'a', key: 'b' }, { runtime });
    await GenServer.stop(server, Number.NaN);
    expect(runtime.isAlive(server)).toBe(false);
  });
});

describe('messages that cannot be inspected', () => {
  it('hands a revoked proxy to handleInfo instead of crashing the server', async () => {
    const { runtime, clock } = virtualRuntime();
    const infos: unknown[] = [];
    class Listener extends GenServer<number, Call<'n', number>, never, unknown> {
      init() {
        return ok(0);
      }
      override handleCall(_request: Call<'n', number>, _from: From, n: number) {
        return reply(n, n);
      }
      override handleInfo(message: unknown, n: number) {
        infos.push(message);
        return noreply(n + 1);
      }
    }
    const server = await GenServer.start(Listener, undefined, { runtime });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    runtime.send(server, proxy);
    await clock.settle();
    // (Not toEqual: comparing a revoked proxy throws.)
    expect(infos).toHaveLength(1);
    expect(infos[0] === proxy).toBe(true);
    expect(await GenServer.call(server, { type: 'n' })).toBe(1);
  });
});
