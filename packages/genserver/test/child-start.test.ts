import type { Pid, Report, Runtime, VirtualClock } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type ChildSpec,
  ChildSpecError,
  DynamicSupervisor,
  GenServer,
  isSupervisorReport,
  ok,
  StartError,
  Supervisor,
  Task,
  TaskSupervisor,
} from '../src/index.js';
import { exitReason, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// What a child's `start` resolves with or rejects with is the user's code: the
// supervisors treat anything but a PID as a failed start (OTP's `{error, Value}`), and
// turn any rejection value into an Error for the caller, without crashing.

class Idle extends GenServer<string> {
  init(label: string) {
    return ok(label);
  }
}

/** A worker child that starts an `Idle` server. */
function idle(id: string): ChildSpec {
  return {
    id,
    start: ({ runtime, self }) => GenServer.startLink(Idle, id, { runtime, link: self }),
  };
}

/** A child whose start resolves with `value` instead of a PID. */
function resolvesWith(id: string, value: unknown): ChildSpec {
  return { id, start: async () => value as Pid<any> };
}

/** A child whose start rejects with `value`. */
function rejectsWith(id: string, value: unknown): ChildSpec {
  return { id, start: () => Promise.reject(value) };
}

const notPids: [string, unknown][] = [
  ['42', 42],
  ["'x'", 'x'],
  ['{}', {}],
  ['undefined', undefined],
  ['null', null],
  ['an object without a prototype', Object.create(null)],
];

const rejections: [string, unknown][] = [
  ['an object without a prototype', Object.create(null)],
  ['undefined', undefined],
  ['null', null],
  ['a string', 'nope'],
  ['a symbol', Symbol('nope')],
  ['a number', 7],
];

stopRuntimesAfterEach();

async function pidOf(sup: Pid<any>, id: string): Promise<Pid<any>> {
  const pid = (await Supervisor.whichChildren(sup)).find((child) => child.id === id)?.pid;
  if (pid === undefined || pid === 'restarting') throw new Error(`child ${id} is not running`);
  return pid;
}

/** Kills the child `id` of a static supervisor and checks that it was restarted. */
async function expectRestart(runtime: Runtime, clock: VirtualClock, sup: Pid<any>, id: string) {
  const before = await pidOf(sup, id);
  runtime.exit(before, 'kill');
  await clock.settle();
  expect(runtime.isAlive(sup)).toBe(true);
  expect((await pidOf(sup, id)).equals(before)).toBe(false);
}

describe('a child start that resolves with something other than a PID', () => {
  for (const [what, value] of notPids) {
    it(`Supervisor.startChild rejects ${what} with ChildSpecError and stays up`, async () => {
      const { runtime, clock } = virtualRuntime();
      const sup = await Supervisor.start([idle('sibling')], { runtime });
      const error = await rejection(Supervisor.startChild(sup, resolvesWith('bad', value)));
      expect(error).toBeInstanceOf(ChildSpecError);
      expect((error as Error).message).toMatch(
        /child spec "bad": start resolved with .*, not a PID/,
      );
      expect((await Supervisor.whichChildren(sup)).map((c) => c.id)).toEqual(['sibling']);
      // Bug pinned: the value was listed as the child, and the next sibling exit crashed
      // the supervisor.
      await expectRestart(runtime, clock, sup, 'sibling');
    });

    it(`Supervisor.start fails with StartError for ${what}, stopping the children started`, async () => {
      const { runtime } = virtualRuntime();
      const error = await rejection(
        Supervisor.start([idle('first'), resolvesWith('bad', value)], { runtime }),
      );
      expect(error).toBeInstanceOf(StartError);
      const reason = (error as StartError).reason as {
        shutdown: { failedToStartChild: string; reason: unknown };
      };
      expect(reason.shutdown.failedToStartChild).toBe('bad');
      expect(reason.shutdown.reason).toBeInstanceOf(ChildSpecError);
      expect(runtime.processCount).toBe(0);
    });

    it(`DynamicSupervisor.startChild rejects ${what} with ChildSpecError and stays up`, async () => {
      const { runtime, clock } = virtualRuntime();
      const sup = await DynamicSupervisor.start({ runtime });
      const sibling = await DynamicSupervisor.startChild(sup, idle('sibling'));
      const error = await rejection(DynamicSupervisor.startChild(sup, resolvesWith('bad', value)));
      expect(error).toBeInstanceOf(ChildSpecError);
      expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 1 });
      runtime.exit(sibling!, 'kill');
      await clock.settle();
      expect(runtime.isAlive(sup)).toBe(true);
      expect(await DynamicSupervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 1 });
    });
  }

  it('a TaskSupervisor rejects such a child too, and its tasks go on', async () => {
    const { runtime } = virtualRuntime();
    const tasks = await TaskSupervisor.start({ runtime });
    const error = await rejection(DynamicSupervisor.startChild(tasks, resolvesWith('bad', 'x')));
    expect(error).toBeInstanceOf(ChildSpecError);
    const task = await TaskSupervisor.asyncNolink(tasks, () => 'still works');
    expect(await Task.await(task)).toBe('still works');
    expect(runtime.isAlive(tasks)).toBe(true);
  });

  it('at a restart, counts as a failed attempt: retried, reported, then past the intensity the supervisor exits shutdown', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: Report[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    let starts = 0;
    const flaky: ChildSpec = {
      id: 'flaky',
      start: async ({ runtime: rt, self }) => {
        starts++;
        if (starts > 1) return 'not a pid' as never;
        return GenServer.startLink(Idle, 'flaky', { runtime: rt, link: self });
      },
    };
    const sup = await Supervisor.start([flaky], { runtime, maxRestarts: 2 });
    const supExit = exitReason(runtime, sup);
    runtime.exit(await pidOf(sup, 'flaky'), 'kill');
    await clock.settle();
    expect(supExit).toEqual({ exited: true, reason: 'shutdown' });
    const events = reports.filter(isSupervisorReport).map((r) => r.event);
    expect(events).toEqual(['child_terminated', 'start_error', 'start_error', 'shutdown']);
    const startError = reports.filter(isSupervisorReport).find((r) => r.event === 'start_error');
    expect(startError).toMatchObject({ id: 'flaky', reason: expect.any(ChildSpecError) });
  });
});

describe('a child start that rejects with a value that is not an Error', () => {
  for (const [what, value] of rejections) {
    it(`Supervisor.startChild rejects with a StartError carrying ${what}, and stays up`, async () => {
      const { runtime, clock } = virtualRuntime();
      const sup = await Supervisor.start([idle('sibling')], { runtime });
      const error = await rejection(Supervisor.startChild(sup, rejectsWith('bad', value)));
      expect(error).toBeInstanceOf(StartError);
      expect((error as StartError).reason).toBe(value);
      expect((error as Error).message).toMatch(/child "bad" failed to start/);
      await expectRestart(runtime, clock, sup, 'sibling');
    });

    it(`DynamicSupervisor.startChild rejects with a StartError carrying ${what}, and stays up`, async () => {
      const { runtime } = virtualRuntime();
      const sup = await DynamicSupervisor.start({ runtime });
      const error = await rejection(DynamicSupervisor.startChild(sup, rejectsWith('bad', value)));
      expect(error).toBeInstanceOf(StartError);
      expect((error as StartError).reason).toBe(value);
      expect(runtime.isAlive(sup)).toBe(true);
    });

    it(`Supervisor.start rejects with StartError for a child that rejects with ${what}`, async () => {
      const { runtime } = virtualRuntime();
      const error = await rejection(Supervisor.start([rejectsWith('bad', value)], { runtime }));
      expect(error).toBeInstanceOf(StartError);
      expect(typeof (error as Error).message).toBe('string');
      expect(runtime.processCount).toBe(0);
    });
  }

  it('Supervisor.restartChild rejects with the StartError and keeps the spec', async () => {
    const { runtime } = virtualRuntime();
    let fail = false;
    const child: ChildSpec = {
      id: 'c',
      start: ({ runtime: rt, self }) =>
        fail
          ? Promise.reject(Object.create(null))
          : GenServer.startLink(Idle, 'c', { runtime: rt, link: self }),
    };
    const sup = await Supervisor.start([child], { runtime });
    await Supervisor.terminateChild(sup, 'c');
    fail = true;
    const error = await rejection(Supervisor.restartChild(sup, 'c'));
    expect(error).toBeInstanceOf(StartError);
    expect(await Supervisor.whichChildren(sup)).toMatchObject([{ id: 'c', pid: undefined }]);
    expect(runtime.isAlive(sup)).toBe(true);
  });
});
