import { Crash, ExitError, InvalidArgumentError, type Pid, type Report } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import {
  type AttemptContext,
  ChildError,
  isTaskRetryReport,
  Task,
  type TaskRetryReport,
  TaskSupervisor,
} from '../src/index.js';
import { exitReason, rejection, stopRuntimesAfterEach, virtualRuntime } from './support.js';

// Retries of tasks in memory (#14, "the middle of the dial"): every delay on a
// VirtualClock, jitter drawn from a fixed source, so each wait is exact.

stopRuntimesAfterEach();

const NO_SPREAD = { initial: 100, max: 10_000, jitter: 0.5, random: () => 0.5 };

/** A task failing its first `failures` attempts, recording each attempt's number, PID and clock time. */
function flaky(failures: number) {
  const seen: { attempt: number; pid: Pid<any>; at: number }[] = [];
  const fn = (ctx: AttemptContext) => {
    seen.push({ attempt: ctx.attempt, pid: ctx.self, at: ctx.runtime.clock.now() });
    if (ctx.attempt <= failures) throw new Error(`attempt ${ctx.attempt} failed`);
    return `done at ${ctx.attempt}`;
  };
  return { fn, seen };
}

function retryReports(runtime: { events: { on(e: 'report', f: (r: Report) => void): unknown } }) {
  const reports: TaskRetryReport[] = [];
  runtime.events.on('report', (report) => {
    if (isTaskRetryReport(report)) reports.push(report);
  });
  return reports;
}

describe('TaskSupervisor.startChild() with maxAttempts', () => {
  it('runs each attempt in a fresh process told its number, waiting the backoff between them', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    const { fn, seen } = flaky(2);
    const pid = await TaskSupervisor.startChild(sup, fn, { maxAttempts: 5, backoff: NO_SPREAD });
    const exit = exitReason(runtime, pid);
    await clock.advance(99);
    expect(seen.map((s) => s.attempt)).toEqual([1]);
    await clock.advance(1);
    await clock.advance(200);
    expect(seen.map((s) => [s.attempt, s.at])).toEqual([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(new Set(seen.map((s) => String(s.pid))).size).toBe(3);
    expect(seen.every((s) => !s.pid.equals(pid))).toBe(true);
    expect(exit).toEqual({ reason: 'normal', exited: true });
  });

  it('exits with the last error when attempts run out, and reports that it gave up', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = retryReports(runtime);
    const sup = await TaskSupervisor.start({ runtime });
    const { fn } = flaky(10);
    const pid = await TaskSupervisor.startChild(sup, fn, { maxAttempts: 3, backoff: NO_SPREAD });
    const exit = exitReason(runtime, pid);
    await clock.advance(1000);
    expect(exit.exited).toBe(true);
    expect(exit.reason).toBeInstanceOf(Crash);
    expect(((exit.reason as Crash).error as Error).message).toBe('attempt 3 failed');
    expect(reports.map((r) => [r.event, r.attempt, r.delay ?? r.why])).toEqual([
      ['retry', 1, 100],
      ['retry', 2, 200],
      ['gave_up', 3, 'exhausted'],
    ]);
    expect(reports[2]).toMatchObject({ pid, supervisor: sup, maxAttempts: 3 });
  });

  it('gives up at once when onError says discard, and keeps the attempt number on a snooze', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = retryReports(runtime);
    const sup = await TaskSupervisor.start({ runtime });
    const { fn, seen } = flaky(10);
    const decisions = [{ snooze: 50 }, 'retry', 'discard'] as const;
    const errors: unknown[] = [];
    const pid = await TaskSupervisor.startChild(sup, fn, {
      maxAttempts: 10,
      backoff: NO_SPREAD,
      onError: (error, { attempt, maxAttempts }) => {
        errors.push([(error as Error).message, attempt, maxAttempts]);
        return decisions[errors.length - 1]!;
      },
    });
    const exit = exitReason(runtime, pid);
    await clock.advance(1000);
    expect(seen.map((s) => [s.attempt, s.at])).toEqual([
      [1, 0],
      [1, 50],
      [2, 150],
    ]);
    expect(errors).toEqual([
      ['attempt 1 failed', 1, 10],
      ['attempt 1 failed', 1, 10],
      ['attempt 2 failed', 2, 10],
    ]);
    expect(exit.exited).toBe(true);
    expect(reports.at(-1)).toMatchObject({ event: 'gave_up', attempt: 2, why: 'discarded' });
    expect(reports[0]).toMatchObject({ event: 'retry', snoozed: true, delay: 50 });
  });

  it('does not spend the restart intensity: 5 flaky tasks never take the supervisor down, and healthy siblings finish', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime, maxRestarts: 3, maxSeconds: 5 });
    const supExit = exitReason(runtime, sup);
    const finished: number[] = [];
    for (let i = 0; i < 5; i++) {
      await TaskSupervisor.startChild(sup, flaky(3).fn, { maxAttempts: 4, backoff: NO_SPREAD });
    }
    for (let i = 0; i < 4; i++) {
      await TaskSupervisor.startChild(sup, async (ctx) => {
        await ctx.receive({ timeout: 500 });
        finished.push(i);
      });
    }
    await clock.advance(2000);
    expect(supExit.exited).toBe(false);
    expect(finished).toEqual([0, 1, 2, 3]);
    expect(await TaskSupervisor.restartCount(sup)).toMatchObject({ total: 0 });
    expect(await TaskSupervisor.children(sup)).toEqual([]);
  });

  it('stops the running attempt with the task when the supervisor shuts it down', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    let attemptPid: Pid<any> | undefined;
    const pid = await TaskSupervisor.startChild(
      sup,
      async (ctx) => {
        attemptPid = ctx.self;
        await ctx.receive();
      },
      { maxAttempts: 3 },
    );
    await clock.settle();
    const attemptExit = exitReason(runtime, attemptPid!);
    await TaskSupervisor.terminateChild(sup, pid);
    expect(attemptExit).toEqual({ reason: 'shutdown', exited: true });
    expect(runtime.isAlive(pid)).toBe(false);
  });

  it('refuses options it does not take, and onError without maxAttempts', async () => {
    const { runtime } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    const fn = () => 1;
    for (const options of [
      { maxAttempts: 0 },
      { maxAttempts: 2, retries: 3 },
      { maxAttempts: 2, backoff: { initial: 10, maximum: 100 } },
      { maxAttempts: 2, backoff: { jitter: 2 } },
      { onError: () => 'retry' as const },
      { maxAttempts: 2, onError: 'retry' },
    ]) {
      const error = await rejection(TaskSupervisor.startChild(sup, fn, options as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describe('Task.async() with maxAttempts', () => {
  it('gives Task.await the first successful result', async () => {
    const { runtime, clock } = virtualRuntime();
    const { fn } = flaky(2);
    const task = Task.async(fn, { runtime, maxAttempts: 3, backoff: NO_SPREAD });
    const result = Task.await(task, 10_000);
    await clock.advance(300);
    expect(await result).toBe('done at 3');
  });

  it('rejects Task.await with the last attempt error once attempts run out', async () => {
    const { runtime, clock } = virtualRuntime();
    const { fn } = flaky(10);
    const task = Task.async(fn, { runtime, maxAttempts: 2, backoff: () => 10 });
    const result = rejection(Task.await(task, 10_000));
    await clock.advance(10);
    const error = (await result) as ExitError;
    expect(error).toBeInstanceOf(ExitError);
    expect(((error.reason as Crash).error as Error).message).toBe('attempt 2 failed');
  });
});

describe('TaskSupervisor.drain()', () => {
  it('refuses new tasks, cancels pending retries, waits for running tasks and stops the rest', async () => {
    const { runtime, clock } = virtualRuntime();
    const reports = retryReports(runtime);
    const sup = await TaskSupervisor.start({ runtime });
    const done: string[] = [];
    const retried = await TaskSupervisor.startChild(sup, flaky(10).fn, {
      maxAttempts: 5,
      backoff: { ...NO_SPREAD, initial: 1000 },
    });
    const retriedExit = exitReason(runtime, retried);
    await TaskSupervisor.startChild(sup, async (ctx) => {
      await ctx.receive({ timeout: 200 });
      done.push('short');
    });
    const long = await TaskSupervisor.startChild(sup, async (ctx) => {
      await ctx.receive({ timeout: 60_000 });
      done.push('long');
    });
    const longExit = exitReason(runtime, long);
    const drained = TaskSupervisor.drain(sup, 500);
    await clock.settle();
    const refused = await rejection(TaskSupervisor.startChild(sup, () => 1));
    expect(ChildError.is(refused) && refused.reason).toBe('draining');
    await clock.advance(500);
    expect(await drained).toEqual({ finished: 1, cancelled: 1, stopped: 1 });
    expect(done).toEqual(['short']);
    expect(longExit).toEqual({ reason: 'shutdown', exited: true });
    expect(retriedExit.reason).toBeInstanceOf(Crash);
    expect(reports.at(-1)).toMatchObject({ event: 'cancelled', pid: retried, attempt: 1 });
    expect(runtime.isAlive(sup)).toBe(true);
  });
});
