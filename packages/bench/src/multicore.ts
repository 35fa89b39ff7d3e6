/**
 * bench:compare's multi-core section (issue #17): actorkit on one thread and on all
 * cores (nodes), beside the BEAM with one scheduler and with one per core. Each actorkit
 * column runs every selected workload in a fresh Node process of its own
 * (`multicore-worker.ts`, one `startNodes` for all of them); each BEAM column runs
 * `beam/multicore.exs` once. Rendered by `multicore-table.ts`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lastLine } from './beam.js';
import type { Cell } from './harness.js';
import { median } from './measure.js';
import {
  type MulticoreRequest,
  type MulticoreResult,
  type Placement,
  runMulticore,
} from './multicore-actorkit.js';
import {
  CORES,
  type MulticoreId,
  type MulticoreSizes,
  multicoreWorkloadOf,
} from './multicore-workloads.js';

/** The section's columns: actorkit on one thread and on all cores, the BEAM likewise. */
export type MulticoreColumn = Placement | 'beam-s1' | 'beam-all';

/** What {@link compareMulticore} runs, and how. */
export interface MulticoreOptions {
  sizes: MulticoreSizes;
  /** Measured runs per cell, after one uncounted run (none for HTTP); the table shows the median. */
  runs: number;
  workloads: MulticoreId[];
  columns: MulticoreColumn[];
  /** Run each actorkit column in a fresh process. @default true */
  isolate?: boolean;
  /** Ms a column's process may run before it is killed and its cells say so. @default 600_000 */
  timeoutMs?: number;
  /** Progress, one line per cell. @default nothing */
  log?: (line: string) => void;
}

/** Each workload's cell in each column. */
export type MulticoreCells = Map<MulticoreId, Map<MulticoreColumn, Cell>>;

const WORKER = fileURLToPath(new URL('./multicore-worker.ts', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../beam/multicore.exs', import.meta.url));

/** Runs `command args`, resolving with its stdout, or with why it gave none after `timeoutMs`. */
function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ out: string } | { reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => resolve({ reason: `failed to start: ${error.message}` }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ out });
      else if (signal === 'SIGKILL') resolve({ reason: `timed out after ${timeoutMs / 1000} s` });
      else resolve({ reason: `crashed (exit ${code}): ${lastLine(err || out)}` });
    });
  });
}

async function actorkitColumn(
  placement: Placement,
  options: MulticoreOptions,
): Promise<MulticoreResult | { reason: string }> {
  const { sizes, runs, workloads } = options;
  const request: MulticoreRequest = { placement, workloads, sizes, runs };
  if (options.isolate === false) return runMulticore(request);
  // No `actorkit-source` condition: @actorkit/* resolve to the built dist/.
  const args = ['--expose-gc', '--import', 'tsx', WORKER, JSON.stringify(request)];
  const result = await run(process.execPath, args, options.timeoutMs ?? 600_000);
  if ('reason' in result) return result;
  const line = result.out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return { reason: 'no RESULT line' };
  return JSON.parse(line.slice(7)) as MulticoreResult;
}

async function beamColumn(
  column: 'beam-s1' | 'beam-all',
  options: MulticoreOptions,
): Promise<MulticoreResult | { reason: string }> {
  const { sizes, runs, workloads } = options;
  const args = [
    '--erl',
    column === 'beam-s1' ? '+S 1' : `+S ${CORES}`,
    SCRIPT,
    `only=${workloads.join(',')}`,
    `runs=${runs}`,
    'warm_up=1',
    `node=${process.execPath}`,
    ...Object.entries(sizes).map(([key, value]) => `${key}=${value}`),
  ];
  const result = await run('elixir', args, options.timeoutMs ?? 600_000);
  if ('reason' in result) return result;
  const figures: MulticoreResult = {};
  for (const line of result.out.split('\n')) {
    const match = /^RESULT (\S+) (.*)$/.exec(line);
    if (match === null) continue;
    const id = match[1] as MulticoreId;
    const runs = (figures[id] ??= []) as number[][];
    runs.push(match[2]!.split(',').map(Number));
  }
  return figures;
}

/** A cell from a column's figures for `id`: the median of each row over the runs. */
function cellOf(result: MulticoreResult | { reason: string }, id: MulticoreId, rows: number): Cell {
  if ('reason' in result && typeof result.reason === 'string')
    return { kind: 'none', reason: result.reason };
  const runs = (result as MulticoreResult)[id];
  if (runs === undefined) return { kind: 'none', reason: 'no figures' };
  if (!Array.isArray(runs)) return { kind: 'none', reason: runs.reason };
  const medians = Array.from({ length: rows }, (_, i) => median(runs.map((r) => r[i]!)));
  return { kind: 'figures', medians, runs: runs.length, scaled: false, once: false };
}

const shown = (cell: Cell): string =>
  cell.kind === 'figures' ? cell.medians.map((v) => v.toPrecision(3)).join(', ') : cell.reason;

/**
 * Runs the section: each column in turn (actorkit on one thread, on all cores, then the
 * BEAM columns), every selected workload in it; a cell per workload and column.
 */
export async function compareMulticore(options: MulticoreOptions): Promise<MulticoreCells> {
  const log = options.log ?? (() => {});
  const cells: MulticoreCells = new Map(options.workloads.map((id) => [id, new Map()]));
  for (const column of options.columns) {
    const started = Date.now();
    const result =
      column === 'thread' || column === 'nodes'
        ? await actorkitColumn(column, options)
        : await beamColumn(column, options);
    for (const id of options.workloads) {
      const cell = cellOf(result, id, multicoreWorkloadOf(id).rows(options.sizes).length);
      cells.get(id)!.set(column, cell);
      log(`multicore ${id} / ${column}: ${shown(cell)}`);
    }
    log(`multicore / ${column}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return cells;
}
