import { Exit, type Pid, type ReceiveContext, type Report } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  type From,
  GenServer,
  isSupervisorReport,
  ok,
  reply,
  Supervisor,
  TaskSupervisor,
} from '../src/index.js';
import { deferred, exitReason, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// How `shutdown`, trapping exits and `ctx.signal` work together, as the ChildSpec docs
// and the README's "Graceful shutdown" say: `shutdown` ms is a grace period only for a
// child that traps exits; one that does not dies of the 'shutdown' signal at once.

stopRuntimesAfterEach();

/** What a task saw: whether its signal aborted and whether its work finished. */
interface Seen {
  aborted: boolean;
  finished: boolean;
  exitSeen: boolean;
}

/** A task doing one piece of work that ends when `work` resolves (or its signal aborts). */
function worker(seen: Seen, work: Promise<void>, trap: boolean) {
  return async (ctx: ReceiveContext<any>) => {
    if (trap) ctx.trapExit(true);
    ctx.signal.addEventListener('abort', () => {
      seen.aborted = true;
    });
    await work;
    seen.finished = true;
    const exit = await ctx.receive((m): m is Exit => m instanceof Exit, { timeout: 0 });
    seen.exitSeen = exit instanceof Exit;
  };
}

describe('a supervised task and shutdown', () => {
  it('without trapping exits, dies at once on runtime.stop(), whatever its shutdown ms', async () => {
    const { runtime } = virtualRuntime();
    await Supervisor.start([[TaskSupervisor, { name: 'jobs' }]], { runtime });
    const seen: Seen = { aborted: false, finished: false, exitSeen: false };
    const work = deferred<void>();
    const task = await TaskSupervisor.startChild('jobs', worker(seen, work.promise, false), {
      runtime,
      shutdown: 10_000,
    });
    const exit = exitReason(runtime, task);
    await runtime.stop();
    expect(exit).toEqual({ exited: true, reason: 'shutdown' });
    expect(seen).toEqual({ aborted: true, finished: false, exitSeen: false });
    work.resolve();
  });

  it('trapping exits, finishes the work in flight, sees the Exit and returns; its signal never aborts meanwhile', async () => {
    const { runtime, clock } = virtualRuntime();
    await Supervisor.start([[TaskSupervisor, { name: 'jobs' }]], { runtime });
    const seen: Seen = { aborted: false, finished: false, exitSeen: false };
    const work = deferred<void>();
    const task = await TaskSupervisor.startChild('jobs', worker(seen, work.promise, true), {
      runtime,
      shutdown: 10_000,
    });
    const exit = exitReason(runtime, task);
    const stopped = runtime.stop();
    await clock.advance(9_000);
    expect(exit.exited).toBe(false);
    expect(seen.aborted).toBe(false);
    work.resolve();
    await stopped;
    expect(exit).toEqual({ exited: true, reason: 'normal' });
    // (The signal aborts once the task has exited, as it does for any exit.)
    expect(seen).toMatchObject({ finished: true, exitSeen: true });
  });

  it('trapping exits but outliving its shutdown ms, is killed then: its signal aborts and the supervisor reports shutdown_error', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports: Report[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const sup = await TaskSupervisor.start({ runtime });
    const seen: Seen = { aborted: false, finished: false, exitSeen: false };
    const work = deferred<void>();
    const task = await TaskSupervisor.startChild(sup, worker(seen, work.promise, true), {
      shutdown: 1000,
    });
    const exit = exitReason(runtime, task);
    const terminated = TaskSupervisor.terminateChild(sup, task);
    await clock.advance(999);
    expect(exit.exited).toBe(false);
    await clock.advance(1);
    await terminated;
    expect(exit).toEqual({ exited: true, reason: 'killed' });
    expect(seen).toEqual({ aborted: true, finished: false, exitSeen: false });
    expect(reports.filter(isSupervisorReport)).toEqual([
      expect.objectContaining({ event: 'shutdown_error', pid: task, reason: 'killed' }),
    ]);
    work.resolve();
  });
});

type DrainCall = Call<'take', number>;

/** A server whose terminate awaits the work it has in flight. */
class Drainer extends GenServer<{ log: string[]; inFlight: Promise<void> }, DrainCall> {
  init({ log, inFlight, trap }: { log: string[]; inFlight: Promise<void>; trap: boolean }) {
    if (trap) this.ctx.trapExit(true);
    return ok({ log, inFlight });
  }

  override handleCall(
    _request: DrainCall,
    _from: From,
    state: { log: string[]; inFlight: Promise<void> },
  ) {
    return reply(1, state);
  }

  override async terminate(reason: unknown, state: { log: string[]; inFlight: Promise<void> }) {
    state.log.push(`terminate ${String(reason)}`);
    await state.inFlight;
    state.log.push('drained');
  }
}

describe('a supervised GenServer and shutdown', () => {
  for (const trap of [true, false]) {
    it(
      trap
        ? 'trapping exits, runs terminate(shutdown), which can await its drain'
        : 'without trapping exits, never runs terminate',
      async () => {
        const { runtime, clock } = virtualRuntime();
        const log: string[] = [];
        const inFlight = deferred<void>();
        const sup = await Supervisor.start(
          [
            {
              id: 'drainer',
              shutdown: 10_000,
              start: ({ runtime: rt, self }) =>
                GenServer.startLink(
                  Drainer,
                  { log, inFlight: inFlight.promise, trap },
                  { runtime: rt, link: self },
                ),
            },
          ],
          { runtime },
        );
        const [child] = await Supervisor.whichChildren(sup);
        const exit = exitReason(runtime, child!.pid as Pid<any>);
        const stopped = runtime.stop();
        await clock.settle();
        expect(log).toEqual(trap ? ['terminate shutdown'] : []);
        inFlight.resolve();
        await stopped;
        expect(log).toEqual(trap ? ['terminate shutdown', 'drained'] : []);
        expect(exit).toEqual({ exited: true, reason: 'shutdown' });
      },
    );
  }
});
