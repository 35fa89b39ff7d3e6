/**
 * The plain-Node baseline: what a careful programmer writes without a library, and the
 * ceiling for JavaScript on one thread. Its actors and budgeted run loop are
 * packages/core/bench/plain-actors.ts, shared with core.bench.ts, so both benchmarks
 * compare against the same code. A call is a message carrying a promise's `resolve`; a
 * timer is one `setTimeout` per actor; a restart is a `try`/`catch` in the run loop
 * that puts a fresh actor in the crashed one's place.
 */
import { performance } from 'node:perf_hooks';
import { PlainHandlerActor, RunLoop } from '../../../core/bench/plain-actors.js';
import { collect, fairness, measureTicks, perSecond, Samples, signal, until } from '../measure.js';
import type { NodeSystem } from '../system.js';
import { PRODUCER_BATCHES, type Sizes } from '../workloads.js';

async function spawnIdle(count: number): Promise<number[]> {
  const loop = new RunLoop();
  // A map from id to actor, as a PID table would be.
  const actors = new Map<number, PlainHandlerActor>();
  let started = 0;
  const init = (): void => {
    started++;
  };
  const handle = (): void => {};
  const before = collect();
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) actors.set(i, new PlainHandlerActor(loop, handle, init));
  await until(() => started === count);
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / count;
  actors.clear();
  return [ms, bytes];
}

async function send(sizes: Sizes): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const count = sizes.sends;
  const half = sizes.sendWindow / 2;
  let sent = 0;
  let received = 0;
  const receiver: PlainHandlerActor = new PlainHandlerActor(loop, () => {
    if (++received % half === 0) sender.send('more');
    if (received === count) done();
  });
  const sender: PlainHandlerActor = new PlainHandlerActor(loop, () => {
    const end = Math.min(sent + (sent === 0 ? sizes.sendWindow : half), count);
    while (sent < end) receiver.send(sent++);
  });
  const t0 = performance.now();
  sender.send('more');
  await finished;
  return [perSecond(count, t0)];
}

async function pingPong(sizes: Sizes): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const pong: PlainHandlerActor = new PlainHandlerActor(loop, (n) => ping.send(n));
  const ping: PlainHandlerActor = new PlainHandlerActor(loop, (n: number) =>
    n === sizes.pingPongs ? done() : pong.send(n + 1),
  );
  const t0 = performance.now();
  ping.send(0);
  await finished;
  return [perSecond(sizes.pingPongs, t0)];
}

async function ring(sizes: Sizes): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const handle = (hops: number, self: PlainHandlerActor): void => {
    if (hops === 0) done();
    else self.next!.send(hops - 1);
  };
  const actors = Array.from({ length: sizes.ringSize }, () => new PlainHandlerActor(loop, handle));
  actors.forEach((actor, i) => {
    actor.next = actors[(i + 1) % sizes.ringSize]!;
  });
  const t0 = performance.now();
  actors[0]!.send(sizes.ringHops);
  await finished;
  return [perSecond(sizes.ringHops, t0)];
}

/** A counter actor: a function message is a call (it gets the count), anything else a cast. */
function counter(loop: RunLoop): PlainHandlerActor {
  return new PlainHandlerActor(loop, (message, self) => {
    if (typeof message === 'function') message(self.state);
    else self.state++;
  });
}

const callOf = (server: PlainHandlerActor): Promise<number> =>
  new Promise((resolve) => server.send(resolve));

async function call(sizes: Sizes): Promise<number[]> {
  const server = counter(new RunLoop());
  const t0 = performance.now();
  for (let i = 0; i < sizes.calls; i++) await callOf(server);
  return [perSecond(sizes.calls, t0)];
}

async function cast(sizes: Sizes): Promise<number[]> {
  const server = counter(new RunLoop());
  const t0 = performance.now();
  for (let i = 0; i < sizes.casts; i++) server.send('inc');
  const count = await callOf(server);
  if (count !== sizes.casts) throw new Error(`lost casts: ${count}`);
  return [perSecond(sizes.casts, t0)];
}

/** Workload 6: a `setTimeout` per ticker; with `spread`, each re-arms for its own phase. */
async function timers(sizes: Sizes, spread: boolean): Promise<number[]> {
  const lateness = new Samples();
  lateness.recording = false;
  interface PlainTicker {
    due: number;
    timer: NodeJS.Timeout | undefined;
  }
  const tickers: PlainTicker[] = [];
  const tick = (ticker: PlainTicker): void => {
    const now = performance.now();
    lateness.add(now - ticker.due);
    ticker.due = spread ? ticker.due + sizes.tickMs : now + sizes.tickMs;
    ticker.timer = setTimeout(tick, spread ? Math.max(0, ticker.due - now) : sizes.tickMs, ticker);
  };
  const before = collect();
  for (let i = 0; i < sizes.tickers; i++) {
    const delay = Math.random() * sizes.tickMs;
    const ticker: PlainTicker = { due: performance.now() + delay, timer: undefined };
    tickers.push(ticker);
    ticker.timer = setTimeout(tick, delay, ticker);
  }
  const result = await measureTicks(lateness, before, sizes);
  for (const ticker of tickers) clearTimeout(ticker.timer);
  return result;
}

async function restarts(sizes: Sizes): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  let left = sizes.restarts + 1;
  const fragile = (): PlainHandlerActor =>
    new PlainHandlerActor(
      loop,
      () => {
        throw new Error('crash');
      },
      (self) => {
        if (--left <= 0) done();
        else self.send('crash');
      },
    );
  // The supervisor: a crashed actor is replaced by a fresh one.
  let child = fragile();
  loop.onCrash = () => {
    child = fragile();
  };
  const t0 = performance.now();
  await finished;
  if (child === null) throw new Error('unreachable');
  return [perSecond(sizes.restarts, t0)];
}

async function flood(sizes: Sizes): Promise<number[]> {
  const loop = new RunLoop();
  return fairness(sizes, async (deadline) => {
    let messages = 0;
    let running = sizes.floodPairs * 2;
    const { done, finished } = signal();
    const bounce = (n: number, self: PlainHandlerActor): void => {
      messages++;
      if ((n & 255) === 0 && performance.now() > deadline) {
        if (--running === 0) done();
        return;
      }
      self.next!.send(n + 1);
    };
    for (let i = 0; i < sizes.floodPairs; i++) {
      const a = new PlainHandlerActor(loop, bounce);
      const b = new PlainHandlerActor(loop, bounce);
      a.next = b;
      b.next = a;
      a.send(1);
      b.send(1);
    }
    await finished;
    return messages;
  });
}

/** Workloads 9 and 10: self-continuing producers into one counting consumer; msgs/s, peak mailbox. */
async function produce(producers: number, batch: number, total: number): Promise<number[]> {
  const loop = new RunLoop();
  const { done, finished } = signal();
  const quota = Math.ceil(total / producers);
  const expected = quota * producers;
  let received = 0;
  let peak = 0;
  const consumer = new PlainHandlerActor(loop, () => {
    if (++received === expected) done();
  });
  // The producer samples its consumer's mailbox about every 1,024 messages it sends.
  const every = Math.max(1, Math.round(1024 / batch));
  const spawnProducer = (): PlainHandlerActor => {
    let sent = 0;
    let batches = 0;
    return new PlainHandlerActor(loop, (_go, self) => {
      const end = Math.min(sent + batch, quota);
      while (sent < end) consumer.send({ n: sent++ });
      if (++batches % every === 0) peak = Math.max(peak, consumer.length);
      if (sent < quota) self.send('go');
    });
  };
  const actors = Array.from({ length: producers }, spawnProducer);
  const t0 = performance.now();
  for (const actor of actors) actor.send('go');
  await finished;
  return [perSecond(expected, t0), peak];
}

export const baseline: NodeSystem = {
  id: 'baseline',
  title: 'plain Node',
  notes: [
    'ring-buffer mailboxes and a budgeted run loop (a turn handles the messages queued when it began, up to 2,000) that yields every 3 ms (as actorkit’s scheduler does by default; shared with core.bench.ts); a call is a message carrying a promise `resolve`; timers are one `setTimeout` each; a restart is a `try`/`catch` in the run loop that puts a fresh actor in the crashed one’s place',
  ],
  run: {
    'spawn-small': (s) => spawnIdle(s.spawnSmall),
    'spawn-large': (s) => spawnIdle(s.spawnLarge),
    send,
    'ping-pong': pingPong,
    ring,
    call,
    cast,
    timers: (s) => timers(s, false),
    'timers-spread': (s) => timers(s, true),
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
