import { InvalidArgumentError, type Pid } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type ChildSpec,
  DynamicSupervisor,
  Supervisor,
  type SupervisorSpec,
  TaskSupervisor,
} from '../src/index.js';
import { rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// What a supervisor says about itself, as OTP's count_children and its flags: readable
// at any time through an API, so an observer never has to guess them.

/** A child that exits with whatever it is sent. */
function child(id: string, extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id,
    start: async ({ runtime, self }) =>
      runtime.spawn({ handle: (reason, ctx) => ctx.exit(reason) }, { link: self }),
    ...extra,
  };
}

class App extends Supervisor<number> {
  init(maxRestarts: number): SupervisorSpec {
    return Supervisor.init([child('a')], { strategy: 'rest_for_one', maxRestarts });
  }
}

stopRuntimesAfterEach();

describe('Supervisor.getFlags()', () => {
  it('gives the defaults of the flags left out', async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start([], { runtime });
    expect(await Supervisor.getFlags(sup)).toEqual({
      strategy: 'one_for_one',
      maxRestarts: 3,
      maxSeconds: 5,
    });
  });

  it('gives the flags of the options, by PID or by name', async () => {
    const { runtime } = virtualRuntime();
    await Supervisor.start([], {
      runtime,
      name: 'sup',
      strategy: 'one_for_all',
      maxRestarts: 0,
      maxSeconds: 60,
    });
    expect(await Supervisor.getFlags('sup', { runtime })).toEqual({
      strategy: 'one_for_all',
      maxRestarts: 0,
      maxSeconds: 60,
    });
  });

  it("gives the flags a module-based supervisor's init returned, and those of a nested list", async () => {
    const { runtime } = virtualRuntime();
    const sup = await Supervisor.start(
      [[App, 7], Supervisor.childSpec([], { id: 'nested', maxSeconds: 30 })],
      { runtime },
    );
    const [app, nested] = await Supervisor.whichChildren(sup);
    expect(await Supervisor.getFlags(app!.pid as Pid<any>)).toEqual({
      strategy: 'rest_for_one',
      maxRestarts: 7,
      maxSeconds: 5,
    });
    expect(await Supervisor.getFlags(nested!.pid as Pid<any>)).toMatchObject({ maxSeconds: 30 });
  });
});

describe('Supervisor.countChildren()', () => {
  it("counts specs, active children, supervisors and workers, as OTP's count_children", async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start(
      [
        child('a'),
        child('b', { backoff: { initial: 1000, max: 1000 } }),
        Supervisor.childSpec([], { id: 'nested' }),
      ],
      { runtime },
    );
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 3,
      active: 3,
      supervisors: 1,
      workers: 2,
    });
    await Supervisor.terminateChild(sup, 'nested');
    const b = (await Supervisor.whichChildren(sup)).find((c) => c.id === 'b')!.pid as Pid<any>;
    runtime.send(b, 'boom');
    await clock.settle();
    // A terminated child and one waiting out its backoff are specs, not active.
    expect(await Supervisor.countChildren(sup)).toEqual({
      specs: 3,
      active: 1,
      supervisors: 1,
      workers: 2,
    });
  });
});

describe('DynamicSupervisor.getFlags()', () => {
  it('gives one_for_one and the options with their defaults', async () => {
    const { runtime } = virtualRuntime();
    const plain = await DynamicSupervisor.start({ runtime });
    expect(await DynamicSupervisor.getFlags(plain)).toEqual({
      strategy: 'one_for_one',
      maxRestarts: 3,
      maxSeconds: 5,
      maxChildren: Number.POSITIVE_INFINITY,
      extraArguments: [],
    });
    const bounded = await DynamicSupervisor.start({
      runtime,
      maxRestarts: 1,
      maxSeconds: 2,
      maxChildren: 10,
      extraArguments: ['pool', 7],
    });
    expect(await DynamicSupervisor.getFlags(bounded)).toEqual({
      strategy: 'one_for_one',
      maxRestarts: 1,
      maxSeconds: 2,
      maxChildren: 10,
      extraArguments: ['pool', 7],
    });
  });
});

describe('DynamicSupervisor.countChildren()', () => {
  it('counts a child waiting out its backoff as a spec, not as active', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    const a = await DynamicSupervisor.startChild(
      sup,
      child('a', { backoff: { initial: 1000, max: 1000 } }),
    );
    await DynamicSupervisor.startChild(sup, child('b'));
    runtime.send(a!, 'boom');
    await clock.settle();
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({
      specs: 2,
      active: 1,
      supervisors: 0,
      workers: 2,
    });
    await clock.advance(1000);
    expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ specs: 2, active: 2 });
  });
});

describe('TaskSupervisor.countChildren() and getFlags()', () => {
  it('counts running tasks as active workers', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime, name: 'tasks', maxChildren: 5 });
    const never = new Promise<void>(() => {});
    await TaskSupervisor.startChild(sup, () => never);
    await TaskSupervisor.startChild(sup, () => never);
    await TaskSupervisor.startChild(sup, () => 'done');
    await clock.settle();
    expect(await TaskSupervisor.countChildren('tasks', { runtime })).toEqual({
      specs: 2,
      active: 2,
      supervisors: 0,
      workers: 2,
    });
    expect(await TaskSupervisor.getFlags(sup)).toEqual({
      strategy: 'one_for_one',
      maxRestarts: 3,
      maxSeconds: 5,
      maxChildren: 5,
      extraArguments: [],
    });
  });

  it.each([
    ['countChildren', TaskSupervisor.countChildren],
    ['getFlags', TaskSupervisor.getFlags],
    ['restartCount', TaskSupervisor.restartCount],
  ] as const)(
    '%s rejects an unknown option with InvalidArgumentError naming it',
    async (name, fn) => {
      const { runtime } = virtualRuntime();
      const sup = await TaskSupervisor.start({ runtime });
      const error = await rejection(fn(sup, { timeout: 10 } as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(
        new RegExp(`timeout.*TaskSupervisor\\.${name} takes the options runtime`),
      );
    },
  );
});
