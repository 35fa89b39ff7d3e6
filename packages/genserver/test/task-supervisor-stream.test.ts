// TaskSupervisor.asyncStream and asyncStreamNolink and exits, as Elixir's
// Task.Supervisor.async_stream (tasks linked to the caller) and async_stream_nolink (linked
// to nobody). Regression: Task.asyncStream learned to leave a trapping consumer unlinked
// (737e755), but TaskSupervisor's spawner ignored the owner the stream passed and linked
// every task to `link`, so a trapping consumer found an Exit in its mailbox for each
// crash; and zipInputOnExit was rejected as an unknown key.
import { Crash, ExitError, InvalidArgumentError, TIMEOUT } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { type StreamResult, type SupervisedStreamOptions, TaskSupervisor } from '../src/index.js';
import { boom, consumeStream, work } from './stream-consumer.js';
import { collect, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

type StreamOptions = Omit<SupervisedStreamOptions, 'link' | 'runtime'>;

/**
 * A consumer process that iterates a supervised stream over `items` (trapping exits if
 * `trap`; `nolink` for asyncStreamNolink), then reports what it got, what its mailbox held
 * afterwards, and how it exited.
 */
async function consume(
  trap: boolean,
  items: number[],
  options: StreamOptions & { nolink?: boolean } = {},
) {
  const { runtime, clock } = virtualRuntime();
  const sup = await TaskSupervisor.start({ runtime });
  const { nolink = false, ...streamOptions } = options;
  const consumer = consumeStream(runtime, trap, (ctx) => {
    const common = { runtime, maxConcurrency: 4, ...streamOptions };
    return nolink
      ? TaskSupervisor.asyncStreamNolink(sup, items, work, common)
      : TaskSupervisor.asyncStream(sup, items, work, { ...common, link: ctx.self });
  });
  return { runtime, clock, sup, ...consumer };
}

function shape(results: StreamResult<number, number>[]): unknown[] {
  return results.map((r) => ('ok' in r ? r.ok : 'exit'));
}

describe('TaskSupervisor.asyncStream() with a consumer that traps exits', () => {
  it('yields { exit: reason } for a task that crashed, in order, and goes on', async () => {
    const { clock, got, report, exited } = await consume(true, [1, 2, 3, 4]);
    await clock.advance(30);
    expect(await exited).toBe('normal');
    expect(shape(got)).toEqual([10, 'exit', 30, 40]);
    expect(((got[1] as { exit: Crash }).exit as Crash).error).toBe(boom);
    expect(report.thrown).toBeUndefined();
  });

  it('leaves no Exit message in its mailbox', async () => {
    const { clock, report, exited } = await consume(true, [2, 2, 1]);
    await clock.advance(30);
    await exited;
    expect(report.leftover).toBe(TIMEOUT);
  });

  it('kills the tasks still running when the consumer exits, and the supervisor stays', async () => {
    const { runtime, clock } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    let started = 0;
    const consumer = runtime.spawn(async (ctx) => {
      ctx.trapExit(true);
      const stream = TaskSupervisor.asyncStream(
        sup,
        [1, 2, 3],
        async (_n, task) => {
          started++;
          return task.receive();
        },
        { runtime, link: ctx.self, timeout: Number.POSITIVE_INFINITY, maxConcurrency: 3 },
      );
      for await (const _ of stream) {
        // Never reached: the tasks wait forever.
      }
    });
    await clock.settle();
    expect(started).toBe(3);
    expect(await TaskSupervisor.children(sup)).toHaveLength(3);
    runtime.exit(consumer, 'kill');
    await clock.settle();
    expect(await TaskSupervisor.children(sup)).toEqual([]);
    expect(runtime.isAlive(sup)).toBe(true);
  });
});

describe('TaskSupervisor.asyncStream() with a consumer that does not trap exits', () => {
  it('exits the consumer with the reason of the task that crashed', async () => {
    const { clock, exited, sup, runtime } = await consume(false, [1, 2, 3]);
    await clock.advance(30);
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it('throws ExitError from the iteration when it runs outside any process', async () => {
    const { runtime } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    const error = await collect(TaskSupervisor.asyncStream(sup, [1, 2], work, { runtime })).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBeInstanceOf(Crash);
  });
});

describe('TaskSupervisor.asyncStreamNolink()', () => {
  it('yields crashes as { exit } to a consumer that does not trap exits, and leaves it alive', async () => {
    const { clock, got, report, exited } = await consume(false, [1, 2, 3], { nolink: true });
    await clock.advance(30);
    expect(await exited).toBe('normal');
    expect(shape(got)).toEqual([10, 'exit', 30]);
    expect(report).toEqual({ thrown: undefined, leftover: TIMEOUT });
  });

  it('leaves no Exit message in the mailbox of a consumer that traps exits', async () => {
    const { clock, got, report, exited } = await consume(true, [2, 1], { nolink: true });
    await clock.advance(30);
    await exited;
    expect(shape(got)).toEqual(['exit', 10]);
    expect(report.leftover).toBe(TIMEOUT);
  });
});

describe('TaskSupervisor.asyncStream() with zipInputOnExit', () => {
  it('adds the item to each exit, crashes and timeouts alike, and not to results', async () => {
    const { clock, got, exited } = await consume(true, [1, 2, 3], {
      zipInputOnExit: true,
      timeout: 20,
      onTimeout: 'kill_task',
    });
    await clock.advance(30);
    await exited;
    expect(got[0]).toEqual({ ok: 10 });
    expect(got[1]).toMatchObject({ input: 2 });
    expect((got[1] as { exit: unknown }).exit).toBeInstanceOf(Crash);
    expect(got[2]).toEqual({ exit: 'timeout', input: 3 });
  });

  it('adds the item to each exit of asyncStreamNolink too', async () => {
    const { clock, got, exited } = await consume(false, [2, 1], {
      nolink: true,
      zipInputOnExit: true,
    });
    await clock.advance(30);
    await exited;
    expect(got[0]).toMatchObject({ input: 2 });
    expect(got[1]).toEqual({ ok: 10 });
  });

  it('is an InvalidArgumentError when not a boolean', async () => {
    const { runtime } = virtualRuntime();
    const sup = await TaskSupervisor.start({ runtime });
    const bad = { runtime, zipInputOnExit: 'yes' as never };
    expect(() => TaskSupervisor.asyncStream(sup, [1], work, bad)).toThrow(InvalidArgumentError);
    expect(() => TaskSupervisor.asyncStreamNolink(sup, [1], work, bad)).toThrow(
      InvalidArgumentError,
    );
  });
});
