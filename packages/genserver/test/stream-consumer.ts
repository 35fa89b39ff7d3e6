// What the asyncStream tests share (Task's and TaskSupervisor's): the work each task does,
// and a consumer process that iterates a stream and reports what it saw.
import type { Pid, ReceiveContext, Runtime } from '@actorkit/core';
import type { StreamResult } from '../src/index.js';
import { exitOf, sleep } from './support.js';

/** The error item 2's task throws. */
export const boom = new Error('two failed');

/** 2 throws, 3 takes `3 * 10` ms, the others answer at once. */
export async function work(n: number, ctx: ReceiveContext<any>): Promise<number> {
  if (n === 2) throw boom;
  if (n === 3) await sleep(ctx, 30);
  return n * 10;
}

/** What {@link consumeStream} returns: the consumer, and what it saw as it runs. */
export interface StreamConsumer {
  consumer: Pid<any>;
  got: StreamResult<number, number>[];
  report: { thrown?: unknown; leftover?: unknown };
  exited: Promise<unknown>;
}

/**
 * Spawns a consumer process on `runtime` that traps exits if `trap`, iterates the stream
 * `open` makes (given the consumer's context), records each result, what the iteration
 * threw, and the message left in its mailbox afterwards (`TIMEOUT` if none).
 */
export function consumeStream(
  runtime: Runtime,
  trap: boolean,
  open: (ctx: ReceiveContext<any>) => AsyncIterable<StreamResult<number, number>>,
): StreamConsumer {
  const got: StreamResult<number, number>[] = [];
  const report: { thrown?: unknown; leftover?: unknown } = {};
  const consumer = runtime.spawn(async (ctx) => {
    ctx.trapExit(trap);
    try {
      for await (const result of open(ctx)) got.push(result);
    } catch (error) {
      report.thrown = error;
    }
    report.leftover = await ctx.receive({ timeout: 0 });
  });
  return { consumer, got, report, exited: exitOf(runtime, consumer) };
}
