// Task.asyncStream and exits, as Elixir's Task.async_stream: a consumer that traps exits
// gets {exit, reason} for each task that exits and no EXIT message; one that does not
// trap exits with the task's reason. Issue #13: the stream threw at the first exit even
// for a trapping consumer, and left the Exit in its mailbox. zipInputOnExit (Elixir's
// :zip_input_on_exit) adds the item to each exit.
import { Crash, ExitError, InvalidArgumentError, TIMEOUT } from '@actorkit/core';
import { describe, expect, it } from 'vitest';
import { type AsyncStreamOptions, Task } from '../src/index.js';
import { boom, consumeStream, work } from './stream-consumer.js';
import { collect, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/**
 * A consumer process that iterates a stream over `items` (trapping exits if `trap`), then
 * reports what it got, what its mailbox held afterwards, and how it exited.
 */
function consume(
  trap: boolean,
  items: number[],
  options: Omit<AsyncStreamOptions, 'link' | 'runtime'> = {},
) {
  const { runtime, clock } = virtualRuntime();
  const consumer = consumeStream(runtime, trap, (ctx) =>
    Task.asyncStream(items, work, { runtime, link: ctx.self, maxConcurrency: 4, ...options }),
  );
  return { runtime, clock, ...consumer };
}

describe('Task.asyncStream() with a consumer that traps exits', () => {
  it('yields { exit: reason } for a task that crashed, in order, and goes on', async () => {
    const { clock, got, report, exited } = consume(true, [1, 2, 3, 4]);
    await clock.advance(30);
    expect(await exited).toBe('normal');
    expect(got).toHaveLength(4);
    expect(got[0]).toEqual({ ok: 10 });
    expect((got[1] as { exit: Crash }).exit).toBeInstanceOf(Crash);
    expect(((got[1] as { exit: Crash }).exit as Crash).error).toBe(boom);
    expect(got.slice(2)).toEqual([{ ok: 30 }, { ok: 40 }]);
    expect(report.thrown).toBeUndefined();
  });

  it('leaves no Exit message in its mailbox', async () => {
    const { clock, report, exited } = consume(true, [2, 2, 1]);
    await clock.advance(30);
    await exited;
    expect(report.leftover).toBe(TIMEOUT);
  });

  it('yields exits as they come with ordered: false', async () => {
    const { clock, got, exited } = consume(true, [3, 2, 1], { ordered: false });
    await clock.advance(30);
    await exited;
    expect(got.map((r) => ('ok' in r ? r.ok : 'exit'))).toEqual(['exit', 10, 30]);
  });

  it('kills the tasks still running when the consumer exits', async () => {
    const { runtime, clock } = virtualRuntime();
    let started = 0;
    const consumer = runtime.spawn(async (ctx) => {
      ctx.trapExit(true);
      const stream = Task.asyncStream(
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
    expect(runtime.processCount).toBe(4);
    runtime.exit(consumer, 'kill');
    await clock.settle();
    expect(runtime.processCount).toBe(0);
  });
});

describe('Task.asyncStream() with a consumer that does not trap exits', () => {
  it('exits the consumer with the reason of the task that crashed', async () => {
    const { clock, exited } = consume(false, [1, 2, 3]);
    await clock.advance(30);
    const reason = await exited;
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
  });

  it('throws ExitError from the iteration when it runs outside any process', async () => {
    const { runtime } = virtualRuntime();
    const error = await collect(Task.asyncStream([1, 2], work, { runtime })).catch((e) => e);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).reason).toBeInstanceOf(Crash);
  });
});

describe('Task.asyncStream() with zipInputOnExit', () => {
  it('adds the item to each exit, crashes and timeouts alike, and not to results', async () => {
    const { clock, got, exited } = consume(true, [1, 2, 3], {
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

  it('leaves exits without input by default', async () => {
    const { runtime, clock } = virtualRuntime();
    const results = collect(
      Task.asyncStream([3], work, { runtime, timeout: 20, onTimeout: 'kill_task' }),
    );
    await clock.advance(20);
    expect(await results).toEqual([{ exit: 'timeout' }]);
  });

  it('is an InvalidArgumentError when not a boolean', () => {
    const { runtime } = virtualRuntime();
    expect(() => Task.asyncStream([1], work, { runtime, zipInputOnExit: 'yes' as never })).toThrow(
      InvalidArgumentError,
    );
  });
});
