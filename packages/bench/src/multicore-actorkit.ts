/**
 * actorkit's cells of the multi-core section: the same workloads on one thread (one
 * `Runtime`, both ends of every message in it) and on all cores (`startNodes`: the main
 * thread and `CORES − 1` worker nodes). The cross-node rows put one end on the main node
 * and the other on node 1; the partitioned rows split their work evenly over the nodes;
 * the HTTP row runs its CPU-bound flood on node 1, or on the main thread for one thread.
 * Every process is spawned from `multicore-processes.ts` by export name, on a worker by
 * module path, so both columns run the same code.
 */
import { performance } from 'node:perf_hooks';
import { type Pid, Runtime, type Spawnable } from '@actorkit/core';
import { type Call, GenServer } from '@actorkit/genserver';
import { type Nodes, startNodes } from '@actorkit/nodes';
import { fairness, perSecond } from './measure.js';
import {
  cpuFlood,
  crunchPartition,
  pingPongPartition,
  ponger,
  sink,
  startCounter,
} from './multicore-processes.js';
import {
  CORES,
  type MulticoreId,
  type MulticoreSizes,
  multicoreWorkloadOf,
} from './multicore-workloads.js';
import { FULL_SIZES } from './workloads.js';

/** One thread, or every core (the main node and `CORES − 1` workers). */
export type Placement = 'thread' | 'nodes';

/** A request for one actorkit cell: every listed workload, warm-up then `runs` runs. */
export interface MulticoreRequest {
  placement: Placement;
  workloads: MulticoreId[];
  sizes: MulticoreSizes;
  runs: number;
}

/** Each workload's figures per measured run, or why there are none. */
export type MulticoreResult = Partial<Record<MulticoreId, number[][] | { reason: string }>>;

const PROCESSES = new URL('./multicore-processes.ts', import.meta.url);
/** The exports a run spawns by name: on a worker node by module path, on one thread from here. */
const EXPORTS = { sink, ponger, startCounter, pingPongPartition, crunchPartition, cpuFlood };
type Export = keyof typeof EXPORTS;

/** Where the processes of a run live, and how to start one there by export name. */
interface System {
  /** The main thread's runtime: the measuring code's processes live here. */
  runtime: Runtime;
  /** Every node (one for a thread): the partitioned rows split their work over them. */
  nodes: number[];
  /** The node of a cross-node row's far end: another node, or this one on one thread. */
  far: number;
  spawn(node: number, name: Export, args?: unknown[]): Promise<Pid<any>>;
  stop(): Promise<void>;
}

function threadSystem(): System {
  const runtime = new Runtime();
  return {
    runtime,
    nodes: [runtime.node],
    far: runtime.node,
    async spawn(_node, name, args = []) {
      const spawnable = EXPORTS[name] as unknown;
      if (typeof spawnable !== 'function') return runtime.spawn(spawnable as Spawnable<unknown>);
      const body = spawnable as (...all: unknown[]) => unknown;
      return runtime.spawn((ctx) => body(ctx, ...args));
    },
    stop: () => runtime.stop(),
  };
}

async function nodesSystem(): Promise<System> {
  // From dist/ (bench:compare) @actorkit/nodes would run workers as plain JavaScript;
  // this package's processes are TypeScript, so the workers register tsx.
  const nodes: Nodes = await startNodes({ workers: CORES - 1, typescript: true });
  return {
    runtime: nodes.runtime,
    nodes: nodes.nodes(),
    far: nodes.workerNodes()[0]!,
    spawn: (node, name, args = []) => nodes.spawn(node, PROCESSES, name, args),
    stop: () => nodes.stop(),
  };
}

/** A process on `runtime` that resolves once it has `count` messages, with them. */
function collector(runtime: Runtime, count: number): { pid: Pid<any>; got: Promise<unknown[]> } {
  let resolve!: (messages: unknown[]) => void;
  const got = new Promise<unknown[]>((r) => (resolve = r));
  const messages: unknown[] = [];
  const pid = runtime.spawn({
    handle(message) {
      messages.push(message);
      if (messages.length === count) resolve(messages);
    },
  });
  return { pid, got };
}

async function crossSend(system: System, sizes: MulticoreSizes): Promise<number> {
  const { runtime } = system;
  const total = sizes.sends;
  const done = collector(runtime, 1);
  const sink = await system.spawn(system.far, 'sink');
  runtime.send(sink, { expect: total, reportTo: done.pid });
  const t0 = performance.now();
  const deadline = t0 + sizes.maxSeconds * 1000;
  let sent = 0;
  // A thousand small objects a turn, then a message to itself to go on.
  const producer = runtime.spawn<'go'>({
    handle(_go, ctx) {
      const end = Math.min(total, sent + 1000);
      for (; sent < end; sent++) ctx.send(sink, { i: sent, text: 'hello' });
      if (sent === total) return;
      if (performance.now() < deadline) ctx.send(ctx.self, 'go');
      else ctx.send(sink, { end: sent });
    },
  });
  runtime.send(producer, 'go');
  const [{ received }] = (await done.got) as [{ received: number }];
  const rate = perSecond(received, t0);
  runtime.exit(sink, 'kill');
  return rate;
}

async function crossPingPong(system: System, sizes: MulticoreSizes): Promise<number> {
  const { runtime } = system;
  const done = collector(runtime, 1);
  const ponger = await system.spawn(system.far, 'ponger');
  const rounds = sizes.pingPongs;
  const t0 = performance.now();
  const deadline = t0 + sizes.maxSeconds * 1000;
  const pinger = runtime.spawn<number>({
    handle(message, ctx) {
      const n = message as number;
      if (n === rounds || ((n & 63) === 0 && performance.now() > deadline)) ctx.send(done.pid, n);
      else ctx.send(ponger, { from: ctx.self, n: n + 1 });
    },
  });
  runtime.send(ponger, { from: pinger, n: 1 });
  const [trips] = (await done.got) as [number];
  const rate = perSecond(trips, t0);
  runtime.exit(ponger, 'kill');
  runtime.exit(pinger, 'kill');
  return rate;
}

async function crossCall(system: System, sizes: MulticoreSizes): Promise<number> {
  const started = collector(system.runtime, 1);
  await system.spawn(system.far, 'startCounter', [started.pid]);
  const [{ server }] = (await started.got) as [{ server: Pid<Call<'get', number>> }];
  const t0 = performance.now();
  const deadline = t0 + sizes.maxSeconds * 1000;
  let calls = 0;
  while (calls < sizes.calls && (calls % 16 !== 0 || calls === 0 || performance.now() < deadline)) {
    await GenServer.call(server, { type: 'get' });
    calls++;
  }
  const rate = perSecond(calls, t0);
  await GenServer.stop(server);
  return rate;
}

/**
 * Starts one partition per node (`starter(share of the work, reportTo)`), waits until
 * each is ready, then times from `'go'` to the last `'done'`; returns `total` per second.
 */
async function partitioned(
  system: System,
  starter: Export,
  argsFor: (index: number, count: number) => unknown[],
  total: number,
): Promise<number> {
  const { runtime, nodes } = system;
  const ready = collector(runtime, nodes.length);
  const done = collector(runtime, nodes.length);
  const reporter = runtime.spawn({
    handle(message) {
      runtime.send(message === 'ready' ? ready.pid : done.pid, message);
    },
  });
  const pids = await Promise.all(
    nodes.map((node, i) => system.spawn(node, starter, [...argsFor(i, nodes.length), reporter])),
  );
  await ready.got;
  const t0 = performance.now();
  for (const pid of pids) runtime.send(pid, 'go');
  await done.got;
  const rate = perSecond(total, t0);
  runtime.exit(reporter, 'kill');
  return rate;
}

/** `total` split into `count` shares differing by at most one; share `index`. */
const share = (total: number, index: number, count: number): number =>
  Math.floor(total / count) + (index < total % count ? 1 : 0);

function pairs(system: System, sizes: MulticoreSizes): Promise<number> {
  const perPair = Math.max(1, Math.round(sizes.pairRoundTrips / sizes.pairs));
  return partitioned(
    system,
    'pingPongPartition',
    (i, n) => [share(sizes.pairs, i, n), perPair],
    perPair * sizes.pairs,
  );
}

function crunch(system: System, sizes: MulticoreSizes): Promise<number> {
  return partitioned(
    system,
    'crunchPartition',
    (i, n) => [sizes.crunchers, share(sizes.crunchMessages, i, n), sizes.crunchWork],
    sizes.crunchMessages,
  );
}

/**
 * The HTTP row: workload 8's probes (an HTTP client in another OS process, a timer on
 * the main thread) while `cpuFlood` runs on the far node (the main thread, for one
 * thread). Returns HTTP p50 and p99, timer p99 and the time per flood message (ms).
 */
async function http(system: System, sizes: MulticoreSizes): Promise<number[]> {
  const probe = { ...FULL_SIZES, floodSeconds: sizes.floodSeconds, probeMs: sizes.probeMs };
  const [, timerP99, httpP50, httpP99, rate] = await fairness(probe, async (deadline) => {
    const done = collector(system.runtime, 1);
    const seconds = Math.max(0, (deadline - performance.now()) / 1000);
    await system.spawn(system.far, 'cpuFlood', [seconds, sizes.floodWork, done.pid]);
    const [{ messages }] = (await done.got) as [{ messages: number }];
    return messages;
  });
  return [httpP50!, httpP99!, timerP99!, 1000 / rate!];
}

const RUN: Record<MulticoreId, (system: System, sizes: MulticoreSizes) => Promise<number[]>> = {
  'cross-send': async (s, z) => [await crossSend(s, z)],
  'cross-ping-pong': async (s, z) => [await crossPingPong(s, z)],
  'cross-call': async (s, z) => [await crossCall(s, z)],
  pairs: async (s, z) => [await pairs(s, z)],
  crunch: async (s, z) => [await crunch(s, z)],
  http,
};

async function runWorkload(
  system: System,
  id: MulticoreId,
  request: MulticoreRequest,
): Promise<number[][] | { reason: string }> {
  try {
    if (multicoreWorkloadOf(id).warmUp !== false) await RUN[id](system, request.sizes);
    const runs: number[][] = [];
    for (let i = 0; i < request.runs; i++) runs.push(await RUN[id](system, request.sizes));
    return runs;
  } catch (error) {
    return { reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Runs an actorkit cell in this process: one system (a runtime, or nodes started once)
 * for every workload of the request, each with one uncounted run (none for HTTP) and
 * then `runs` measured runs.
 */
export async function runMulticore(request: MulticoreRequest): Promise<MulticoreResult> {
  const system = request.placement === 'thread' ? threadSystem() : await nodesSystem();
  const result: MulticoreResult = {};
  try {
    for (const id of request.workloads) result[id] = await runWorkload(system, id, request);
  } finally {
    await system.stop();
  }
  return result;
}
