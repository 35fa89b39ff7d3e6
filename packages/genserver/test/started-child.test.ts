import type { Pid } from '@actorkit/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ChildSpec,
  ChildSpecError,
  childSpec,
  DynamicSupervisor,
  GenServer,
  ok,
  type StartedChild,
  Supervisor,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// A child's start may resolve with { pid, info }, OTP's {ok, Pid, Info}: the supervisor
// keeps the PID and hands the info to whoever called startChild or restartChild.

class Idle extends GenServer<number> {
  init(port: number) {
    return ok(port);
  }
}

interface Listening {
  port: number;
}

/** A child whose start reports the port it listens on, a new one at each start. */
function listener(id: string, ports: number[] = [4000]): ChildSpec<StartedChild<Listening>> {
  let next = 0;
  return {
    id,
    start: async ({ runtime, self, name }) => {
      const port = ports[next++ % ports.length]!;
      const pid = await GenServer.startLink(Idle, port, { runtime, link: self, name });
      return { pid, info: { port } };
    },
  };
}

/** A child whose start resolves with `value`, after starting a process it does not list. */
function resolvesWith(id: string, value: (pid: Pid<any>) => unknown): ChildSpec<StartedChild> {
  return {
    id,
    start: async ({ runtime, self }) =>
      value(runtime.spawn({ handle() {} }, { link: self })) as StartedChild,
  };
}

async function pidOf(sup: Pid<any>, id: string): Promise<unknown> {
  return (await Supervisor.whichChildren(sup)).find((c) => c.id === id)?.pid;
}

stopRuntimesAfterEach();

describe('Supervisor.startChild() with a start that returns info', () => {
  it('resolves with { pid, info } and supervises the PID', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const started = await Supervisor.startChild(sup, listener('web'));
    expectTypeOf(started).toEqualTypeOf<StartedChild<Listening> | undefined>();
    expect(started).toEqual({ pid: expect.anything(), info: { port: 4000 } });
    expect(await pidOf(sup, 'web')).toBe(started!.pid);
    expect(runtime.processInfo(started!.pid)?.parent).toBe(sup);
  });

  it('still resolves with the bare PID for a start that returns one', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const pid = await Supervisor.startChild(sup, [Idle, 1]);
    expectTypeOf(pid).toEqualTypeOf<Pid<any> | undefined>();
    expect(runtime.isAlive(pid!)).toBe(true);
    expect(await pidOf(sup, 'Idle')).toBe(pid);
  });

  it('keeps the info away from the supervisor: a crash restarts the child, the new info goes nowhere', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([listener('web', [4000, 4001])], { runtime });
    const first = (await pidOf(sup, 'web')) as Pid<any>;
    runtime.exit(first, 'boom');
    await clock.settle();
    const second = (await pidOf(sup, 'web')) as Pid<any>;
    expect(second).not.toBe(first);
    await expect(GenServer.getState(second)).resolves.toBe(4001);
  });

  it('registers a named child with info under its name', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const started = await Supervisor.startChild(sup, childSpec(listener('web'), { name: 'web' }));
    expect(started?.info).toEqual({ port: 4000 });
    expect(runtime.whereis('web')).toBe(started!.pid);
  });

  it('takes { pid } without info, and resolves with info undefined', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const started = await Supervisor.startChild(
      sup,
      resolvesWith('x', (pid) => ({ pid })),
    );
    expect(started).toEqual({ pid: await pidOf(sup, 'x'), info: undefined });
  });

  it.each<[string, (pid: Pid<any>) => unknown]>([
    ['an extra key', (pid) => ({ pid, info: 1, extra: 2 })],
    ['info without a pid', () => ({ info: 1 })],
    ['a pid that is not a PID', (pid) => ({ pid: String(pid), info: 1 })],
    ['a tuple [pid, info]', (pid) => [pid, 1]],
    [
      'a pid behind a getter',
      (pid) => ({
        get pid() {
          return pid;
        },
      }),
    ],
    // (A revoked proxy cannot be resolved at all: reading its `then` throws, so the
    // start rejects with that TypeError, as any rejecting start does.)
    [
      'a proxy whose getOwnPropertyDescriptor trap throws',
      (pid) =>
        new Proxy(
          { pid, info: 1 },
          {
            getOwnPropertyDescriptor() {
              throw new Error('getOwnPropertyDescriptor');
            },
          },
        ),
    ],
    [
      'a proxy whose ownKeys trap throws',
      (pid) =>
        new Proxy(
          { pid, info: 1 },
          {
            ownKeys() {
              throw new Error('ownKeys');
            },
          },
        ),
    ],
  ])('rejects %s with ChildSpecError and keeps no spec', async (_label, value) => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    const error = await rejection(Supervisor.startChild(sup, resolvesWith('bad', value)));
    expect(error).toBeInstanceOf(ChildSpecError);
    expect((error as Error).message).toMatch(
      /child spec "bad": start resolved with .*, not a PID\. .*or \{ pid, info \} to hand info to the caller of startChild/,
    );
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
    expect(runtime.isAlive(sup)).toBe(true);
  });
});

describe('Supervisor.restartChild() with a start that returns info', () => {
  it('resolves with the info of the new start', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([listener('web', [4000, 4001])], { runtime });
    await Supervisor.terminateChild(sup, 'web');
    const started = await Supervisor.restartChild<StartedChild<Listening>>(sup, 'web');
    expect(started?.info).toEqual({ port: 4001 });
    expect(await pidOf(sup, 'web')).toBe(started!.pid);
  });
});

describe('DynamicSupervisor.startChild() with a start that returns info', () => {
  it("resolves with { pid, info }, as Elixir's {:ok, pid, info}", async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const started = await DynamicSupervisor.startChild(sup, listener('web', [5000]));
    expectTypeOf(started).toEqualTypeOf<StartedChild<Listening> | undefined>();
    expect(started?.info).toEqual({ port: 5000 });
    const [child] = await DynamicSupervisor.whichChildren(sup);
    expect(child?.pid).toBe(started!.pid);
  });

  it('rejects a malformed { pid, info } with ChildSpecError and stays up', async () => {
    const { runtime } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const error = await rejection(
      DynamicSupervisor.startChild(
        sup,
        resolvesWith('bad', (pid) => ({ pid, info: 1, extra: 2 })),
      ),
    );
    expect(error).toBeInstanceOf(ChildSpecError);
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ specs: 0, active: 0 });
  });
});

describe('Supervisor.start() with children whose start returns info', () => {
  it('starts them, dropping the info as OTP does for the children of init', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([listener('a'), [Idle, 2]], { runtime });
    expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 2, active: 2 });
  });
});
