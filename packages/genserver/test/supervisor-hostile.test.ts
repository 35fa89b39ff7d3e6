import { type Pid, type Report, Runtime, VirtualClock } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { hostileValues } from '../../core/test/hostile-values.js';
import {
  type ChildSpec,
  DynamicSupervisor,
  GenServer,
  ok,
  Supervisor,
  TaskSupervisor,
} from '../src/index.js';
import { rejection } from './support.js';

// Whatever a user hands a supervisor, or a child's start resolves or rejects with, or a
// child exits with, the supervisor answers with an error and stays up (invariant 2 and
// 8): it never lists a non-PID as a child, never throws formatting a value, never dies of
// a value it cannot inspect.

class Idle extends GenServer<void> {
  init() {
    return ok(undefined);
  }
}

function idle(id: string): ChildSpec {
  return {
    id,
    start: ({ runtime, self }) => GenServer.startLink(Idle, undefined, { runtime, link: self }),
  };
}

/** One runtime for every value, with a static and a dynamic supervisor and a task supervisor. */
async function setUp() {
  const clock = new VirtualClock();
  const runtime = new Runtime({ clock });
  const reports: Report[] = [];
  runtime.events.on('report', (report) => reports.push(report));
  const sup = await Supervisor.start([idle('sibling')], { runtime, maxRestarts: 1000 });
  const dynamic = await DynamicSupervisor.start({ runtime, maxRestarts: 1000 });
  const tasks = await TaskSupervisor.start({ runtime, maxRestarts: 1000 });
  return { runtime, clock, reports, sup, dynamic, tasks };
}

async function alive(runtime: Runtime, ...supervisors: Pid<any>[]) {
  for (const pid of supervisors) {
    expect(runtime.isAlive(pid)).toBe(true);
    // and still answering
    await Supervisor.countChildren(pid);
  }
}

describe('supervisors and hostile values', () => {
  for (const { label, value } of hostileValues()) {
    it(`survive ${label} from a start, as a spec, an id, a PID, a call or an exit reason`, async () => {
      const { runtime, clock, sup, dynamic, tasks } = await setUp();
      try {
        const resolves: ChildSpec = { id: 'resolves', start: async () => value as Pid<any> };
        const rejects: ChildSpec = { id: 'rejects', start: () => Promise.reject(value) };
        const targets: Pid<any>[] = [sup, dynamic, tasks];
        for (const target of targets) {
          // A ChildSpecError, or the TypeError of awaiting a value whose `then` throws.
          expect(await rejection(Supervisor.startChild(target, resolves))).toBeInstanceOf(Error);
          expect(await rejection(Supervisor.startChild(target, rejects))).toBeInstanceOf(Error);
          expect(await rejection(Supervisor.startChild(target, value as never))).toBeInstanceOf(
            Error,
          );
        }
        expect(await rejection(Supervisor.terminateChild(sup, value as never))).toBeInstanceOf(
          Error,
        );
        expect(
          await rejection(DynamicSupervisor.terminateChild(dynamic, value as never)),
        ).toBeInstanceOf(Error);
        for (const target of targets.slice(0, 2)) {
          // Answered with an error outcome (or refused by the client), never a crash.
          const answer = (await Promise.resolve()
            .then(() => GenServer.call(target, value as never))
            .catch((error: unknown) => ({ error }))) as { error?: unknown };
          expect(answer.error).toBeInstanceOf(Error);
        }
        const [child] = await Supervisor.whichChildren(sup);
        runtime.exit(child!.pid as Pid<any>, value);
        await clock.settle();
        await alive(runtime, sup, dynamic, tasks);
        expect(await Supervisor.countChildren(sup)).toMatchObject({ specs: 1, active: 1 });
        expect(await DynamicSupervisor.countChildren(dynamic)).toMatchObject({ specs: 0 });
      } finally {
        await runtime.stop();
      }
    });
  }
});
