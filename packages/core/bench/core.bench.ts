/**
 * The core benchmark: spawning, one-to-one send, ping-pong, a ring, unbounded
 * self-continuing producers into one consumer, a handler or a body with a receive loop
 * (the shape that hurts an unfair scheduler: throughput and the consumer's peak
 * mailbox) and periodic timers, each measured for actorkit and for a hand-written
 * plain-Node baseline in the same process. The baseline is what a careful programmer
 * would write without a library: a ring-buffer queue per actor, plain function calls,
 * and a minimal run loop that, like actorkit's scheduler, yields to the event loop with
 * `setImmediate` every few ms, so the comparison is fair. Each workload runs once to
 * warm up, then `BENCH_RUNS` times (default 3), alternating actorkit and baseline; the
 * table shows medians and the ratio actorkit / baseline. Each workload runs in a Node
 * process of its own, so none measures on a heap an earlier one fragmented or with JIT
 * state an earlier one left.
 *
 * The figures are for the built package, `dist/`, which is what npm users run: this file
 * imports `@actorkit/core` by name, which resolves through the package's `exports` to
 * `dist/index.js`, and `pnpm bench` builds first. (Run from source through tsx, every class
 * gets esbuild's keepNames `static { __name(this) }` block, and V8 answers a false
 * `instanceof` against such a class on a slow generic path, which the runtime's message
 * dispatch would pay for and users do not.)
 *
 * Run with `pnpm --filter @actorkit/core bench` (it builds, then runs this with
 * `node --expose-gc`). The table goes to stdout and to `bench/results/latest.md`; progress
 * goes to stderr. `BENCH_TIMER_SECONDS` (default 10) sets how long the periodic timers are
 * measured, after one unmeasured period; `BENCH_ONLY=text` runs only the workloads whose
 * label contains `text` and writes no results file: for profiling, after a build, with
 * `BENCH_ONLY=ring node --cpu-prof --expose-gc --import tsx bench/core.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  type Handler,
  type Pid,
  type ProcessContext,
  type ReceiveContext,
  Runtime,
} from '@actorkit/core';
import { collect, Lateness, measureTicks, median, signal, until } from './measure.js';
import {
  type PlainBodyActor,
  PlainHandlerActor,
  type PlainTurnBodyActor,
  RunLoop,
  spawnPlainBody,
  spawnPlainTurnBody,
} from './plain-actors.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIMER_SECONDS = Number(process.env.BENCH_TIMER_SECONDS ?? 10);
/** Runs only the workloads whose first row's label contains this text (for profiling). */
const ONLY = process.env.BENCH_ONLY ?? '';
const SPAWN_COUNT = 100_000;
const SEND_COUNT = 5_000_000;
/** Messages in flight in the send workload: the receiver acks every half window. */
const SEND_WINDOW = 2_000;
const PING_PONGS = 1_000_000;
const CHURN_TASKS = 400_000;
const CHURN_BATCH = 50;
const CHURN_IDLE = 10_000;
const RING_SIZE = 10_000;
const RING_HOPS = 1_000_000;
const FLOODED = 10_000_000;
/** Messages the self-continuing producers send in all, for every batch size. */
const PRODUCED = 2_000_000;
const PRODUCER_BATCHES = [1, 100, 1_000];
/** Many producers → one consumer: how many, and the batch each sends per turn. */
const PRODUCERS = 100;
const PRODUCERS_BATCH = 10;
/** The batch of the body producer → body consumer workload. */
const BODY_PRODUCER_BATCH = 100;
const TICKERS = 100_000;
const TICK_MS = 1_000;
const TIMING = { tickMs: TICK_MS, timerSeconds: TIMER_SECONDS };

// ---------------------------------------------------------------- measuring helpers

// ---------------------------------------------------------------- workloads

/** Spawns 100k idle handler processes: ms to spawn and run them, heap bytes per process. */
async function spawnHandlers(): Promise<number[]> {
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
  for (let i = 0; i < SPAWN_COUNT; i++) runtime.spawn(handler);
  await until(() => started === SPAWN_COUNT);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / SPAWN_COUNT;
  await runtime.stop();
  return [ms, bytes];
}

async function spawnHandlersPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const actors = new Map<number, PlainHandlerActor>();
  let started = 0;
  const init = (): void => {
    started++;
  };
  const handle = (): void => {};
  const before = collect();
  const t0 = performance.now();
  for (let i = 1; i <= SPAWN_COUNT; i++) {
    actors.set(i, new PlainHandlerActor(loop, handle, init));
  }
  await until(() => started === SPAWN_COUNT);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / SPAWN_COUNT;
  actors.clear();
  return [ms, bytes];
}

/** Spawns 100k body processes that wait in `receive`: ms, heap bytes per process. */
async function spawnBodies(): Promise<number[]> {
  const runtime = new Runtime();
  let started = 0;
  const body = async (ctx: ReceiveContext<unknown>): Promise<void> => {
    started++;
    for (;;) await ctx.receive();
  };
  const before = collect();
  const t0 = performance.now();
  for (let i = 0; i < SPAWN_COUNT; i++) runtime.spawn(body);
  await until(() => started === SPAWN_COUNT);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / SPAWN_COUNT;
  await runtime.stop();
  return [ms, bytes];
}

async function spawnBodiesPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const actors = new Map<number, PlainBodyActor>();
  let started = 0;
  const body = async (self: PlainBodyActor): Promise<void> => {
    started++;
    for (;;) await self.receive();
  };
  const before = collect();
  const t0 = performance.now();
  for (let i = 1; i <= SPAWN_COUNT; i++) actors.set(i, spawnPlainBody(loop, body));
  await until(() => started === SPAWN_COUNT);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / SPAWN_COUNT;
  actors.clear();
  return [ms, bytes];
}

/**
 * One sender, one handler process, 5M small messages: msgs/s. The receiver acks every
 * half window, so the mailbox stays small (a flood would measure array growth instead).
 */
async function sendThroughput(): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  const half = SEND_WINDOW / 2;
  let sent = 0;
  let received = 0;
  let sender: Pid<'more'>;
  const receiver = runtime.spawn<number>({
    handle(_message, ctx) {
      if (++received % half === 0) ctx.send(sender, 'more');
      if (received === SEND_COUNT) done();
    },
  });
  sender = runtime.spawn<'more'>({
    handle(_message, ctx) {
      const end = Math.min(sent + (sent === 0 ? SEND_WINDOW : half), SEND_COUNT);
      while (sent < end) ctx.send(receiver, sent++);
    },
  });
  const t0 = performance.now();
  runtime.send(sender, 'more');
  await finished;
  const rate = SEND_COUNT / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate];
}

async function sendThroughputPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const half = SEND_WINDOW / 2;
  let sent = 0;
  let received = 0;
  const receiver: PlainHandlerActor = new PlainHandlerActor(loop, () => {
    if (++received % half === 0) sender.send('more');
    if (received === SEND_COUNT) done();
  });
  const sender: PlainHandlerActor = new PlainHandlerActor(loop, () => {
    const end = Math.min(sent + (sent === 0 ? SEND_WINDOW : half), SEND_COUNT);
    while (sent < end) receiver.send(sent++);
  });
  const t0 = performance.now();
  sender.send('more');
  await finished;
  return [SEND_COUNT / ((performance.now() - t0) / 1000)];
}

/**
 * Short tasks under a long-lived parent, as a task supervisor runs them: the parent
 * spawns `CHURN_BATCH` children at a time, each linked and monitored, each exiting at
 * once, and the next batch when their `Down`s are in; beside `CHURN_IDLE` idle
 * long-lived processes, after a full collection has made the parent and its
 * bookkeeping old, as in a server that has been up a while. Tasks/s.
 */
async function taskChurn(): Promise<number[]> {
  const runtime = new Runtime();
  for (let i = 0; i < CHURN_IDLE; i++) runtime.spawn({ handle() {} });
  const { done, finished } = signal();
  let downs = 0;
  const child = async (): Promise<void> => {};
  const parent = runtime.spawn<'go'>({
    handle(message, ctx) {
      if (message !== 'go' && ++downs % CHURN_BATCH !== 0) return;
      if (downs === CHURN_TASKS) return done();
      for (let i = 0; i < CHURN_BATCH; i++) ctx.monitor(ctx.spawnLink(child));
    },
  });
  await until(() => runtime.processCount > CHURN_IDLE);
  collect();
  const t0 = performance.now();
  runtime.send(parent, 'go');
  await finished;
  const rate = CHURN_TASKS / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate];
}

async function taskChurnPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const idle = new Map<number, PlainHandlerActor>();
  for (let i = 1; i <= CHURN_IDLE; i++) idle.set(i, new PlainHandlerActor(loop, () => {}));
  const { done, finished } = signal();
  let downs = 0;
  // The parent's links and monitors, as plain code keeps them: a Set and a Map.
  const links = new Set<PlainHandlerActor>();
  const monitors = new Map<number, PlainHandlerActor>();
  let nextRef = 0;
  const parent: PlainHandlerActor = new PlainHandlerActor(loop, (message) => {
    if (message !== 'go' && ++downs % CHURN_BATCH !== 0) return;
    if (downs === CHURN_TASKS) return done();
    for (let i = 0; i < CHURN_BATCH; i++) {
      const ref = nextRef++;
      const child = new PlainHandlerActor(
        loop,
        () => {},
        (self) => {
          links.delete(self);
          monitors.delete(ref);
          parent.send({ down: ref });
        },
      );
      links.add(child);
      monitors.set(ref, child);
    }
  });
  collect();
  const t0 = performance.now();
  parent.send('go');
  await finished;
  const rate = CHURN_TASKS / ((performance.now() - t0) / 1000);
  idle.clear();
  return [rate];
}

/** 1M round trips between two handler processes: round trips/s. */
async function pingPongHandlers(): Promise<number[]> {
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
      if (n === PING_PONGS) done();
      else ctx.send(pong, (n as number) + 1);
    },
  });
  const t0 = performance.now();
  runtime.send(ping, 0);
  await finished;
  const rate = PING_PONGS / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate];
}

async function pingPongHandlersPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const pong: PlainHandlerActor = new PlainHandlerActor(loop, (n) => ping.send(n));
  const ping: PlainHandlerActor = new PlainHandlerActor(loop, (n: number) =>
    n === PING_PONGS ? done() : pong.send(n + 1),
  );
  const t0 = performance.now();
  ping.send(0);
  await finished;
  return [PING_PONGS / ((performance.now() - t0) / 1000)];
}

/** 1M round trips between two body processes using `receive`: round trips/s. */
async function pingPongBodies(): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  let ping: Pid<number>;
  const pong = runtime.spawn<number>(async (ctx) => {
    for (;;) ctx.send(ping, (await ctx.receive()) as number);
  });
  const t0 = performance.now();
  ping = runtime.spawn<number>(async (ctx) => {
    for (let i = 1; i <= PING_PONGS; i++) {
      ctx.send(pong, i);
      await ctx.receive();
    }
    done();
  });
  await finished;
  const rate = PING_PONGS / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate];
}

async function pingPongBodiesPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const pong = spawnPlainBody(loop, async (self) => {
    for (;;) ping.send(await self.receive());
  });
  const t0 = performance.now();
  const ping = spawnPlainBody(loop, async (self) => {
    for (let i = 1; i <= PING_PONGS; i++) {
      pong.send(i);
      await self.receive();
    }
    done();
  });
  await finished;
  return [PING_PONGS / ((performance.now() - t0) / 1000)];
}

class RingNode implements Handler<number> {
  next: Pid<number> | undefined;
  constructor(readonly done: () => void) {}

  handle(hops: unknown, ctx: ProcessContext<number>): void {
    if (hops === 0) this.done();
    else ctx.send(this.next!, (hops as number) - 1);
  }
}

/** A token passed 1M hops around a ring of 10k handler processes: hops/s. */
async function ring(): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  const nodes = Array.from({ length: RING_SIZE }, () => new RingNode(done));
  const pids = nodes.map((node) => runtime.spawn(node));
  nodes.forEach((node, i) => {
    node.next = pids[(i + 1) % RING_SIZE];
  });
  const t0 = performance.now();
  runtime.send(pids[0]!, RING_HOPS);
  await finished;
  const rate = RING_HOPS / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate];
}

async function ringPlain(): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const handle = (hops: number, self: PlainHandlerActor): void => {
    if (hops === 0) done();
    else self.next!.send(hops - 1);
  };
  const actors = Array.from({ length: RING_SIZE }, () => new PlainHandlerActor(loop, handle));
  actors.forEach((actor, i) => {
    actor.next = actors[(i + 1) % RING_SIZE]!;
  });
  const t0 = performance.now();
  actors[0]!.send(RING_HOPS);
  await finished;
  return [RING_HOPS / ((performance.now() - t0) / 1000)];
}

/**
 * Kills a process with `FLOODED` messages queued and nobody listening for dead letters:
 * ms for `runtime.exit` to return (issue #12: it once walked and copied the mailbox,
 * ~1.9 s for 10M messages, blocking the event loop).
 */
async function exitFlooded(): Promise<number[]> {
  const runtime = new Runtime();
  let waiting = false;
  const pid = runtime.spawn(async (ctx: ReceiveContext<number>) => {
    waiting = true;
    await ctx.receive(() => false);
  });
  await until(() => waiting);
  for (let i = 0; i < FLOODED; i++) runtime.send(pid, i);
  const t0 = performance.now();
  runtime.exit(pid, 'kill');
  const ms = performance.now() - t0;
  await runtime.stop();
  return [ms];
}

/**
 * No plain equivalent: a plain actor is stopped by dropping it, which costs nothing to
 * measure. The row shows actorkit's absolute figure; its ratio is n/a.
 */
async function exitFloodedPlain(): Promise<number[]> {
  return [Number.NaN];
}

/** A producer samples its consumer's mailbox after every this many batches: every ~1,024 messages. */
const sampleEvery = (batch: number): number => Math.max(1, Math.round(1024 / batch));

/**
 * Sends `batch` small objects to `consumer` per turn, then a message to itself to go on
 * (the usual way to do long work in slices), until it has sent `quota`.
 */
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

/** What the producers and the consumer are: handler processes, or bodies with a receive loop. */
interface Shape {
  producer: 'handler' | 'body';
  consumer: 'handler' | 'body';
}

const HANDLERS: Shape = { producer: 'handler', consumer: 'handler' };
const HANDLER_INTO_BODY: Shape = { producer: 'handler', consumer: 'body' };
const BODIES: Shape = { producer: 'body', consumer: 'body' };

/** A body that does what `Producer` does: waits for 'go', sends a batch, sends itself 'go'. */
function bodyProducer(
  consumer: Pid<{ n: number }>,
  batch: number,
  quota: number,
  sample: () => void,
): (ctx: ReceiveContext<'go'>) => Promise<void> {
  return async (ctx) => {
    let sent = 0;
    let batches = 0;
    while (sent < quota) {
      await ctx.receive();
      const end = Math.min(sent + batch, quota);
      while (sent < end) ctx.send(consumer, { n: sent++ });
      if (++batches % sampleEvery(batch) === 0) sample();
      if (sent < quota) ctx.send(ctx.self, 'go');
    }
  };
}

/**
 * `producers` self-continuing producers (see `Producer`) send `total` messages in all to
 * one process that only counts them (a handler, or a body whose receive loop counts):
 * msgs/s, and the consumer's peak mailbox (sampled after a producer's batch, about every
 * 1,024 messages). Unbounded: nothing but the scheduler's fairness keeps the consumer's
 * mailbox from growing.
 */
async function produce(
  producers: number,
  batch: number,
  total: number,
  shape: Shape = HANDLERS,
): Promise<number[]> {
  const runtime = new Runtime();
  const { done, finished } = signal();
  let received = 0;
  let peak = 0;
  const consumer =
    shape.consumer === 'handler'
      ? runtime.spawn<{ n: number }>({
          handle() {
            if (++received === total) done();
          },
        })
      : runtime.spawn<{ n: number }>(async (ctx) => {
          for (;;) {
            await ctx.receive();
            if (++received === total) done();
          }
        });
  const sample = (): void => {
    peak = Math.max(peak, runtime.processInfo(consumer)!.mailboxLength);
  };
  const quota = total / producers;
  const pids = Array.from({ length: producers }, () =>
    shape.producer === 'handler'
      ? runtime.spawn(new Producer(consumer, batch, quota, sample))
      : runtime.spawn(bodyProducer(consumer, batch, quota, sample)),
  );
  const t0 = performance.now();
  for (const pid of pids) runtime.send(pid, 'go');
  await finished;
  const rate = total / ((performance.now() - t0) / 1000);
  await runtime.stop();
  return [rate, peak];
}

async function producePlain(
  producers: number,
  batch: number,
  total: number,
  shape: Shape = HANDLERS,
): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  let received = 0;
  let peak = 0;
  const consumer =
    shape.consumer === 'handler'
      ? new PlainHandlerActor(loop, () => {
          if (++received === total) done();
        })
      : spawnPlainTurnBody(loop, async (self) => {
          for (;;) {
            await self.receive();
            if (++received === total) done();
          }
        });
  const quota = total / producers;
  const every = sampleEvery(batch);
  const spawnProducer = (): PlainHandlerActor | PlainTurnBodyActor => {
    let sent = 0;
    let batches = 0;
    const sendBatch = (): void => {
      const end = Math.min(sent + batch, quota);
      while (sent < end) consumer.send({ n: sent++ });
      if (++batches % every === 0) peak = Math.max(peak, consumer.length);
    };
    if (shape.producer === 'body') {
      return spawnPlainTurnBody(loop, async (self) => {
        while (sent < quota) {
          await self.receive();
          sendBatch();
          if (sent < quota) self.send('go');
        }
      });
    }
    return new PlainHandlerActor(loop, (_go, self) => {
      sendBatch();
      if (sent < quota) self.send('go');
    });
  };
  const actors = Array.from({ length: producers }, spawnProducer);
  const t0 = performance.now();
  for (const actor of actors) actor.send('go');
  await finished;
  return [total / ((performance.now() - t0) / 1000), peak];
}

class Ticker implements Handler<'tick'> {
  constructor(
    private readonly lateness: Lateness,
    private readonly index: number,
    private readonly spread: boolean,
  ) {}

  init(ctx: ProcessContext<'tick'>): void {
    const delay = Math.random() * TICK_MS;
    this.lateness.arm(this.index, delay);
    ctx.sendAfter('tick', delay);
  }

  handle(_tick: unknown, ctx: ProcessContext<'tick'>): void {
    if (this.spread) {
      ctx.sendAfter('tick', this.lateness.tickOnPhase(this.index, TICK_MS));
      return;
    }
    this.lateness.tick(this.index, TICK_MS);
    ctx.sendAfter('tick', TICK_MS);
  }
}

/**
 * 100k handler processes, each re-arming a 1 s `sendAfter` to itself from its handler,
 * first ticks spread over the first second; measured for `TIMER_SECONDS` from one period
 * after the last was armed (see `measureTicks`): CPU % of one core, mean and p99 lateness
 * (ms), heap MB. In two shapes:
 * - bunched: a tick re-arms 1 s from when it ran. A system that fires a few ms of timers
 *   in one wake-up re-arms them all for one ms, so the ticks gather into fewer, larger
 *   bunches as the seconds pass (actorkit's timer slack does this);
 * - spread (`spread`): a tick re-arms for its own phase, 1 s after it was due, so the
 *   ticks stay spread evenly over the second, about a hundred every ms, whatever the
 *   system does: the shape of many independent periodic jobs.
 */
async function periodicTimers(spread: boolean): Promise<number[]> {
  const runtime = new Runtime();
  const lateness = new Lateness(TICKERS);
  const before = collect();
  for (let i = 0; i < TICKERS; i++) runtime.spawn(new Ticker(lateness, i, spread));
  await until(() => lateness.armed === TICKERS);
  const result = await measureTicks(lateness, before, TIMING);
  await runtime.stop();
  return result;
}

async function periodicTimersPlain(spread: boolean): Promise<number[]> {
  const lateness = new Lateness(TICKERS);
  const timers: NodeJS.Timeout[] = [];
  const tick = (index: number): void => {
    if (spread) {
      timers[index] = setTimeout(tick, lateness.tickOnPhase(index, TICK_MS), index);
      return;
    }
    lateness.tick(index, TICK_MS);
    timers[index] = setTimeout(tick, TICK_MS, index);
  };
  const before = collect();
  for (let i = 0; i < TICKERS; i++) {
    const delay = Math.random() * TICK_MS;
    lateness.arm(i, delay);
    timers.push(setTimeout(tick, delay, i));
  }
  const result = await measureTicks(lateness, before, TIMING);
  for (const timer of timers) clearTimeout(timer);
  return result;
}

// ---------------------------------------------------------------- running and reporting

type Unit = 'ms' | 'B' | 'MB' | '/s' | '%' | 'msgs';

interface Workload {
  rows: { label: string; unit: Unit }[];
  /** Runs each side once, uncounted, so the JIT has warmed up. @default true */
  warmUp?: boolean;
  actorkit: () => Promise<number[]>;
  baseline: () => Promise<number[]>;
}

const workloads: Workload[] = [
  {
    rows: [
      { label: 'spawn 100k idle handler processes', unit: 'ms' },
      { label: 'heap per idle handler process', unit: 'B' },
    ],
    actorkit: spawnHandlers,
    baseline: spawnHandlersPlain,
  },
  {
    rows: [
      { label: 'spawn 100k body processes waiting in receive', unit: 'ms' },
      { label: 'heap per body process waiting in receive', unit: 'B' },
    ],
    actorkit: spawnBodies,
    baseline: spawnBodiesPlain,
  },
  {
    rows: [{ label: 'send throughput, 5M msgs one-to-one (msgs/s)', unit: '/s' }],
    actorkit: sendThroughput,
    baseline: sendThroughputPlain,
  },
  {
    rows: [{ label: 'ping-pong, 1M round trips, handlers (round trips/s)', unit: '/s' }],
    actorkit: pingPongHandlers,
    baseline: pingPongHandlersPlain,
  },
  {
    rows: [{ label: 'ping-pong, 1M round trips, bodies + receive (round trips/s)', unit: '/s' }],
    actorkit: pingPongBodies,
    baseline: pingPongBodiesPlain,
  },
  {
    rows: [
      {
        label: 'short tasks under a long-lived parent, linked and monitored, 400k (tasks/s)',
        unit: '/s',
      },
    ],
    actorkit: taskChurn,
    baseline: taskChurnPlain,
  },
  {
    rows: [{ label: 'ring of 10k handlers, 1M hops (hops/s)', unit: '/s' }],
    actorkit: ring,
    baseline: ringPlain,
  },
  {
    rows: [
      {
        label: 'exit of a process with 10M queued messages, no dead-letter listener',
        unit: 'ms',
      },
    ],
    actorkit: exitFlooded,
    baseline: exitFloodedPlain,
  },
  ...PRODUCER_BATCHES.map(
    (batch): Workload => ({
      rows: [
        {
          label: `self-continuing producer → consumer, batch ${batch}, 2M msgs (msgs/s)`,
          unit: '/s',
        },
        {
          label: `self-continuing producer → consumer, batch ${batch}: peak mailbox`,
          unit: 'msgs',
        },
      ],
      actorkit: () => produce(1, batch, PRODUCED),
      baseline: () => producePlain(1, batch, PRODUCED),
    }),
  ),
  {
    rows: [
      {
        label: `${PRODUCERS} self-continuing producers (batch ${PRODUCERS_BATCH}) → one consumer, 2M msgs (msgs/s)`,
        unit: '/s',
      },
      {
        label: `${PRODUCERS} self-continuing producers (batch ${PRODUCERS_BATCH}) → one consumer: peak mailbox`,
        unit: 'msgs',
      },
    ],
    actorkit: () => produce(PRODUCERS, PRODUCERS_BATCH, PRODUCED),
    baseline: () => producePlain(PRODUCERS, PRODUCERS_BATCH, PRODUCED),
  },
  ...PRODUCER_BATCHES.map(
    (batch): Workload => ({
      rows: [
        {
          label: `self-continuing producer → body consumer (receive loop), batch ${batch}, 2M msgs (msgs/s)`,
          unit: '/s',
        },
        {
          label: `self-continuing producer → body consumer (receive loop), batch ${batch}: peak mailbox`,
          unit: 'msgs',
        },
      ],
      actorkit: () => produce(1, batch, PRODUCED, HANDLER_INTO_BODY),
      baseline: () => producePlain(1, batch, PRODUCED, HANDLER_INTO_BODY),
    }),
  ),
  {
    rows: [
      {
        label: `self-continuing body producer → body consumer, both receive loops, batch ${BODY_PRODUCER_BATCH}, 2M msgs (msgs/s)`,
        unit: '/s',
      },
      {
        label: `self-continuing body producer → body consumer, both receive loops, batch ${BODY_PRODUCER_BATCH}: peak mailbox`,
        unit: 'msgs',
      },
    ],
    actorkit: () => produce(1, BODY_PRODUCER_BATCH, PRODUCED, BODIES),
    baseline: () => producePlain(1, BODY_PRODUCER_BATCH, PRODUCED, BODIES),
  },
  {
    rows: [
      {
        label: `${PRODUCERS} self-continuing producers (batch ${PRODUCERS_BATCH}) → one body consumer (receive loop), 2M msgs (msgs/s)`,
        unit: '/s',
      },
      {
        label: `${PRODUCERS} self-continuing producers (batch ${PRODUCERS_BATCH}) → one body consumer (receive loop): peak mailbox`,
        unit: 'msgs',
      },
    ],
    actorkit: () => produce(PRODUCERS, PRODUCERS_BATCH, PRODUCED, HANDLER_INTO_BODY),
    baseline: () => producePlain(PRODUCERS, PRODUCERS_BATCH, PRODUCED, HANDLER_INTO_BODY),
  },
  ...(['bunched', 'spread'] as const).map(
    (shape): Workload => ({
      rows: [
        { label: `100k periodic 1 s timers, ${shape}: CPU (% of one core)`, unit: '%' },
        { label: `100k periodic 1 s timers, ${shape}: mean lateness`, unit: 'ms' },
        { label: `100k periodic 1 s timers, ${shape}: p99 lateness`, unit: 'ms' },
        { label: `100k periodic 1 s timers, ${shape}: heap`, unit: 'MB' },
      ],
      actorkit: () => periodicTimers(shape === 'spread'),
      baseline: () => periodicTimersPlain(shape === 'spread'),
      // Ten seconds of steady ticking is its own warm-up.
      warmUp: false,
    }),
  ),
];

function format(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case '/s':
      return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : `${(value / 1e3).toFixed(0)}k/s`;
    case 'ms':
      return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
    case 'B':
      return `${Math.round(value)} B`;
    case 'MB':
      return `${(value / 2 ** 20).toFixed(1)} MB`;
    case '%':
      return `${value.toFixed(1)}%`;
    case 'msgs':
      return value >= 1e5 ? `${(value / 1e6).toFixed(2)}M msgs` : `${Math.round(value)} msgs`;
  }
}

async function measure(workload: Workload): Promise<string[]> {
  const ours: number[][] = [];
  const theirs: number[][] = [];
  if (workload.warmUp !== false) {
    await workload.actorkit();
    await workload.baseline();
  }
  for (let run = 0; run < RUNS; run++) {
    collect();
    ours.push(await workload.actorkit());
    collect();
    theirs.push(await workload.baseline());
  }
  return workload.rows.map(({ label, unit }, i) => {
    const a = median(ours.map((r) => r[i]!));
    const b = median(theirs.map((r) => r[i]!));
    const ratio = Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a';
    const line = `| ${label} | ${format(a, unit)} | ${format(b, unit)} | ${ratio} |`;
    console.error(line);
    return line;
  });
}

/** Set in the child process that measures one workload: its index in `workloads`. */
const WORKLOAD_INDEX = process.env.BENCH_WORKLOAD;

/** Measures `workloads[index]` in a fresh Node process (this file, same flags); its table rows. */
function measureIsolated(index: number): string[] {
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
    env: { ...process.env, BENCH_WORKLOAD: String(index) },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (child.status !== 0) {
    throw new Error(`The ${workloads[index]!.rows[0]!.label} workload failed (${child.status})`);
  }
  return child.stdout.trim().split('\n');
}

async function main(): Promise<void> {
  if (WORKLOAD_INDEX !== undefined) {
    console.log((await measure(workloads[Number(WORKLOAD_INDEX)]!)).join('\n'));
    return;
  }
  if (globalThis.gc === undefined) {
    console.error('Heap figures need `node --expose-gc`; they will show as n/a.');
  }
  const started = performance.now();
  const lines = [
    '| workload | actorkit | plain Node | actorkit / plain Node |',
    '|---|---:|---:|---:|',
  ];
  workloads.forEach((workload, index) => {
    if (workload.rows[0]!.label.includes(ONLY)) lines.push(...measureIsolated(index));
  });
  const table = lines.join('\n');
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(table);
  const cpu = cpus();
  const header = [
    '# @actorkit/core benchmark',
    '',
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version}`,
    `- cpu: ${cpu[0]?.model ?? 'unknown'} (${cpu.length} cores)`,
    `- median of ${RUNS} runs per workload after a warm-up run, each workload in a Node process of its own; timers measured over ${TIMER_SECONDS} s after a first, unmeasured second; built package (dist/); total ${seconds} s`,
    '',
  ];
  if (ONLY !== '') return; // a partial run leaves the full results alone
  const file = new URL('./results/latest.md', import.meta.url);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(file, `${header.join('\n')}\n${table}\n`);
  console.error(`\nwritten to ${file.pathname} in ${seconds} s`);
}

await main();
