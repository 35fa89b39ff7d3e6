// Ported from Elixir's agent_test.exs, and Agent's documented behaviour.
import { ExitError, InvalidArgumentError, type Pid, TimeoutError } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { Agent, Supervisor } from '../src/index.js';
import { deferred, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

describe('Agent.start() and startLink()', () => {
  it('runs the get/update/getAndUpdate/stop workflow on an unregistered agent', async () => {
    const { runtime } = virtualRuntime();
    const parent = runtime.spawn((ctx) => ctx.receive());
    const pid = await Agent.startLink(() => new Map<string, string>(), { runtime, link: parent });
    expect(runtime.processInfo(parent)?.links).toContainEqual(pid);
    expect(await Agent.update(pid, (map) => new Map([...map, ['hello', 'world']]))).toBeUndefined();
    expect(await Agent.get(pid, (map) => map.get('hello'), 3000)).toBe('world');
    expect(
      await Agent.getAndUpdate(
        pid,
        (map) => [map.get('hello'), new Map([...map].filter(([k]) => k !== 'hello'))] as const,
        3000,
      ),
    ).toBe('world');
    expect(await Agent.get(pid, (map) => map.size)).toBe(0);
    expect(await Agent.stop(pid)).toBeUndefined();
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('runs the workflow on a registered agent, which frees its name when stopped', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = await Agent.start(() => ({}) as Record<string, string>, {
      runtime,
      name: 'agent',
    });
    expect(runtime.processInfo(pid)?.registeredName).toBe('agent');
    Agent.cast('agent', (state: Record<string, string>) => ({ ...state, hello: 'world' }), {
      runtime,
    });
    await clock.settle();
    expect(
      await Agent.get('agent', (state: Record<string, string>) => state.hello, { runtime }),
    ).toBe('world');
    await Agent.stop('agent', 'normal', { runtime });
    expect(runtime.whereis('agent')).toBeUndefined();
  });

  it('awaits a state function that returns a promise, one request at a time', async () => {
    const { runtime } = virtualRuntime();
    const gate = deferred<number>();
    const pid = await Agent.start(() => 1, { runtime });
    const slow = Agent.update(pid, () => gate.promise);
    const read = Agent.get(pid, (n: number) => n);
    gate.resolve(2);
    await slow;
    expect(await read).toBe(2);
  });

  it('rejects with StartError when the start function throws', async () => {
    const { runtime } = virtualRuntime();
    const error = await rejection(
      Agent.start(
        () => {
          throw new Error('no state');
        },
        { runtime },
      ),
    );
    expect((error as Error).name).toBe('StartError');
  });

  // Regression: the options were spread into Agent's own before they were checked, so a
  // revoked proxy or a throwing getter threw a raw TypeError synchronously.
  it('rejects, never throws, InvalidArgumentError for options it cannot read or does not know', async () => {
    const { runtime } = virtualRuntime();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const throwing = {
      runtime,
      get name(): never {
        throw new Error('getter');
      },
    };
    for (const start of [Agent.start, Agent.startLink]) {
      for (const options of [revoked.proxy, throwing, { runtime, nmae: 'typo' }, 'x']) {
        let started: Promise<unknown> | undefined;
        expect(() => {
          started = start(() => 0, options as never);
        }).not.toThrow();
        expect(await rejection(started!)).toBeInstanceOf(InvalidArgumentError);
      }
    }
    expect(runtime.processes()).toEqual([]);
  });
});

describe('Agent.get() and friends', () => {
  it('rejects with TimeoutError when the function takes longer than the timeout', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = await Agent.start(() => 0, { runtime });
    const never = rejection(Agent.get(pid, () => new Promise<never>(() => {}), 100));
    await clock.advance(100);
    expect(await never).toBeInstanceOf(TimeoutError);
  });

  it('crashes the agent when a function throws, and the caller gets ExitError', async () => {
    const { runtime } = virtualRuntime();
    const pid = await Agent.start(() => 0, { runtime });
    const error = await rejection(
      Agent.get(pid, () => {
        throw new Error('boom');
      }),
    );
    expect(error).toBeInstanceOf(ExitError);
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('crashes the agent when getAndUpdate returns something other than [reply, state]', async () => {
    const { runtime } = virtualRuntime();
    const pid = await Agent.start(() => 0, { runtime });
    const error = await rejection(Agent.getAndUpdate(pid, (n: number) => n as never));
    expect(error).toBeInstanceOf(ExitError);
    expect(String((error as ExitError).message)).toMatch(/\[reply, newState\]/);
  });

  it('rejects (or throws, for cast) InvalidArgumentError for a function that is not one', async () => {
    const { runtime } = virtualRuntime();
    const pid = await Agent.start(() => 0, { runtime });
    expect(await rejection(Agent.get(pid, 1 as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(Agent.start(1 as never, { runtime }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(() => Agent.cast(pid, 1 as never)).toThrow(InvalidArgumentError);
  });
});

describe('Agent state', () => {
  // Regression: the agent awaited every result, and `await` reads `then`: a revoked
  // proxy (or a proxy whose traps throw) as state failed the start and crashed the agent
  // with a TypeError, where a GenServer holds any value and Elixir's Agent any term.
  it('holds any value, even one whose then cannot be read, and only awaits a thenable', async () => {
    const { runtime } = virtualRuntime();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trapped = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    for (const value of [revoked.proxy, trapped]) {
      const pid = await Agent.start(() => value, { runtime });
      expect(await Agent.get(pid, (state) => state === value)).toBe(true);
      await Agent.update(pid, () => 1);
      await Agent.update(pid, () => value);
      expect(await Agent.getAndUpdate(pid, (state) => [state === value, value] as const)).toBe(
        true,
      );
      Agent.cast(pid, () => value);
      expect(await Agent.get(pid, (state) => state === value)).toBe(true);
      expect(runtime.isAlive(pid)).toBe(true);
    }
    const pid = await Agent.start(() => Promise.resolve(1), { runtime });
    expect(await Agent.get(pid, (n) => n)).toBe(1);
  });

  it('crashes with the [reply, newState] message when getAndUpdate returns an unreadable value', async () => {
    const { runtime } = virtualRuntime();
    const revoked = Proxy.revocable([], {});
    revoked.revoke();
    const pid = await Agent.start(() => 0, { runtime });
    const error = await rejection(Agent.getAndUpdate(pid, () => revoked.proxy as never));
    expect(error).toBeInstanceOf(ExitError);
    expect(String((error as ExitError).message)).toMatch(/\[reply, newState\]/);
  });
});

describe('Agent.childSpec()', () => {
  it('can be supervised directly as [Agent, fn]', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([[Agent, () => 'ok']], { runtime });
    const [child] = await Supervisor.whichChildren(sup);
    expect(child).toMatchObject({ id: 'Agent', restart: 'permanent', type: 'worker' });
    expect(await Agent.get(child!.pid as Pid<any>, (s: string) => s)).toBe('ok');
  });
});
