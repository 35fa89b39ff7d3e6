/**
 * actorkit: handler processes (the fast kind) for the message workloads, GenServer for
 * calls, casts and the periodic timers (the article's AccountSync pattern), a Supervisor
 * for restarts. Calls are made from plain Node code, as an HTTP handler would.
 */

import { performance } from 'node:perf_hooks';
import { type Handler, type Pid, type ProcessContext, Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  reply,
  Supervisor,
} from '@actorkit/genserver';
import { collect, fairness, measureTicks, perSecond, Samples, signal, until } from '../measure.js';
import type { NodeSystem } from '../system.js';
import { PRODUCER_BATCHES, type Sizes } from '../workloads.js';

async function spawnIdle(count: number): Promise<number[]> {
  const runtime = new Runtime();
  let started = 0;
  const handler: Handler<unknown> = {
    init() {
      started++;
    },
    handle() {},
  };
  const before = collect();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) runtime.spawn(handler);
  await until(() => started === count);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / count;
  await runtime.stop();
  return [ms, bytes];
}

async function send(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  const count = sizes.sends;
  const half = sizes.sendWindow / 2;
  let sent = 0;
  let received = 0;
  let sender: Pid<'more'>;
  const receiver = runtime.spawn<number>({
    handle(_message, ctx) {
      if (++received % half === 0) ctx.send(sender, 'more');
      if (received === count) done();
    },
  });
  sender = runtime.spawn<'more'>({
    handle(_message, ctx) {
      const end = Math.min(sent + (sent === 0 ? sizes.sendWindow : half), count);
      while (sent < end) ctx.send(receiver, sent++);
    },
  });
  const t0 = performance.now();
  runtime.send(sender, 'more');
  await finished;
  const rate = perSecond(count, t0);
  await runtime.stop();
  return [rate];
}

async function pingPong(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  let ping: Pid<number>;
  const pong = runtime.spawn<number>({
    handle(n, ctx) {
      ctx.send(ping, n as number);
    },
  });
  ping = runtime.spawn<number>({
    handle(n, ctx) {
      if (n === sizes.pingPongs) done();
      else ctx.send(pong, (n as number) + 1);
    },
  });
  const t0 = performance.now();
  runtime.send(ping, 0);
  await finished;
  const rate = perSecond(sizes.pingPongs, t0);
  await runtime.stop();
  return [rate];
}

class RingNode implements Handler<number> {
  next: Pid<number> | undefined;
  constructor(readonly done: () => void) {}

  handle(hops: unknown, ctx: ProcessContext<number>): void {
    if (hops === 0) this.done();
    else ctx.send(this.next!, (hops as number) - 1);
  }
}

async function ring(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  const nodes = Array.from({ length: sizes.ringSize }, () => new RingNode(done));
  const pids = nodes.map((node) => runtime.spawn(node));
  nodes.forEach((node, i) => {
    node.next = pids[(i + 1) % sizes.ringSize];
  });
  const t0 = performance.now();
  runtime.send(pids[0]!, sizes.ringHops);
  await finished;
  const rate = perSecond(sizes.ringHops, t0);
  await runtime.stop();
  return [rate];
}

class Counter extends GenServer<number, Call<'get', number>, 'inc'> {
  init(start: number) {
    return ok(start);
  }
  override handleCall(_request: Call<'get', number>, _from: From, count: number) {
    return reply(count, count);
  }
  override handleCast(_request: 'inc', count: number) {
    return noreply(count + 1);
  }
}

async function call(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const server = await GenServer.start(Counter, 0, { runtime });
  const t0 = performance.now();
  for (let i = 0; i < sizes.calls; i++) await GenServer.call(server, { type: 'get' });
  const rate = perSecond(sizes.calls, t0);
  await runtime.stop();
  return [rate];
}

async function cast(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const server = await GenServer.start(Counter, 0, { runtime });
  const t0 = performance.now();
  for (let i = 0; i < sizes.casts; i++) GenServer.cast(server, 'inc');
  const count = await GenServer.call(server, { type: 'get' }, Number.POSITIVE_INFINITY);
  const rate = perSecond(sizes.casts, t0);
  if (count !== sizes.casts) throw new Error(`lost casts: ${count}`);
  await runtime.stop();
  return [rate];
}

interface TickState {
  due: number;
}

/** The AccountSync pattern: a GenServer that wakes itself with `sendAfter`. */
class Ticker extends GenServer<TickState, never, never, 'tick'> {
  static lateness: Samples;
  static tickMs: number;
  static armed = 0;

  init() {
    const delay = Math.random() * Ticker.tickMs;
    this.sendAfter('tick', delay);
    Ticker.armed++;
    return ok({ due: performance.now() + delay });
  }

  override handleInfo(_tick: unknown, state: TickState) {
    const now = performance.now();
    Ticker.lateness.add(now - state.due);
    state.due = now + Ticker.tickMs;
    this.sendAfter('tick', Ticker.tickMs);
    return noreply(state);
  }
}

/** The spread shape: each tick re-arms for its own phase, a period after it was due. */
class SpreadTicker extends Ticker {
  override handleInfo(_tick: unknown, state: TickState) {
    const now = performance.now();
    Ticker.lateness.add(now - state.due);
    state.due += Ticker.tickMs;
    this.sendAfter('tick', Math.max(0, state.due - now));
    return noreply(state);
  }
}

async function timers(sizes: Sizes, module = Ticker): Promise<number[]> {
  const runtime = new Runtime();
  const lateness = new Samples();
  lateness.recording = false;
  Object.assign(Ticker, { lateness, tickMs: sizes.tickMs, armed: 0 });
  const before = collect();
  const starting: Promise<unknown>[] = [];
  for (let i = 0; i < sizes.tickers; i++) starting.push(GenServer.start(module, null, { runtime }));
  await Promise.all(starting);
  const result = await measureTicks(lateness, before, sizes);
  await runtime.stop();
  return result;
}

/** Crashes itself right after each start until `left` runs out. */
class Fragile extends GenServer<null, never, never, 'crash'> {
  static left = 0;
  static done: () => void = () => {};

  init() {
    if (--Fragile.left <= 0) Fragile.done();
    else this.ctx.send(this.self, 'crash');
    return ok(null);
  }

  override handleInfo(): never {
    throw new Error('crash');
  }
}

async function restarts(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  // The first start is not a restart.
  Object.assign(Fragile, { left: sizes.restarts + 1, done });
  const t0 = performance.now();
  await Supervisor.start([[Fragile, undefined]], {
    runtime,
    maxRestarts: sizes.restarts * 2,
    maxSeconds: 3600,
  });
  await finished;
  const rate = perSecond(sizes.restarts, t0);
  await runtime.stop();
  return [rate];
}

async function flood(sizes: Sizes): Promise<number[]> {
  const runtime = new Runtime();
  const result = await fairness(sizes, async (deadline) => {
    let messages = 0;
    let running = sizes.floodPairs * 2;
    const { done, finished } = signal();
    const bouncer: Handler<{ to: Pid<any>; n: number }> = {
      handle(message, ctx) {
        const { to, n } = message as { to: Pid<any>; n: number };
        messages++;
        if ((n & 255) === 0 && performance.now() > deadline) {
          if (--running === 0) done();
          return;
        }
        ctx.send(to, { to: ctx.self, n: n + 1 });
      },
    };
    for (let i = 0; i < sizes.floodPairs; i++) {
      const a = runtime.spawn(bouncer);
      const b = runtime.spawn(bouncer);
      runtime.send(a, { to: b, n: 1 });
      runtime.send(b, { to: a, n: 1 });
    }
    await finished;
    return messages;
  });
  await runtime.stop();
  return result;
}

/** A producer samples its consumer's mailbox after every this many batches: every ~1,024 messages. */
const sampleEvery = (batch: number): number => Math.max(1, Math.round(1024 / batch));

/** Sends `batch` messages to `consumer` per turn, then one to itself to go on, until `quota`. */
class Producer implements Handler<'go'> {
  private sent = 0;
  private batches = 0;

  constructor(
    private readonly consumer: Pid<{ n: number }>,
    private readonly batch: number,
    private readonly quota: number,
    private readonly sample: () => void,
  ) {}

  handle(_go: unknown, ctx: ProcessContext<'go'>): void {
    const end = Math.min(this.sent + this.batch, this.quota);
    while (this.sent < end) ctx.send(this.consumer, { n: this.sent++ });
    if (++this.batches % sampleEvery(this.batch) === 0) this.sample();
    if (this.sent < this.quota) ctx.send(ctx.self, 'go');
  }
}

/** Workloads 9 and 10: self-continuing producers into one counting consumer; msgs/s, peak mailbox. */
async function produce(producers: number, batch: number, total: number): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  const quota = Math.ceil(total / producers);
  const expected = quota * producers;
  let received = 0;
  let peak = 0;
  const consumer = runtime.spawn<{ n: number }>({
    handle() {
      if (++received === expected) done();
    },
  });
  const sample = (): void => {
    peak = Math.max(peak, runtime.processInfo(consumer)!.mailboxLength);
  };
  const pids = Array.from({ length: producers }, () =>
    runtime.spawn(new Producer(consumer, batch, quota, sample)),
  );
  const t0 = performance.now();
  for (const pid of pids) runtime.send(pid, 'go');
  await finished;
  const rate = perSecond(expected, t0);
  await runtime.stop();
  return [rate, peak];
}

export const actorkit: NodeSystem = {
  id: 'actorkit',
  title: 'actorkit',
  notes: [
    'handler processes for workloads 1–4 and 8; `GenServer` for 5 and 6 (`sendAfter` to itself); `Supervisor` one_for_one over a GenServer that crashes right after each start for 7; calls made from plain Node code',
  ],
  run: {
    'spawn-small': (s) => spawnIdle(s.spawnSmall),
    'spawn-large': (s) => spawnIdle(s.spawnLarge),
    send,
    'ping-pong': pingPong,
    ring,
    call,
    cast,
    timers: (s) => timers(s),
    'timers-spread': (s) => timers(s, SpreadTicker),
    restarts,
    fairness: flood,
    producer: async (s) => {
      const rows: number[] = [];
      for (const batch of PRODUCER_BATCHES) rows.push(...(await produce(1, batch, s.produced)));
      return rows;
    },
    producers: (s) => produce(s.producers, s.producersBatch, s.produced),
  },
};
