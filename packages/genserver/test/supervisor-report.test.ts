import type { Pid, Report, Runtime } from '@actorkit/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ChildSpec,
  ChildSpecError,
  DynamicSupervisor,
  GenServer,
  isSupervisorReport,
  ok,
  Supervisor,
  type SupervisorReport,
  TaskSupervisor,
} from '../src/index.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

class Idle extends GenServer<void> {
  init() {
    return ok(undefined);
  }
}

/** A child that ignores 'shutdown' (it traps exits and never stops by itself). */
function stubborn(id: string, shutdown: ChildSpec['shutdown']): ChildSpec {
  return {
    id,
    shutdown,
    start: async ({ runtime, self }) =>
      runtime.spawn({ handle: () => {} }, { link: self, trapExit: true }),
  };
}

function idle(id: string, restart?: ChildSpec['restart']): ChildSpec {
  return {
    id,
    restart,
    start: ({ runtime, self }) => GenServer.startLink(Idle, undefined, { runtime, link: self }),
  };
}

function listen(runtime: Runtime): SupervisorReport[] {
  const reports: SupervisorReport[] = [];
  runtime.events.on('report', (report: Report) => {
    if (isSupervisorReport(report)) reports.push(report);
  });
  return reports;
}

stopRuntimesAfterEach();

describe('isSupervisorReport()', () => {
  it('narrows a report to SupervisorReport, told apart by event', () => {
    const report: Report = { type: 'supervisor', event: 'child_terminated' };
    expect(isSupervisorReport(report)).toBe(true);
    expect(isSupervisorReport({ type: 'unhandled_info' })).toBe(false);
    if (isSupervisorReport(report) && report.event === 'child_terminated') {
      expectTypeOf(report.pid).toEqualTypeOf<Pid<any>>();
      expectTypeOf(report.reason).toBeUnknown();
    }
  });
});

describe('supervisor reports', () => {
  for (const kind of ['Supervisor', 'DynamicSupervisor'] as const) {
    it(`${kind}: child_terminated carries the PID that exited, child_restarted the new one`, async () => {
      const { runtime, clock } = virtualRuntime();
      const reports = listen(runtime);
      let sup: Pid<any>;
      if (kind === 'Supervisor') {
        sup = await Supervisor.start([idle('a')], { runtime });
      } else {
        sup = await DynamicSupervisor.start({ runtime });
        await DynamicSupervisor.startChild(sup, idle('a'));
      }
      const [child] = await Supervisor.whichChildren(sup);
      const old = child!.pid as Pid<any>;
      runtime.exit(old, 'boom');
      await clock.settle();
      const [restarted] = await Supervisor.whichChildren(sup);
      // Bug pinned: child_terminated carried pid: undefined.
      expect(reports).toEqual([
        {
          type: 'supervisor',
          node: runtime.node,
          event: 'child_terminated',
          supervisor: sup,
          id: 'a',
          pid: old,
          reason: 'boom',
        },
        {
          type: 'supervisor',
          node: runtime.node,
          event: 'child_restarted',
          supervisor: sup,
          id: 'a',
          pid: restarted!.pid,
        },
      ]);
    });
  }

  it('as OTP, reports a clean exit only for a permanent child', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = listen(runtime);
    const sup = await Supervisor.start(
      [idle('p'), idle('t', 'transient'), idle('tmp', 'temporary')],
      { runtime },
    );
    for (const child of await Supervisor.whichChildren(sup)) {
      await GenServer.stop(child.pid as Pid<any>, 'normal');
    }
    await clock.settle();
    expect(reports.map((r) => [r.event, r.id])).toEqual([
      ['child_terminated', 'p'],
      ['child_restarted', 'p'],
    ]);
  });

  it('a TaskSupervisor makes no report for tasks that finish, and reports one that crashes', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = listen(runtime);
    const sup = await TaskSupervisor.start({ runtime });
    await TaskSupervisor.startChild(sup, () => 'done');
    const crashing = await TaskSupervisor.startChild(sup, () => {
      throw new Error('task failed');
    });
    await clock.settle();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      event: 'child_terminated',
      supervisor: sup,
      id: 'Task',
      pid: crashing,
    });
  });

  for (const kind of ['Supervisor', 'DynamicSupervisor'] as const) {
    it(`${kind}: shutdown_error for a child killed after its shutdown ms, none for brutal_kill`, async () => {
      const { runtime, clock } = virtualRuntime();
      const reports = listen(runtime);
      let sup: Pid<any>;
      if (kind === 'Supervisor') {
        sup = await Supervisor.start([stubborn('slow', 100), stubborn('brutal', 'brutal_kill')], {
          runtime,
        });
      } else {
        sup = await DynamicSupervisor.start({ runtime });
        await DynamicSupervisor.startChild(sup, stubborn('slow', 100));
        await DynamicSupervisor.startChild(sup, stubborn('brutal', 'brutal_kill'));
      }
      const slow = (await Supervisor.whichChildren(sup))[0]!.pid;
      const stopped = Supervisor.stop(sup);
      await clock.advance(100);
      await stopped;
      expect(reports).toEqual([
        {
          type: 'supervisor',
          node: runtime.node,
          event: 'shutdown_error',
          supervisor: sup,
          id: 'slow',
          pid: slow,
          reason: 'killed',
        },
      ]);
    });
  }

  it('DynamicSupervisor: start_error and the shutdown past the intensity', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = listen(runtime);
    let starts = 0;
    const flaky: ChildSpec = {
      id: 'flaky',
      start: ({ runtime: rt, self }) => {
        starts++;
        if (starts > 1) return Promise.resolve('no pid' as never);
        return GenServer.startLink(Idle, undefined, { runtime: rt, link: self });
      },
    };
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 1 });
    const pid = await DynamicSupervisor.startChild(sup, flaky);
    runtime.exit(pid!, 'kill');
    await clock.settle();
    expect(reports.map((r) => r.event)).toEqual(['child_terminated', 'start_error', 'shutdown']);
    expect(reports[1]).toMatchObject({ id: 'flaky', reason: expect.any(ChildSpecError) });
    expect(reports[2]).toEqual({
      type: 'supervisor',
      node: runtime.node,
      event: 'shutdown',
      supervisor: sup,
      id: 'flaky',
      reason: 'reached_max_restart_intensity',
    });
    expect(runtime.isAlive(sup)).toBe(false);
  });
});
