/**
 * xstate v5 actors: `createActor(machine).start()` per process, events sent with
 * `actor.send`, state in `context` updated with `assign`, periodic timers as `after`
 * transitions (delayed events on the actor system's clock). A call is an event carrying
 * a promise's `resolve`. xstate has no supervisors: an actor that throws stops for good.
 *
 * xstate delivers an event to an idle actor synchronously, inside `send`: a message
 * loop between actors never yields to the event loop, and a chain of sends (the ring)
 * recurses through every actor it passes.
 */
import { performance } from 'node:perf_hooks';
import { type AnyActorRef, assign, createActor, setup } from 'xstate';
import { collect, fairness, measureTicks, perSecond, Samples, signal } from '../measure.js';
import type { NodeSystem } from '../system.js';
import { PRODUCER_BATCHES, type Sizes } from '../workloads.js';

const idle = setup({}).createMachine({ id: 'idle', on: { ping: {} } });

async function spawnIdle(count: number): Promise<number[]> {
  const actors: AnyActorRef[] = [];
  const before = collect();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) actors.push(createActor(idle).start());
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / count;
  for (const actor of actors) actor.stop();
  return [ms, bytes];
}

type Message = { type: 'msg'; n: number } | { type: 'more' };

/** A machine whose every event runs `handle(event, self)`. */
function handlerMachine(handle: (event: any, self: AnyActorRef) => void) {
  return setup({ types: {} as { events: Message } }).createMachine({
    on: { '*': { actions: ({ event, self }) => handle(event, self) } },
  });
}

async function send(sizes: Sizes): Promise<number[]> {
  const { done, finished } = signal();
  const count = sizes.sends;
  const half = sizes.sendWindow / 2;
  let sent = 0;
  let received = 0;
  const receiver = createActor(
    handlerMachine(() => {
      if (++received % half === 0) sender.send({ type: 'more' });
      if (received === count) done();
    }),
  ).start();
  const sender: AnyActorRef = createActor(
    handlerMachine(() => {
      const end = Math.min(sent + (sent === 0 ? sizes.sendWindow : half), count);
      while (sent < end) receiver.send({ type: 'msg', n: sent++ });
    }),
  ).start();
  const t0 = performance.now();
  sender.send({ type: 'more' });
  await finished;
  return [perSecond(count, t0)];
}

async function pingPong(sizes: Sizes): Promise<number[]> {
  const { done, finished } = signal();
  const pong = createActor(handlerMachine((event) => ping.send(event))).start();
  const ping: AnyActorRef = createActor(
    handlerMachine((event) =>
      event.n === sizes.pingPongs ? done() : pong.send({ type: 'msg', n: event.n + 1 }),
    ),
  ).start();
  const t0 = performance.now();
  ping.send({ type: 'msg', n: 0 });
  await finished;
  return [perSecond(sizes.pingPongs, t0)];
}

async function ring(sizes: Sizes): Promise<number[]> {
  const { done, finished } = signal();
  const next = new Map<AnyActorRef, AnyActorRef>();
  const machine = handlerMachine((event, self) => {
    if (event.n === 0) done();
    else next.get(self)!.send({ type: 'msg', n: event.n - 1 });
  });
  const actors = Array.from({ length: sizes.ringSize }, () => createActor(machine).start());
  actors.forEach((actor, i) => {
    next.set(actor, actors[(i + 1) % sizes.ringSize]!);
  });
  const t0 = performance.now();
  actors[0]!.send({ type: 'msg', n: sizes.ringHops });
  await finished;
  return [perSecond(sizes.ringHops, t0)];
}

const counterMachine = setup({
  types: {} as {
    context: { count: number };
    events: { type: 'inc' } | { type: 'get'; reply: (count: number) => void };
  },
}).createMachine({
  context: { count: 0 },
  on: {
    inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    get: { actions: ({ context, event }) => event.reply(context.count) },
  },
});

type Counter = ReturnType<typeof createActor<typeof counterMachine>>;

const callOf = (server: Counter): Promise<number> =>
  new Promise((reply) => server.send({ type: 'get', reply }));

async function call(sizes: Sizes): Promise<number[]> {
  const server = createActor(counterMachine).start();
  const t0 = performance.now();
  for (let i = 0; i < sizes.calls; i++) await callOf(server);
  return [perSecond(sizes.calls, t0)];
}

async function cast(sizes: Sizes): Promise<number[]> {
  const server = createActor(counterMachine).start();
  const t0 = performance.now();
  for (let i = 0; i < sizes.casts; i++) server.send({ type: 'inc' });
  const count = await callOf(server);
  if (count !== sizes.casts) throw new Error(`lost casts: ${count}`);
  return [perSecond(sizes.casts, t0)];
}

/** Workload 6: `after` transitions; with `spread`, each ticker's delay aims at its own phase. */
async function timers(sizes: Sizes, spread: boolean): Promise<number[]> {
  const lateness = new Samples();
  lateness.recording = false;
  const ticker = setup({
    types: {} as { context: { due: number; first: number }; input: { first: number } },
    delays: {
      first: ({ context }) => context.first,
      period: ({ context }) =>
        spread ? Math.max(0, context.due - performance.now()) : sizes.tickMs,
    },
    actions: {
      tick: ({ context }) => {
        const now = performance.now();
        lateness.add(now - context.due);
        context.due = spread ? context.due + sizes.tickMs : now + sizes.tickMs;
      },
    },
  }).createMachine({
    context: ({ input }) => ({ first: input.first, due: performance.now() + input.first }),
    initial: 'starting',
    states: {
      starting: { after: { first: { target: 'ticking', actions: 'tick' } } },
      ticking: { after: { period: { target: 'ticking', reenter: true, actions: 'tick' } } },
    },
  });
  const before = collect();
  const actors: AnyActorRef[] = [];
  for (let i = 0; i < sizes.tickers; i++) {
    actors.push(createActor(ticker, { input: { first: Math.random() * sizes.tickMs } }).start());
  }
  const result = await measureTicks(lateness, before, sizes);
  for (const actor of actors) actor.stop();
  return result;
}

async function flood(sizes: Sizes): Promise<number[]> {
  return fairness(sizes, async (deadline) => {
    let messages = 0;
    let running = sizes.floodPairs * 2;
    const { done, finished } = signal();
    const partner = new Map<AnyActorRef, AnyActorRef>();
    const machine = handlerMachine((event, self) => {
      messages++;
      if ((event.n & 255) === 0 && performance.now() > deadline) {
        if (--running === 0) done();
        return;
      }
      partner.get(self)!.send({ type: 'msg', n: event.n + 1 });
    });
    // Started from a timer, as a flood arrives from I/O, so the probes are already running.
    setTimeout(() => {
      for (let i = 0; i < sizes.floodPairs; i++) {
        const a = createActor(machine).start();
        const b = createActor(machine).start();
        partner.set(a, b).set(b, a);
        a.send({ type: 'msg', n: 1 });
        b.send({ type: 'msg', n: 1 });
      }
    }, 0);
    await finished;
    return messages;
  });
}

/**
 * Workloads 9 and 10: self-continuing producers into one counting consumer; msgs/s, and
 * the consumer's peak backlog (messages sent but not yet handled). xstate hands an event
 * to an idle actor inside `send`, so the consumer never has a backlog, and the producers
 * run to the end without yielding to the event loop.
 */
async function produce(producers: number, batch: number, total: number): Promise<number[]> {
  const { done, finished } = signal();
  const quota = Math.ceil(total / producers);
  const expected = quota * producers;
  const every = Math.max(1, Math.round(1024 / batch));
  let sent = 0;
  let received = 0;
  let peak = 0;
  const consumer = createActor(
    handlerMachine(() => {
      if (++received === expected) done();
    }),
  ).start();
  const actors: AnyActorRef[] = [];
  for (let p = 0; p < producers; p++) {
    let mine = 0;
    let batches = 0;
    const machine = handlerMachine((_event, self) => {
      const end = Math.min(mine + batch, quota);
      for (; mine < end; mine++, sent++) consumer.send({ type: 'msg', n: mine });
      if (++batches % every === 0) peak = Math.max(peak, sent - received);
      if (mine < quota) self.send({ type: 'more' });
    });
    actors.push(createActor(machine).start());
  }
  const t0 = performance.now();
  for (const actor of actors) actor.send({ type: 'more' });
  await finished;
  for (const actor of [consumer, ...actors]) actor.stop();
  return [perSecond(expected, t0), peak];
}

export const xstateSystem: NodeSystem = {
  id: 'xstate',
  title: 'xstate v5',
  runs: { 'spawn-large': 1 },
  scale: { send: 0.2, 'ping-pong': 0.2, cast: 0.2, producer: 0.2, producers: 0.2 },
  unsupported: {
    restarts: 'no supervisors: an actor that throws stops for good',
  },
  notes: [
    '`createActor(machine).start()` per process; events by `actor.send`; casts `assign` to `context`; a call is an event carrying a promise `resolve`; timers are `after` transitions; no supervisors (workload 7 n/a). xstate delivers an event to an idle actor synchronously inside `send`, so the ring recurses through every actor and overflows the stack, and a flood never yields to the event loop; its send, ping-pong and cast workloads run on a fifth of the messages (marked †)',
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
    fairness: flood,
    producer: async (s) => {
      const rows: number[] = [];
      for (const batch of PRODUCER_BATCHES) rows.push(...(await produce(1, batch, s.produced)));
      return rows;
    },
    producers: (s) => produce(s.producers, s.producersBatch, s.produced),
  },
};
