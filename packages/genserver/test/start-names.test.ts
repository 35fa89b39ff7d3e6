// Names at start, as OTP: a GenServer or StateMachine child is registered under the name
// given with it before its init runs (GenServer.childSpec and StateMachine.childSpec
// ignored StartContext.name, issue #13), and a failed init unregisters its { via } name
// itself (gen:unregister_name), so a Registry's listeners hear an unregister; the
// registry's clean-up at the exit tells them nothing.
import { Registry, RegistryRegister, RegistryUnregister } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  Agent,
  childSpec,
  GenServer,
  ignore,
  ok,
  StartError,
  StateMachine,
  Supervisor,
  stop,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** A registry whose one listener, registered as 'listener', records what it is told. */
function listenedRegistry() {
  const { runtime, clock } = virtualRuntime();
  const heard: string[] = [];
  runtime.spawn<unknown>(
    {
      handle: (message) => {
        if (message instanceof RegistryRegister) heard.push(`register ${String(message.key)}`);
        if (message instanceof RegistryUnregister) heard.push(`unregister ${String(message.key)}`);
      },
    },
    { name: 'listener' },
  );
  const registry = new Registry(runtime, { keys: 'unique', listeners: ['listener'] });
  return { runtime, clock, registry, heard };
}

type Failure = 'stop' | 'ignore' | 'throw' | 'exit' | 'bad return';

class Failing extends GenServer<number> {
  init(how: Failure): any {
    if (how === 'stop') return stop('no');
    if (how === 'ignore') return ignore();
    if (how === 'throw') throw new Error('no');
    if (how === 'exit') return this.ctx.exit('no');
    return 'not a result';
  }
}

describe('GenServer.start() with a { via } name whose init fails', () => {
  for (const how of ['stop', 'ignore', 'throw', 'exit', 'bad return'] as const) {
    it(`unregisters the name itself after init's ${how}, so listeners are told`, async () => {
      const { runtime, clock, registry, heard } = listenedRegistry();
      const error = await rejection(
        GenServer.start(Failing, how, { runtime, name: { via: registry, key: 'job' } }),
      );
      expect(error).toBeInstanceOf(StartError);
      await clock.settle();
      expect(heard).toEqual(['register job', 'unregister job']);
      expect(registry.whereisName('job')).toBeUndefined();
    });
  }

  it('tells the listeners nothing of an exit after a successful init (as Elixir)', async () => {
    const { runtime, clock, registry, heard } = listenedRegistry();
    class Fine extends GenServer<number> {
      init() {
        return ok(0);
      }
    }
    const server = await GenServer.start(Fine, null, {
      runtime,
      name: { via: registry, key: 'ok' },
    });
    await GenServer.stop(server);
    await clock.settle();
    expect(heard).toEqual(['register ok']);
    expect(registry.whereisName('ok')).toBeUndefined();
  });
});

describe('GenServer.childSpec() under a supervisor', () => {
  it('registers a { via } name given with the child before init runs', async () => {
    const { runtime, registry } = listenedRegistry();
    let seenInInit: unknown;
    class Named extends GenServer<number> {
      init() {
        seenInInit = registry.whereisName('named');
        return ok(0);
      }
    }
    await Supervisor.start([[Named, null, { name: { via: registry, key: 'named' } }]], {
      runtime,
    });
    expect(seenInInit).toBe(registry.whereisName('named'));
    expect(seenInInit).toBeDefined();
  });
});

describe('StateMachine.childSpec() under a supervisor', () => {
  it('registers the name given with the child before the machine starts', async () => {
    const { runtime } = virtualRuntime();
    let seenAtEntry: unknown = 'not run';
    const door = createMachine({
      id: 'door',
      initial: 'closed',
      states: {
        closed: {
          entry: () => {
            seenAtEntry = runtime.whereis('front-door');
          },
        },
      },
    });
    await Supervisor.start([childSpec(StateMachine.childSpec(door), { name: 'front-door' })], {
      runtime,
    });
    expect(seenAtEntry).toBeDefined();
    expect(seenAtEntry).toBe(runtime.whereis('front-door'));
  });

  it('lets the child name win over a name in the machine options', async () => {
    const { runtime } = virtualRuntime();
    const lamp = createMachine({ id: 'lamp', initial: 'off', states: { off: {} } });
    await Supervisor.start(
      [childSpec(StateMachine.childSpec(lamp, { name: 'from-options' }), { name: 'from-child' })],
      { runtime },
    );
    expect(runtime.whereis('from-child')).toBeDefined();
    expect(runtime.whereis('from-options')).toBeUndefined();
  });
});

// Elixir's registry/unique_test.exs "via callbacks" and "uses value provided in via", and
// duplicate_test.exs "raises if attempt to be used on via", with an Agent as there.
describe('Agent.start() with a { via: registry, key } name', () => {
  it('registers, takes calls and casts through the name, and refuses it while held', async () => {
    const { runtime, registry } = listenedRegistry();
    const name = { via: registry, key: 'hello' };
    const pid = await Agent.start(() => 0, { runtime, name });
    expect(await Agent.update(name, (n: number) => n + 1, { runtime })).toBeUndefined();
    expect(await Agent.get(name, (n: number) => n, { runtime })).toBe(1);
    expect(await rejection(Agent.start(() => 0, { runtime, name }))).toMatchObject({
      holder: pid,
    });
    expect(registry.lookup('hello')).toEqual([{ pid, value: undefined }]);
  });

  it('stores the value provided in via with the registration', async () => {
    const { runtime, registry } = listenedRegistry();
    const pid = await Agent.start(() => 0, {
      runtime,
      name: { via: registry, key: 'hello', value: 'value' },
    });
    expect(registry.lookup('hello')).toEqual([{ pid, value: 'value' }]);
  });

  it('is refused for a duplicate registry, and nothing keeps running', async () => {
    const { runtime } = virtualRuntime();
    const registry = new Registry(runtime, { keys: 'duplicate' });
    const error = await rejection(
      Agent.start(() => 0, { runtime, name: { via: registry, key: 'hello' } }),
    );
    expect(error).toMatchObject({ code: 'REGISTRY_NOT_UNIQUE' });
    expect((error as Error).message).toMatch(/\{ via: registry, key \} name/);
    expect(runtime.processCount).toBe(0);
  });
});
