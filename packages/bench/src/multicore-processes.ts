/**
 * The processes of bench:compare's multi-core section, loaded by module path on whichever
 * node runs them (`nodes.spawn(node, this module, export, args)`: closures cannot cross
 * threads), and spawned from the same exports on a plain runtime for the one-thread
 * column, so both columns run the same code. Handler objects are one object however many
 * processes run them, so per-process state is keyed by PID; a starter (an async body)
 * spawns handler processes on its own node with its arguments and reports to the caller.
 */
import type { Handler, Pid, ReceiveContext } from '@actorkit/core';
import { type Call, type From, GenServer, ok, reply } from '@actorkit/genserver';

/**
 * A fixed amount of CPU work: `iterations` rounds of a 32-bit FNV-style multiply–xor,
 * the same arithmetic as `crunch` in `beam/multicore.exs` (same results too). About
 * 3–5 ns a round on this machine, in V8 and in the BEAM's JIT alike.
 */
export function crunch(seed: number, iterations: number): number {
  let h = seed | 0;
  for (let i = 0; i < iterations; i++) h = Math.imul(h ^ i, 16777619);
  return h >>> 0;
}

interface SinkState {
  expect: number;
  seen: number;
  reportTo: Pid;
}
const sinks = new Map<Pid, SinkState>();

/**
 * Counts messages. Its first message, `{ expect, reportTo }`, says how many to wait for;
 * after that many it sends `{ received }` to `reportTo`. A producer that stops early
 * sends `{ end: sent }` after its last message, which then is what to wait for.
 */
export const sink: Handler<unknown> = {
  handle(message, ctx) {
    const state = sinks.get(ctx.self);
    if (state === undefined) {
      const { expect, reportTo } = message as { expect: number; reportTo: Pid };
      sinks.set(ctx.self, { expect, seen: 0, reportTo });
      return;
    }
    const end = (message as { end?: number }).end;
    if (end !== undefined) state.expect = end;
    else state.seen++;
    if (state.seen === state.expect) {
      sinks.delete(ctx.self);
      ctx.send(state.reportTo, { received: state.seen });
    }
  },
};

/** Answers each `{ from, n }` with `n`. */
export const ponger: Handler<{ from: Pid<number>; n: number }> = {
  handle(message, ctx) {
    const { from, n } = message as { from: Pid<number>; n: number };
    ctx.send(from, n);
  },
};

/** A counter answering `{ type: 'get' }`: the server of the cross-node call row. */
export class Counter extends GenServer<number, Call<'get', number>> {
  init(start: number) {
    return ok(start);
  }

  override handleCall(_request: Call<'get', number>, _from: From, count: number) {
    return reply(count, count);
  }
}

/** Starts a `Counter` on this node (unlinked, so it outlives this body) and sends `{ server }` to `reportTo`. */
export async function startCounter(ctx: ReceiveContext<unknown>, reportTo: Pid): Promise<void> {
  const server = await GenServer.start(Counter, 0, { runtime: ctx.runtime });
  ctx.send(reportTo, { server });
}

/** Kills `pids` (local to the caller's node) once a partition has reported. */
function killAll(ctx: ReceiveContext<unknown>, pids: Pid<any>[]): void {
  for (const pid of pids) ctx.exit(pid, 'kill');
}

/**
 * One partition of the independent ping-pong pairs: spawns `pairs` pairs on this node,
 * sends `'ready'` to `reportTo`, waits for `'go'`, then each pair does `roundTrips` round
 * trips; when all are done it sends `'done'` to `reportTo`. Nothing crosses nodes between
 * `'go'` and `'done'`: a partitioned workload.
 */
export async function pingPongPartition(
  ctx: ReceiveContext<unknown>,
  pairs: number,
  roundTrips: number,
  reportTo: Pid,
): Promise<void> {
  const parent = ctx.self;
  const pings = Array.from({ length: pairs }, () => {
    let pongOf: Pid<{ from: Pid<number>; n: number }> | undefined;
    return ctx.spawn<Pid<{ from: Pid<number>; n: number }> | number>({
      handle(message, c) {
        if (pongOf === undefined) {
          pongOf = message as Pid<{ from: Pid<number>; n: number }>;
          c.send(pongOf, { from: c.self as Pid<number>, n: 1 });
        } else if ((message as number) === roundTrips) c.send(parent, 'pair');
        else c.send(pongOf, { from: c.self as Pid<number>, n: (message as number) + 1 });
      },
    });
  });
  // Each pair has a ponger of its own, so no process is shared between pairs.
  const pongs = pings.map(() => ctx.spawn(ponger));
  ctx.send(reportTo, 'ready');
  await ctx.receive((m) => m === 'go');
  for (const [i, ping] of pings.entries()) ctx.send(ping, pongs[i]!);
  for (let left = pairs; left > 0; left--) await ctx.receive((m) => m === 'pair');
  killAll(ctx, [...pings, ...pongs]);
  ctx.send(reportTo, 'done');
}

/**
 * One partition of the CPU-bound workload: spawns `crunchers` processes on this node,
 * sends `'ready'` to `reportTo`, waits for `'go'`, then sends `messages` messages among
 * them, each of which costs `crunch(seed, work)`; when every one is handled it sends
 * `'done'` to `reportTo`.
 */
export async function crunchPartition(
  ctx: ReceiveContext<unknown>,
  crunchers: number,
  messages: number,
  work: number,
  reportTo: Pid,
): Promise<void> {
  const parent = ctx.self;
  const quotas = Array.from(
    { length: crunchers },
    (_, i) => Math.floor(messages / crunchers) + (i < messages % crunchers ? 1 : 0),
  );
  const pids = quotas.map((quota) => {
    let handled = 0;
    let sum = 0;
    return ctx.spawn<number>({
      handle(seed, c) {
        sum = (sum + crunch(seed as number, work)) | 0;
        if (++handled === quota) c.send(parent, { crunched: handled, sum });
      },
    });
  });
  ctx.send(reportTo, 'ready');
  await ctx.receive((m) => m === 'go');
  for (let i = 0; i < messages; i++) ctx.send(pids[i % crunchers]!, i);
  const busy = quotas.filter((q) => q > 0).length;
  for (let left = busy; left > 0; left--) await ctx.receive((m) => typeof m === 'object');
  killAll(ctx, pids);
  ctx.send(reportTo, 'done');
}

/**
 * The CPU-bound flood under the HTTP probe: one process on this node handles messages
 * of `crunch(seed, work)` each (sending itself the next) for `seconds`, then this body
 * sends `{ messages }` (how many it handled) to `reportTo`. The deadline is taken on
 * this node's clock, since threads' `performance.now()` have different origins.
 */
export async function cpuFlood(
  ctx: ReceiveContext<unknown>,
  seconds: number,
  work: number,
  reportTo: Pid,
): Promise<void> {
  const parent = ctx.self;
  const deadline = performance.now() + seconds * 1000;
  let messages = 0;
  const flood = ctx.spawn<number>({
    handle(seed, c) {
      crunch(seed as number, work);
      messages++;
      if (performance.now() < deadline) c.send(c.self, messages);
      else c.send(parent, 'flooded');
    },
  });
  ctx.send(flood, 0);
  await ctx.receive((m) => m === 'flooded');
  ctx.send(reportTo, { messages });
}
