/**
 * nact 7: `spawnStateless` actors for the message workloads, a stateful `spawn` for the
 * counter, `query` for calls, and `onCrash: ctx.reset` for restarts (nact's restart:
 * the same actor, its state initialised again). nact has no timer API, so a periodic
 * timer is a `setTimeout` that dispatches to the actor. nact handles each message in its
 * own `setImmediate`, so it is fair but slow: throughput workloads run on a tenth of the
 * messages. Every actor gets a name: nact's anonymous names are 32-bit random numbers,
 * which collide among ten thousand actors ("child actor of name … already exists").
 */
import { performance } from 'node:perf_hooks';
import {
  type ActorSystemRef,
  dispatch,
  query,
  type Ref,
  spawn,
  spawnStateless,
  start,
  stop,
} from 'nact';
import { collect, fairness, measureTicks, perSecond, Samples, signal } from '../measure.js';
import type { NodeSystem } from '../system.js';
import { PRODUCER_BATCHES, type Sizes } from '../workloads.js';

async function spawnIdle(count: number): Promise<number[]> {
  const system = start();
  const actors: Ref<unknown>[] = [];
  const before = collect();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) actors.push(spawnStateless(system, () => {}, `p${i}`));
  const ms = performance.now() - t0;
  const bytes = (collect() - before) / count;
  stop(system);
  return [ms, bytes];
}

/** Runs `body` in a fresh actor system and stops the system after it. */
async function inSystem(body: (system: ActorSystemRef) => Promise<number[]>): Promise<number[]> {
  const system = start();
  try {
    return await body(system);
  } finally {
    stop(system);
  }
}

const send = (sizes: Sizes) =>
  inSystem(async (system) => {
    const { done, finished } = signal();
    const count = sizes.sends;
    const half = sizes.sendWindow / 2;
    let sent = 0;
    let received = 0;
    const receiver = spawnStateless(system, () => {
      if (++received % half === 0) dispatch(sender, 'more');
      if (received === count) done();
    });
    const sender = spawnStateless(system, () => {
      const end = Math.min(sent + (sent === 0 ? sizes.sendWindow : half), count);
      while (sent < end) dispatch(receiver, sent++);
    });
    const t0 = performance.now();
    dispatch(sender, 'more');
    await finished;
    return [perSecond(count, t0)];
  });

const pingPong = (sizes: Sizes) =>
  inSystem(async (system) => {
    const { done, finished } = signal();
    const pong = spawnStateless(system, (n: number) => dispatch(ping, n));
    const ping: Ref<number> = spawnStateless(system, (n: number) =>
      n === sizes.pingPongs ? done() : dispatch(pong, n + 1),
    );
    const t0 = performance.now();
    dispatch(ping, 0);
    await finished;
    return [perSecond(sizes.pingPongs, t0)];
  });

const ring = (sizes: Sizes) =>
  inSystem(async (system) => {
    const { done, finished } = signal();
    const actors: Ref<number>[] = [];
    for (let i = 0; i < sizes.ringSize; i++) {
      actors.push(
        spawnStateless(
          system,
          (hops: number) => {
            if (hops === 0) done();
            else dispatch(actors[(i + 1) % sizes.ringSize]!, hops - 1);
          },
          `r${i}`,
        ),
      );
    }
    const t0 = performance.now();
    dispatch(actors[0]!, sizes.ringHops);
    await finished;
    return [perSecond(sizes.ringHops, t0)];
  });

type CounterMessage = 'inc' | { sender: Ref<number> };

function counter(system: ActorSystemRef): Ref<CounterMessage> {
  return spawn(
    system,
    (count: number, message: CounterMessage) => {
      if (message === 'inc') return count + 1;
      dispatch(message.sender, count);
      return count;
    },
    'counter',
    { initialState: 0 },
  );
}

const callOf = (server: Ref<CounterMessage>): Promise<number> =>
  query(server, (sender: Ref<number>) => ({ sender }), 600_000);

const call = (sizes: Sizes) =>
  inSystem(async (system) => {
    const server = counter(system);
    const t0 = performance.now();
    for (let i = 0; i < sizes.calls; i++) await callOf(server);
    return [perSecond(sizes.calls, t0)];
  });

const cast = (sizes: Sizes) =>
  inSystem(async (system) => {
    const server = counter(system);
    const t0 = performance.now();
    for (let i = 0; i < sizes.casts; i++) dispatch(server, 'inc');
    const count = await callOf(server);
    if (count !== sizes.casts) throw new Error(`lost casts: ${count}`);
    return [perSecond(sizes.casts, t0)];
  });

/** Workload 6: a `setTimeout` per ticker; with `spread`, each re-arms for its own phase. */
const timers = (sizes: Sizes, spread: boolean) =>
  inSystem(async (system) => {
    const lateness = new Samples();
    lateness.recording = false;
    const handles: (NodeJS.Timeout | undefined)[] = [];
    const before = collect();
    for (let i = 0; i < sizes.tickers; i++) {
      const first = Math.random() * sizes.tickMs;
      const ticker = spawn(
        system,
        (due: number) => {
          const now = performance.now();
          lateness.add(now - due);
          const next = spread ? due + sizes.tickMs : now + sizes.tickMs;
          handles[i] = setTimeout(() => dispatch(ticker, 'tick'), Math.max(0, next - now));
          return next;
        },
        `t${i}`,
        { initialState: performance.now() + first },
      );
      handles[i] = setTimeout(() => dispatch(ticker, 'tick'), first);
    }
    const result = await measureTicks(lateness, before, sizes);
    for (const handle of handles) clearTimeout(handle);
    return result;
  });

const restarts = (sizes: Sizes) =>
  inSystem(async (system) => {
    const { done, finished } = signal();
    let left = sizes.restarts + 1;
    const t0 = performance.now();
    spawn(
      system,
      (_state: null, _message: 'crash'): null => {
        throw new Error('crash');
      },
      'fragile',
      {
        initialStateFunc: (ctx) => {
          if (--left <= 0) done();
          else dispatch(ctx.self, 'crash');
          return null;
        },
        onCrash: (_message, _error, ctx) => ctx.reset,
      },
    );
    await finished;
    return [perSecond(sizes.restarts, t0)];
  });

const flood = (sizes: Sizes) =>
  inSystem((system) =>
    fairness(sizes, async (deadline) => {
      let messages = 0;
      let running = sizes.floodPairs * 2;
      const { done, finished } = signal();
      for (let i = 0; i < sizes.floodPairs; i++) {
        const bounce =
          (partner: () => Ref<number>) =>
          (n: number): void => {
            messages++;
            if ((n & 255) === 0 && performance.now() > deadline) {
              if (--running === 0) done();
              return;
            }
            dispatch(partner(), n + 1);
          };
        const a: Ref<number> = spawnStateless(
          system,
          bounce(() => b),
          `a${i}`,
        );
        const b: Ref<number> = spawnStateless(
          system,
          bounce(() => a),
          `b${i}`,
        );
        dispatch(a, 1);
        dispatch(b, 1);
      }
      await finished;
      return messages;
    }),
  );

/**
 * Workloads 9 and 10: self-continuing producers into one counting consumer; msgs/s, and
 * the consumer's peak backlog (messages sent but not yet handled: nact shows no mailbox).
 */
const produce = (producers: number, batch: number, total: number) =>
  inSystem(async (system) => {
    const { done, finished } = signal();
    const quota = Math.ceil(total / producers);
    const expected = quota * producers;
    const every = Math.max(1, Math.round(1024 / batch));
    let sent = 0;
    let received = 0;
    let peak = 0;
    const consumer = spawnStateless(
      system,
      () => {
        if (++received === expected) done();
      },
      'consumer',
    );
    const actors: Ref<'go'>[] = [];
    for (let p = 0; p < producers; p++) {
      let mine = 0;
      let batches = 0;
      const self: Ref<'go'> = spawnStateless(
        system,
        () => {
          const end = Math.min(mine + batch, quota);
          for (; mine < end; mine++, sent++) dispatch(consumer, { n: mine });
          if (++batches % every === 0) peak = Math.max(peak, sent - received);
          if (mine < quota) dispatch(self, 'go');
        },
        `p${p}`,
      );
      actors.push(self);
    }
    const t0 = performance.now();
    for (const actor of actors) dispatch(actor, 'go');
    await finished;
    return [perSecond(expected, t0), peak];
  });

export const nactSystem: NodeSystem = {
  id: 'nact',
  title: 'nact 7',
  scale: {
    send: 0.1,
    'ping-pong': 0.1,
    ring: 0.1,
    call: 0.1,
    cast: 0.1,
    restarts: 0.5,
    producer: 0.1,
    producers: 0.1,
  },
  notes: [
    '`spawnStateless` actors, `dispatch`, `query` for calls, `onCrash: ctx.reset` for restarts; no timer API, so a timer is a `setTimeout` that dispatches; nact handles every message in its own `setImmediate`, so its throughput workloads run on a tenth of the messages (marked †)',
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
