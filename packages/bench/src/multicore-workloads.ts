/**
 * The rows of bench:compare's multi-core section (issue #17): messages between nodes,
 * partitioned workloads on one thread against all cores, and HTTP latency on the main
 * thread while a CPU-bound flood runs on a worker node or on the main thread itself.
 */
import { availableParallelism } from 'node:os';
import type { Unit } from './workloads.js';

/** A multi-core workload's id, in the worker protocol and in `beam/multicore.exs`'s output. */
export type MulticoreId =
  | 'cross-send'
  | 'cross-ping-pong'
  | 'cross-call'
  | 'pairs'
  | 'crunch'
  | 'http';

/** What a row promises on this 2-core machine (issue #17), checked in the table. */
export type Target =
  /** The all-cores figure is at least this rate. */
  | { kind: 'rate'; min: number }
  /** All cores ÷ one thread is at least this. */
  | { kind: 'scaling'; min: number }
  /** The all-cores figure (a latency) is at most this many ms. */
  | { kind: 'latency'; max: number };

/** One figure of a workload: a row of the section's table. */
export interface MulticoreRow {
  label: string;
  unit: Unit;
  target?: Target;
}

/** The counts and lengths of the section's workloads, the same for every column. */
export interface MulticoreSizes {
  /** Cross-node one-way send: small objects `{ i, text }`. */
  sends: number;
  /** Cross-node ping-pong round trips. */
  pingPongs: number;
  /** Cross-node sequential `GenServer.call`s. */
  calls: number;
  /**
   * Seconds after which a run of M1–M3 stops short of its count, its rate taken over
   * what it did: a slow transport cannot stretch the whole comparison.
   */
  maxSeconds: number;
  /** Independent ping-pong pairs in all, split evenly over the nodes. */
  pairs: number;
  /** Round trips of all pairs together. */
  pairRoundTrips: number;
  /** CPU-bound messages in all, split evenly over the nodes. */
  crunchMessages: number;
  /** `crunch` rounds per CPU-bound message (about 3–5 ns each here). */
  crunchWork: number;
  /** Processes handling the CPU-bound messages, per node. */
  crunchers: number;
  /** Seconds of CPU-bound flood under the HTTP probe. */
  floodSeconds: number;
  /** `crunch` rounds per flood message: a handler that holds its thread for ms. */
  floodWork: number;
  /** Ms between two HTTP requests of the probe. */
  probeMs: number;
}

/** The sizes of a full run: a column of actorkit or the BEAM takes a minute or two here. */
export const MULTICORE_FULL_SIZES: MulticoreSizes = {
  sends: 1_000_000,
  pingPongs: 50_000,
  calls: 10_000,
  maxSeconds: 2,
  pairs: 100,
  pairRoundTrips: 4_000_000,
  crunchMessages: 20_000,
  crunchWork: 10_000,
  crunchers: 4,
  floodSeconds: 3,
  floodWork: 3_000_000,
  probeMs: 5,
};

/** `BENCH_QUICK=1`: about a tenth of the counts, a one-second flood. */
export const MULTICORE_QUICK_SIZES: MulticoreSizes = {
  ...MULTICORE_FULL_SIZES,
  sends: 100_000,
  pingPongs: 5_000,
  calls: 1_000,
  maxSeconds: 1,
  pairRoundTrips: 400_000,
  crunchMessages: 2_000,
  floodSeconds: 1,
};

/**
 * Cores the all-cores columns use: nodes (the main thread and `cores − 1` workers) and
 * BEAM schedulers (`+S cores`). At least 2, so that there is another node to cross to.
 */
export const CORES = Math.max(2, availableParallelism());

/** A workload of the section: its id and its rows. */
export interface MulticoreWorkload {
  id: MulticoreId;
  rows: (sizes: MulticoreSizes) => MulticoreRow[];
  /** One uncounted run before the measured ones. @default true */
  warmUp?: boolean;
}

const thousands = (n: number): string =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);

/** The section's workloads, in the table's order (M1 to M6). */
export const MULTICORE_WORKLOADS: MulticoreWorkload[] = [
  {
    id: 'cross-send',
    rows: (s) => [
      {
        label: `M1. one-way send of small objects, ${thousands(s.sends)} msgs`,
        unit: '/s',
        target: { kind: 'rate', min: 2e6 },
      },
    ],
  },
  {
    id: 'cross-ping-pong',
    rows: (s) => [
      {
        label: `M2. ping-pong, ${thousands(s.pingPongs)} round trips`,
        unit: '/s',
        target: { kind: 'rate', min: 2e5 },
      },
    ],
  },
  {
    id: 'cross-call',
    rows: (s) => [{ label: `M3. GenServer.call, ${thousands(s.calls)} sequential`, unit: '/s' }],
  },
  {
    id: 'pairs',
    rows: (s) => [
      {
        label: `M4. partitioned: ${s.pairs} independent ping-pong pairs, ${thousands(s.pairRoundTrips)} round trips`,
        unit: '/s',
        target: { kind: 'scaling', min: 1.8 },
      },
    ],
  },
  {
    id: 'crunch',
    rows: (s) => [
      {
        label: `M5. partitioned, CPU-bound: ${thousands(s.crunchMessages)} msgs of ${thousands(s.crunchWork)} arithmetic rounds, ${s.crunchers} processes a core`,
        unit: '/s',
        target: { kind: 'scaling', min: 1.8 },
      },
    ],
  },
  {
    id: 'http',
    warmUp: false,
    rows: (s) => {
      const what = `M6. HTTP on the main thread, a ${s.floodSeconds} s CPU-bound flood (msgs of ${thousands(s.floodWork)} rounds)`;
      return [
        { label: `${what}: HTTP request p50`, unit: 'ms' },
        { label: `${what}: HTTP request p99`, unit: 'ms', target: { kind: 'latency', max: 10 } },
        { label: `${what}: main-thread timer lateness p99`, unit: 'ms' },
        // One flood message's time: how long the flood holds its thread at a stretch.
        { label: `${what}: time per flood message`, unit: 'ms' },
      ];
    },
  },
];

/** The workload of `id`; throws for an unknown id. */
export function multicoreWorkloadOf(id: MulticoreId): MulticoreWorkload {
  const workload = MULTICORE_WORKLOADS.find((w) => w.id === id);
  if (workload === undefined) throw new Error(`Expected a multi-core workload id, got ${id}`);
  return workload;
}
