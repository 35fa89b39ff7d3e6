/**
 * The plain-Node baseline: what a careful programmer writes without a library, and the
 * ceiling for JavaScript on one thread. The same approach as
 * packages/core/bench/core.bench.ts: a ring-buffer mailbox per actor, plain function
 * calls, and a run loop that, like actorkit's scheduler, handles at most `BUDGET`
 * messages per actor turn and yields to the event loop with `setImmediate` every
 * `SLICE_MS`, so the comparison is fair. A call is a message carrying a promise's
 * `resolve`; a timer is one `setTimeout` per actor; a restart is a `try`/`catch` in the
 * run loop that puts a fresh actor in the crashed one's place.
 */
import { performance } from 'node:perf_hooks';
import { collect, fairness, measureTicks, perSecond, Samples, signal, until } from '../measure.js';
import type { NodeSystem } from '../system.js';
import type { Sizes } from '../workloads.js';

/** The run loop's settings, the same as actorkit's defaults. */
const BUDGET = 64;
const SLICE_MS = 5;

/** A ring buffer of actors with messages, in FIFO order. */
class RunLoop {
  private queue: (PlainActor | undefined)[] = new Array(1024);
  private head = 0;
  private length = 0;
  private armed = false;
  private sliceStart = Number.NEGATIVE_INFINITY;
  /** Called with an actor whose handler threw, and the error. */
  onCrash: (actor: PlainActor, error: unknown) => void = (_actor, error) => {
    throw error;
  };

  schedule(actor: PlainActor): void {
    if (this.length === this.queue.length) this.grow();
    this.queue[(this.head + this.length++) & (this.queue.length - 1)] = actor;
    if (this.armed) return;
    this.armed = true;
    if (performance.now() - this.sliceStart < SLICE_MS) queueMicrotask(this.flush);
    else setImmediate(this.startSlice);
  }

  private readonly startSlice = (): void => {
    this.sliceStart = performance.now();
    this.flush();
  };

  private readonly flush = (): void => {
    for (let turns = 1; this.length > 0; turns++) {
      const actor = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) & (this.queue.length - 1);
      this.length--;
      try {
        actor.run();
      } catch (error) {
        this.onCrash(actor, error);
      }
      if ((turns & 31) === 0 && performance.now() - this.sliceStart >= SLICE_MS) break;
    }
    this.armed = this.length > 0;
    if (this.armed) setImmediate(this.startSlice);
  };

  private grow(): void {
    const old = this.queue;
    const bigger = new Array(old.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = old[(this.head + i) & (old.length - 1)];
    this.queue = bigger;
    this.head = 0;
  }
}

/**
 * A plain actor: a lazily allocated ring-buffer mailbox, a function called once per
 * message (`BUDGET` per turn), and `init`, if given, run on its first turn.
 */
class PlainActor {
  idle = true;
  length = 0;
  /** The next actor, for the ring; the partner, for ping-pong. */
  next: PlainActor | null = null;
  state = 0;
  private buffer: unknown[] | null = null;
  private head = 0;

  constructor(
    readonly loop: RunLoop,
    readonly handle: (message: any, self: PlainActor) => void,
    private init: ((self: PlainActor) => void) | null = null,
  ) {
    if (init !== null) {
      this.idle = false;
      loop.schedule(this);
    }
  }

  send(message: unknown): void {
    let buffer = this.buffer;
    if (buffer === null) buffer = this.buffer = new Array(8);
    else if (this.length === buffer.length) buffer = this.grow(buffer);
    buffer[(this.head + this.length) & (buffer.length - 1)] = message;
    this.length++;
    if (this.idle) {
      this.idle = false;
      this.loop.schedule(this);
    }
  }

  run(): void {
    const init = this.init;
    if (init !== null) {
      this.init = null;
      init(this);
    }
    for (let n = 0; this.length > 0 && n < BUDGET; n++) this.handle(this.shift(), this);
    if (this.length > 0) this.loop.schedule(this);
    else this.idle = true;
  }

  private shift(): unknown {
    const buffer = this.buffer!;
    const message = buffer[this.head];
    buffer[this.head] = undefined;
    this.head = (this.head + 1) & (buffer.length - 1);
    this.length--;
    return message;
  }

  private grow(buffer: unknown[]): unknown[] {
    const bigger = new Array(buffer.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = buffer[(this.head + i) & (buffer.length - 1)];
    this.head = 0;
    this.buffer = bigger;
    return bigger;
  }
}

async function spawnIdle(count: number): Promise<number[]> {
  const loop = new RunLoop();
  // A map from id to actor, as a PID table would be.
  const actors = new Map<number, PlainActor>();
  let started = 0;
  const init = (): void => {
    started++;
  };
  const handle = (): void => {};
  const before = collect();
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) actors.set(i, new PlainActor(loop, handle, init));
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
  const receiver: PlainActor = new PlainActor(loop, () => {
    if (++received % half === 0) sender.send('more');
    if (received === count) done();
  });
  const sender: PlainActor = new PlainActor(loop, () => {
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
  const pong: PlainActor = new PlainActor(loop, (n) => ping.send(n));
  const ping: PlainActor = new PlainActor(loop, (n: number) =>
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
  const handle = (hops: number, self: PlainActor): void => {
    if (hops === 0) done();
    else self.next!.send(hops - 1);
  };
  const actors = Array.from({ length: sizes.ringSize }, () => new PlainActor(loop, handle));
  actors.forEach((actor, i) => {
    actor.next = actors[(i + 1) % sizes.ringSize]!;
  });
  const t0 = performance.now();
  actors[0]!.send(sizes.ringHops);
  await finished;
  return [perSecond(sizes.ringHops, t0)];
}

/** A counter actor: a function message is a call (it gets the count), anything else a cast. */
function counter(loop: RunLoop): PlainActor {
  return new PlainActor(loop, (message, self) => {
    if (typeof message === 'function') message(self.state);
    else self.state++;
  });
}

const callOf = (server: PlainActor): Promise<number> =>
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

async function timers(sizes: Sizes): Promise<number[]> {
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
    ticker.due = now + sizes.tickMs;
    ticker.timer = setTimeout(tick, sizes.tickMs, ticker);
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
  const fragile = (): PlainActor =>
    new PlainActor(
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
    const bounce = (n: number, self: PlainActor): void => {
      messages++;
      if ((n & 255) === 0 && performance.now() > deadline) {
        if (--running === 0) done();
        return;
      }
      self.next!.send(n + 1);
    };
    for (let i = 0; i < sizes.floodPairs; i++) {
      const a = new PlainActor(loop, bounce);
      const b = new PlainActor(loop, bounce);
      a.next = b;
      b.next = a;
      a.send(1);
      b.send(1);
    }
    await finished;
    return messages;
  });
}

export const baseline: NodeSystem = {
  id: 'baseline',
  title: 'plain Node',
  notes: [
    'ring-buffer mailboxes and a budgeted run loop that yields every 5 ms (as in core.bench.ts); a call is a message carrying a promise `resolve`; timers are one `setTimeout` each; a restart is a `try`/`catch` in the run loop that puts a fresh actor in the crashed one’s place',
  ],
  run: {
    'spawn-small': (s) => spawnIdle(s.spawnSmall),
    'spawn-large': (s) => spawnIdle(s.spawnLarge),
    send,
    'ping-pong': pingPong,
    ring,
    call,
    cast,
    timers,
    restarts,
    fairness: flood,
  },
};
