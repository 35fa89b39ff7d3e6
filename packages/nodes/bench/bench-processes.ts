// Processes the nodes benchmark spawns, on whichever node, by module path. A handler
// object is one object however many processes run it: per-process state is keyed by PID.
import type { Pid, ProcessContext } from '@actorkit/core';

interface SinkState {
  total: number;
  seen: number;
  reportTo: Pid;
}
const sinks = new Map<Pid, SinkState>();

/** Counts messages; after the `expect` of its `{ expect, reportTo }` first message, reports `{ done }`. */
export const sink = {
  handle(message: unknown, ctx: ProcessContext<unknown>) {
    const state = sinks.get(ctx.self);
    if (state === undefined) {
      const { expect, reportTo } = message as { expect: number; reportTo: Pid };
      sinks.set(ctx.self, { total: expect, seen: 0, reportTo });
      return;
    }
    if (++state.seen === state.total) ctx.send(state.reportTo, { done: state.seen });
  },
};

/** Answers each `{ from, n }` with `n`. */
export const ponger = {
  handle(message: { from: Pid; n: number }, ctx: ProcessContext<unknown>) {
    ctx.send(message.from, message.n);
  },
};
