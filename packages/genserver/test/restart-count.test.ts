import type { Pid } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type ChildSpec,
  DynamicSupervisor,
  Supervisor,
  type SupervisorRef,
  TaskSupervisor,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

// Supervisors keep their own restart counts (restartCount, and each child's `restarts`
// in whichChildren), so a reader that arrives late, as an observer that wakes up after
// a crash storm, still sees the restarts made before it looked.

/** A child that exits with whatever it is sent; fails to start while `failing.count > 0`. */
function child(
  id: string,
  extra: Partial<ChildSpec> = {},
  failing: { count: number } = { count: 0 },
): ChildSpec {
  return {
    id,
    start: async ({ runtime, self }) => {
      if (failing.count > 0) {
        failing.count--;
        throw new Error(`${id} cannot start yet`);
      }
      return runtime.spawn({ handle: (reason, ctx) => ctx.exit(reason) }, { link: self });
    },
    ...extra,
  };
}

async function pidOf(sup: SupervisorRef, id: string): Promise<Pid<any>> {
  const pid = (await Supervisor.whichChildren(sup)).find((c) => c.id === id)?.pid;
  if (pid === undefined || pid === 'restarting') throw new Error(`${id} is not running`);
  return pid;
}

async function restartsOf(sup: SupervisorRef): Promise<Record<string, number>> {
  const children = await Supervisor.whichChildren(sup);
  return Object.fromEntries(children.map((c) => [c.id, c.restarts]));
}

stopRuntimesAfterEach();

describe('Supervisor.restartCount()', () => {
  it('counts every restart since the supervisor started, and those within maxSeconds', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('a'), child('b')], {
      runtime,
      maxRestarts: 10,
      maxSeconds: 5,
    });
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 0, recent: 0 });
    runtime.send(await pidOf(sup, 'a'), 'boom');
    await clock.settle();
    await clock.advance(3000);
    runtime.send(await pidOf(sup, 'a'), 'boom');
    runtime.send(await pidOf(sup, 'b'), 'boom');
    await clock.settle();
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 3, recent: 3 });
    await clock.advance(2000);
    // As OTP (R >= Now - Period), a restart exactly maxSeconds old is still in the window.
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 3, recent: 3 });
    await clock.advance(1);
    // The first restart, at 0 ms, has left the 5 s window.
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 3, recent: 2 });
    await clock.advance(3000);
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 3, recent: 0 });
    expect(await restartsOf(sup)).toEqual({ a: 2, b: 1 });
  });

  it('counts a one_for_all restart once, and each child it restarted in that child', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('a'), child('b'), child('c')], {
      runtime,
      strategy: 'one_for_all',
    });
    runtime.send(await pidOf(sup, 'b'), 'boom');
    await clock.settle();
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 1, recent: 1 });
    expect(await restartsOf(sup)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('counts each attempt of a restart that fails to start, as the intensity does', async () => {
    const { runtime, clock } = virtualRuntime();
    const failing = { count: 0 };
    const sup = await Supervisor.start([child('a', {}, failing)], { runtime, maxRestarts: 10 });
    failing.count = 2;
    runtime.send(await pidOf(sup, 'a'), 'boom');
    await clock.settle();
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 3, recent: 3 });
    // One restart of the child: the one that started it.
    expect(await restartsOf(sup)).toEqual({ a: 1 });
  });

  it('counts neither restartChild nor an exit that is not restarted', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('a'), child('t', { restart: 'transient' })], {
      runtime,
    });
    await Supervisor.terminateChild(sup, 'a');
    await Supervisor.restartChild(sup, 'a');
    runtime.send(await pidOf(sup, 't'), 'normal');
    await clock.settle();
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 0, recent: 0 });
    expect(await restartsOf(sup)).toEqual({ a: 0, t: 0 });
  });

  it('counts a restart with backoff when it happens, not when it is scheduled', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('a', { backoff: { initial: 1000, max: 1000 } })], {
      runtime,
    });
    runtime.send(await pidOf(sup, 'a'), 'boom');
    await clock.settle();
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 0, recent: 0 });
    expect(await restartsOf(sup)).toEqual({ a: 0 });
    await clock.advance(1000);
    expect(await Supervisor.restartCount(sup)).toEqual({ total: 1, recent: 1 });
    expect(await restartsOf(sup)).toEqual({ a: 1 });
  });

  it("keeps the count of a child's restarts with its spec, and forgets it with deleteChild", async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await Supervisor.start([child('a')], { runtime });
    runtime.send(await pidOf(sup, 'a'), 'boom');
    await clock.settle();
    await Supervisor.terminateChild(sup, 'a');
    expect(await restartsOf(sup)).toEqual({ a: 1 });
    await Supervisor.deleteChild(sup, 'a');
    await Supervisor.startChild(sup, child('a'));
    expect(await restartsOf(sup)).toEqual({ a: 0 });
    // The supervisor's own count is of restarts made, whichever child they were of.
    expect(await Supervisor.restartCount(sup)).toMatchObject({ total: 1 });
  });
});

describe('DynamicSupervisor.restartCount()', () => {
  it("counts restarts, and each child's own across its restarts", async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 10 });
    const a = await DynamicSupervisor.startChild(sup, child('a'));
    await DynamicSupervisor.startChild(sup, child('b'));
    runtime.send(a!, 'boom');
    await clock.settle();
    const again = (await DynamicSupervisor.whichChildren(sup)).find((c) => c.id === 'a')!;
    runtime.send(again.pid as Pid<any>, 'boom');
    await clock.settle();
    expect(await DynamicSupervisor.restartCount(sup)).toEqual({ total: 2, recent: 2 });
    const which = await DynamicSupervisor.whichChildren(sup);
    expect(Object.fromEntries(which.map((c) => [c.id, c.restarts]))).toEqual({ a: 2, b: 0 });
    await clock.advance(5001);
    expect(await DynamicSupervisor.restartCount(sup)).toEqual({ total: 2, recent: 0 });
  });
});

describe('TaskSupervisor.restartCount()', () => {
  it('counts the reruns of a transient task that crashed', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    let runs = 0;
    await TaskSupervisor.startChild(
      sup,
      () => {
        runs++;
        if (runs < 3) throw new Error(`run ${runs} failed`);
      },
      { restart: 'transient' },
    );
    await clock.settle();
    expect(runs).toBe(3);
    expect(await TaskSupervisor.restartCount(sup)).toEqual({ total: 2, recent: 2 });
  });
});
