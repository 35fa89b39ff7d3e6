/**
 * The comparison harness: runs every selected workload on every selected system,
 * several times, and keeps the median of each figure. Node systems run in rounds: in each
 * round every Node system runs the workload once more (warm-up, then `runs` measured
 * runs), in a worker process of its own (`isolate`, the default for the command) or in
 * this process (for the tests), and the order of the systems is reversed every other
 * round (A B … then … B A), so a drift of the machine's speed during a workload does not
 * favour whichever system runs first. A Node cell's median is over the measured runs of
 * all rounds. The BEAM runs its Elixir scripts, once per workload, after the Node rounds.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BeamId, lastLine, runBeam } from './beam.js';
import { collect, median } from './measure.js';
import { loadSystem, type SystemId } from './system.js';
import {
  type Sizes,
  scaledSizes,
  WARM_UP_RUNS,
  WORKLOADS,
  type Workload,
  type WorkloadId,
} from './workloads.js';

export type ColumnId = SystemId | BeamId;

/**
 * A cell of the table: the median of each row's figure over `runs` measured runs (of all
 * rounds), or why there is none.
 */
export type Cell =
  | { kind: 'figures'; medians: number[]; runs: number; scaled: boolean; once: boolean }
  | { kind: 'none'; reason: string };

export interface CompareOptions {
  sizes: Sizes;
  /** Measured runs per system and workload in each round; the table shows the median. */
  runs: number;
  /**
   * Rounds over the Node systems, their order reversed every other round; a Node cell's
   * median is over `runs × rounds` measured runs. The BEAM columns run `runs` once.
   * @default 2
   */
  rounds?: number;
  columns: ColumnId[];
  workloads: WorkloadId[];
  /** Run each Node system and workload in a worker process of its own. @default true */
  isolate?: boolean;
  /**
   * Ms a worker or BEAM script may run before it is killed and its cell says so.
   * @default 300_000
   */
  timeoutMs?: number;
  /** Progress, one line per Node system and round and one per cell. @default nothing */
  log?: (line: string) => void;
}

export interface WorkerRequest {
  system: SystemId;
  workload: WorkloadId;
  sizes: Sizes;
  runs: number;
}

/**
 * What a worker measured: the figures of each run, whether the system ran fewer
 * messages (`scaled`), and whether it capped its runs (`capped`: too slow to repeat, so
 * no later round runs it again); or why there are no figures.
 */
export type WorkerResult =
  | { runs: number[][]; scaled: boolean; capped?: boolean }
  | { reason: string };

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Rounds over the Node systems when `CompareOptions.rounds` is not given. */
export const DEFAULT_ROUNDS = 2;
const DEFAULT_TIMEOUT_MS = 300_000;

function workloadOf(id: WorkloadId): Workload {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (workload === undefined) throw new Error(`Expected a workload id, got ${id}`);
  return workload;
}

/**
 * Runs one workload on one Node system in this process: warm-up, then `runs` runs, or
 * fewer if the system caps the workload's runs (`NodeSystem.runs`).
 */
export async function runInProcess(request: WorkerRequest): Promise<WorkerResult> {
  const system = await loadSystem(request.system);
  const workload = workloadOf(request.workload);
  const unsupported = system.unsupported?.[workload.id];
  const run = system.run[workload.id];
  if (unsupported !== undefined || run === undefined) return { reason: unsupported ?? 'n/a' };
  const scale = system.scale?.[workload.id] ?? 1;
  const sizes = scaledSizes(request.sizes, workload, scale);
  try {
    if (workload.warmUp !== false) for (let i = 0; i < WARM_UP_RUNS; i++) await run(sizes);
    const runs: number[][] = [];
    const count = Math.min(request.runs, system.runs?.[workload.id] ?? request.runs);
    for (let i = 0; i < count; i++) {
      collect();
      runs.push(await run(sizes));
    }
    return { runs, scaled: scale !== 1, capped: count < request.runs };
  } catch (error) {
    return { reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function runIsolated(request: WorkerRequest, timeoutMs: number): Promise<WorkerResult> {
  const args = [
    '--expose-gc',
    '--max-old-space-size=16384',
    // No `actorkit-source` condition: @actorkit/* resolve to the built dist/, what users run.
    '--import',
    'tsx',
    WORKER,
    JSON.stringify(request),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line !== undefined) resolve(JSON.parse(line.slice(7)) as WorkerResult);
      else if (signal === 'SIGKILL') resolve({ reason: `timed out after ${timeoutMs / 1000} s` });
      else resolve({ reason: `crashed (exit ${code}): ${lastLine(err || out)}` });
    });
  });
}

/** A Node system's runs of one workload over the rounds so far. */
interface Tally {
  runs: number[][];
  scaled: boolean;
  /** The system capped its runs: no later round runs it. */
  capped: boolean;
  /** Why a round gave no figures: the cell shows it, and no later round runs it. */
  reason?: string;
}

function cellOf(runs: number[][], rows: number, scaled: boolean, once: boolean): Cell {
  const medians = Array.from({ length: rows }, (_, i) => median(runs.map((run) => run[i]!)));
  return { kind: 'figures', medians, runs: runs.length, scaled, once };
}

function tallyCell(tally: Tally, rows: number, requested: number): Cell {
  if (tally.reason !== undefined) return { kind: 'none', reason: tally.reason };
  const once = tally.runs.length === 1 && requested > 1;
  return cellOf(tally.runs, rows, tally.scaled, once);
}

function addResult(tally: Tally, result: WorkerResult): void {
  if ('reason' in result) {
    tally.reason = result.reason;
    return;
  }
  tally.runs.push(...result.runs);
  tally.scaled = result.scaled;
  tally.capped = result.capped === true;
}

/**
 * The order of the Node systems in each round: as given in even rounds, reversed in odd
 * ones (A B C, then C B A, then A B C …), so that over two rounds every system has run as
 * early as every other and a drift of the machine's speed weighs on all of them alike.
 */
export function roundOrder<T>(systems: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, round) =>
    round % 2 === 0 ? [...systems] : [...systems].reverse(),
  );
}

/** Whether `column` is a BEAM column (an Elixir script) rather than a Node system. */
export const isBeam = (column: ColumnId): column is BeamId =>
  column === 'beam-s1' || column === 'beam-all';

const since = (started: number): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;

const shown = (cell: Cell): string =>
  cell.kind === 'figures' ? cell.medians.map((v) => v.toPrecision(3)).join(', ') : cell.reason;

/** One round's figures (the median of its runs) or reason, for the progress log. */
function roundSummary(result: WorkerResult, rows: number): string {
  return 'reason' in result ? result.reason : shown(cellOf(result.runs, rows, false, false));
}

/** Runs `workload` on the Node `systems` in rounds of alternating order; a cell for each. */
async function runNodeRounds(
  workload: Workload,
  systems: SystemId[],
  options: CompareOptions,
): Promise<Map<SystemId, Cell>> {
  const { sizes, runs, rounds = DEFAULT_ROUNDS, isolate = true } = options;
  const { timeoutMs = DEFAULT_TIMEOUT_MS, log = () => {} } = options;
  const rows = workload.rows(sizes).length;
  const tallies = new Map<SystemId, Tally>(
    systems.map((id) => [id, { runs: [], scaled: false, capped: false }]),
  );
  for (const [round, order] of roundOrder(systems, rounds).entries()) {
    for (const system of order) {
      const tally = tallies.get(system)!;
      if (tally.reason !== undefined || tally.capped) continue;
      const started = Date.now();
      const request = { system, workload: workload.id, sizes, runs };
      const result = isolate ? await runIsolated(request, timeoutMs) : await runInProcess(request);
      addResult(tally, result);
      const summary = roundSummary(result, rows);
      log(
        `${workload.id} / ${system}, round ${round + 1} of ${rounds}: ${summary} (${since(started)})`,
      );
    }
  }
  return new Map(systems.map((id) => [id, tallyCell(tallies.get(id)!, rows, runs * rounds)]));
}

/** Runs `workload`'s Elixir script on a BEAM column: `runs` measured runs, one process. */
async function beamCell(id: BeamId, workload: Workload, options: CompareOptions): Promise<Cell> {
  const { sizes, runs, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const result = await runBeam(id, workload, sizes, runs, timeoutMs);
  if (typeof result === 'string') return { kind: 'none', reason: result };
  return cellOf(result, workload.rows(sizes).length, false, false);
}

/** Runs the comparison: for each workload, the Node systems' rounds, then the BEAM's. */
export async function compare(
  options: CompareOptions,
): Promise<Map<WorkloadId, Map<ColumnId, Cell>>> {
  const log = options.log ?? (() => {});
  const nodeSystems = options.columns.filter((c): c is SystemId => !isBeam(c));
  const results = new Map<WorkloadId, Map<ColumnId, Cell>>();
  for (const workloadId of options.workloads) {
    const workload = workloadOf(workloadId);
    const nodeCells = await runNodeRounds(workload, nodeSystems, options);
    const cells = new Map<ColumnId, Cell>();
    results.set(workloadId, cells);
    for (const column of options.columns) {
      const started = Date.now();
      const cell = isBeam(column)
        ? await beamCell(column, workload, options)
        : nodeCells.get(column)!;
      cells.set(column, cell);
      log(
        `${workloadId} / ${column}: ${shown(cell)}${isBeam(column) ? ` (${since(started)})` : ''}`,
      );
    }
  }
  return results;
}
