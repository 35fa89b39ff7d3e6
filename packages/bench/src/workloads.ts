/**
 * The workloads of the comparison, as rows of the table, and their sizes. Every
 * system runs the same workload with the same sizes; a slow system may run a throughput
 * workload on fewer messages (its `scale`), which the table marks, since a rate does not
 * depend much on the count once the run is long enough to leave the JIT's warm-up behind.
 */

/** A workload's id, used on the command line, in the worker protocol and by the .exs files. */
export type WorkloadId =
  | 'spawn-small'
  | 'spawn-large'
  | 'send'
  | 'ping-pong'
  | 'ring'
  | 'call'
  | 'cast'
  | 'timers'
  | 'timers-spread'
  | 'restarts'
  | 'fairness'
  | 'producer'
  | 'producers';

/** How a figure reads: throughput is better higher; the others are costs, better lower. */
export type Unit = '/s' | 'ms' | 'B' | 'MB' | '%' | 'msgs';

export interface Row {
  label: string;
  unit: Unit;
}

/**
 * Uncounted runs before the measured ones, for every system alike. A worker builds a
 * fresh runtime per run, and V8 settles its optimized code only after a few (each new
 * runtime's fields first look constant to it); one warm-up left the first measured runs
 * of the message workloads 20-40% below the later ones, for actorkit more than for the
 * smaller plain-Node baseline. Long-lived services see the settled figures.
 */
export const WARM_UP_RUNS = 3;

export interface Workload {
  id: WorkloadId;
  /** The workload's number in the table: 1 to 8 from the first issue, 9 and 10 the unbounded producers. */
  number: number;
  rows: (sizes: Sizes) => Row[];
  /** Runs `WARM_UP_RUNS` times, uncounted, before the measured runs. @default true */
  warmUp?: boolean;
  /** Size fields multiplied by a system's `scale` for this workload. */
  scaled?: (keyof Sizes)[];
}

export interface Sizes {
  spawnSmall: number;
  spawnLarge: number;
  sends: number;
  /** Messages in flight in the send workload: the receiver acks every half window. */
  sendWindow: number;
  pingPongs: number;
  ringSize: number;
  ringHops: number;
  calls: number;
  casts: number;
  tickers: number;
  tickMs: number;
  timerSeconds: number;
  restarts: number;
  floodPairs: number;
  floodSeconds: number;
  /** Ms between two probes (a timer, an HTTP request) in the fairness workload. */
  probeMs: number;
  /** Messages the self-continuing producers send in all, per run (workloads 9 and 10). */
  produced: number;
  /** Workload 10: producers into one consumer, and the batch each sends per turn. */
  producers: number;
  producersBatch: number;
}

/**
 * Workload 9's batch sizes: a self-continuing producer sends this many messages to its
 * consumer per turn, then one to itself to go on. One row pair (rate, peak mailbox) each.
 */
export const PRODUCER_BATCHES = [1, 100, 1_000];

/** The sizes. */
export const FULL_SIZES: Sizes = {
  spawnSmall: 100_000,
  spawnLarge: 1_000_000,
  sends: 5_000_000,
  sendWindow: 2_000,
  pingPongs: 1_000_000,
  ringSize: 10_000,
  ringHops: 1_000_000,
  calls: 1_000_000,
  casts: 5_000_000,
  tickers: 100_000,
  tickMs: 1_000,
  timerSeconds: 10,
  restarts: 20_000,
  floodPairs: 100,
  floodSeconds: 3,
  probeMs: 5,
  produced: 2_000_000,
  producers: 100,
  producersBatch: 10,
};

/** `BENCH_QUICK=1`: every count divided by ten or more, for a smoke run of a minute or two. */
export const QUICK_SIZES: Sizes = {
  ...FULL_SIZES,
  spawnSmall: 10_000,
  spawnLarge: 100_000,
  sends: 500_000,
  pingPongs: 100_000,
  ringSize: 1_000,
  ringHops: 100_000,
  calls: 100_000,
  casts: 500_000,
  tickers: 10_000,
  timerSeconds: 3,
  restarts: 2_000,
  floodSeconds: 1,
  produced: 200_000,
};

const thousands = (n: number): string =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);

export const WORKLOADS: Workload[] = [
  {
    id: 'spawn-small',
    number: 1,
    rows: (s) => [
      { label: `1. spawn ${thousands(s.spawnSmall)} idle processes`, unit: 'ms' },
      { label: `1. memory per idle process (${thousands(s.spawnSmall)})`, unit: 'B' },
    ],
  },
  {
    id: 'spawn-large',
    number: 1,
    warmUp: false,
    rows: (s) => [
      { label: `1. spawn ${thousands(s.spawnLarge)} idle processes`, unit: 'ms' },
      { label: `1. memory per idle process (${thousands(s.spawnLarge)})`, unit: 'B' },
    ],
  },
  {
    id: 'send',
    number: 2,
    scaled: ['sends'],
    rows: (s) => [{ label: `2. one-to-one send, ${thousands(s.sends)} msgs`, unit: '/s' }],
  },
  {
    id: 'ping-pong',
    number: 3,
    scaled: ['pingPongs'],
    rows: (s) => [{ label: `3. ping-pong, ${thousands(s.pingPongs)} round trips`, unit: '/s' }],
  },
  {
    id: 'ring',
    number: 4,
    scaled: ['ringHops'],
    rows: (s) => [
      {
        label: `4. ring of ${thousands(s.ringSize)}, ${thousands(s.ringHops)} hops`,
        unit: '/s',
      },
    ],
  },
  {
    id: 'call',
    number: 5,
    scaled: ['calls'],
    rows: (s) => [{ label: `5. call, ${thousands(s.calls)} sequential`, unit: '/s' }],
  },
  {
    id: 'cast',
    number: 5,
    scaled: ['casts'],
    rows: (s) => [{ label: `5. ${thousands(s.casts)} casts then one call`, unit: '/s' }],
  },
  // Workload 6 in two shapes. Bunched: a tick re-arms `tickMs` from when it ran, so a
  // system that fires a few ms of timers per wake-up re-arms them all for one ms and the
  // ticks gather into bunches. Spread: a tick re-arms for its own phase, `tickMs` after it
  // was due, so the ticks stay spread evenly over the period, whatever the system does.
  ...(['bunched', 'spread'] as const).map(
    (shape): Workload => ({
      id: shape === 'bunched' ? 'timers' : 'timers-spread',
      number: 6,
      // Ten seconds of steady ticking is its own warm-up.
      warmUp: false,
      rows: (s) => {
        const what = `6. ${thousands(s.tickers)} periodic ${s.tickMs / 1000} s timers, ${shape}, ${s.timerSeconds} s`;
        return [
          { label: `${what}: CPU (% of one core)`, unit: '%' },
          { label: `${what}: mean lateness`, unit: 'ms' },
          { label: `${what}: p99 lateness`, unit: 'ms' },
          { label: `${what}: memory`, unit: 'MB' },
        ];
      },
    }),
  ),
  {
    id: 'restarts',
    number: 7,
    scaled: ['restarts'],
    rows: (s) => [
      {
        label: `7. supervisor restarts, ${thousands(s.restarts)} crash/restart cycles`,
        unit: '/s',
      },
    ],
  },
  {
    id: 'fairness',
    number: 8,
    warmUp: false,
    rows: (s) => {
      const what = `8. under a ${s.floodSeconds} s flood (${s.floodPairs} ping-pong pairs)`;
      return [
        { label: `${what}: timer lateness p50`, unit: 'ms' },
        { label: `${what}: timer lateness p99`, unit: 'ms' },
        { label: `${what}: HTTP request p50`, unit: 'ms' },
        { label: `${what}: HTTP request p99`, unit: 'ms' },
        { label: `${what}: flood throughput (msgs/s)`, unit: '/s' },
      ];
    },
  },
  {
    id: 'producer',
    number: 9,
    scaled: ['produced'],
    rows: (s) =>
      PRODUCER_BATCHES.flatMap((batch) => {
        const what = `9. self-continuing producer → consumer, batch ${thousands(batch)}`;
        return [
          { label: `${what}, ${thousands(s.produced)} msgs (msgs/s)`, unit: '/s' as const },
          { label: `${what}: consumer's peak mailbox`, unit: 'msgs' as const },
        ];
      }),
  },
  {
    id: 'producers',
    number: 10,
    scaled: ['produced'],
    rows: (s) => {
      const what = `10. ${s.producers} self-continuing producers (batch ${s.producersBatch}) → one consumer`;
      return [
        { label: `${what}, ${thousands(s.produced)} msgs (msgs/s)`, unit: '/s' },
        { label: `${what}: consumer's peak mailbox`, unit: 'msgs' },
      ];
    },
  },
];

/** The sizes a system runs `workload` with: the scaled fields multiplied by `scale`. */
export function scaledSizes(sizes: Sizes, workload: Workload, scale: number): Sizes {
  if (scale === 1) return sizes;
  const scaled = { ...sizes };
  for (const key of workload.scaled ?? [])
    scaled[key] = Math.max(1, Math.round(sizes[key] * scale));
  return scaled;
}
