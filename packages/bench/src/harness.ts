/**
 * The comparison harness: runs every selected workload on every selected system,
 * several times, and keeps the median of each figure. Node systems run in a worker
 * process per system and workload (`isolate`, the default for the command) or in this
 * process (for the smoke test); the BEAM runs its Elixir scripts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BeamId, lastLine, runBeam } from './beam.js';
import { collect } from './measure.js';
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

/** A cell of the table: the median of each row's figure, or why there is none. */
export type Cell =
  | { kind: 'figures'; medians: number[]; scaled: boolean; once: boolean }
  | { kind: 'none'; reason: string };

export interface CompareOptions {
  sizes: Sizes;
  /** Measured runs per system and workload; the table shows the median. */
  runs: number;
  columns: ColumnId[];
  workloads: WorkloadId[];
  /** Run each Node system and workload in a worker process of its own. @default true */
  isolate?: boolean;
  /** Ms a worker may take before it is killed and its cell says so. @default 300_000 */
  timeoutMs?: number;
  /** Progress, one line per cell. @default nothing */
  log?: (line: string) => void;
}

export interface WorkerRequest {
  system: SystemId;
  workload: WorkloadId;
  sizes: Sizes;
  runs: number;
}

export type WorkerResult =
  | { runs: number[][]; scaled: boolean; once?: boolean }
  | { reason: string };

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

function workloadOf(id: WorkloadId): Workload {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (workload === undefined) throw new Error(`Expected a workload id, got ${id}`);
  return workload;
}

/** Runs one workload on one Node system in this process: warm-up, then `runs` runs. */
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
    return { runs, scaled: scale !== 1, once: count === 1 && request.runs > 1 };
  } catch (error) {
    return { reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function runIsolated(request: WorkerRequest, timeoutMs: number): Promise<WorkerResult> {
  const args = [
    '--expose-gc',
    '--max-old-space-size=16384',
    '--conditions=actorkit-source',
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function toCell(result: WorkerResult | number[][] | string, rows: number): Cell {
  if (typeof result === 'string') return { kind: 'none', reason: result };
  if ('reason' in result) return { kind: 'none', reason: result.reason };
  const runs = Array.isArray(result) ? result : result.runs;
  const medians = Array.from({ length: rows }, (_, i) => median(runs.map((run) => run[i]!)));
  const single = !Array.isArray(result) && result.once === true;
  return {
    kind: 'figures',
    medians,
    scaled: !Array.isArray(result) && result.scaled,
    once: single,
  };
}

/** Runs the comparison: for each workload, each column's cell. */
export async function compare(
  options: CompareOptions,
): Promise<Map<WorkloadId, Map<ColumnId, Cell>>> {
  const { sizes, runs, isolate = true, timeoutMs = 300_000, log = () => {} } = options;
  const results = new Map<WorkloadId, Map<ColumnId, Cell>>();
  for (const workloadId of options.workloads) {
    const workload = workloadOf(workloadId);
    const rows = workload.rows(sizes).length;
    const cells = new Map<ColumnId, Cell>();
    results.set(workloadId, cells);
    for (const column of options.columns) {
      const started = Date.now();
      let result: WorkerResult | number[][] | string;
      if (column === 'beam-s1' || column === 'beam-all') {
        result = await runBeam(column, workload, sizes, runs, timeoutMs);
      } else {
        const request = { system: column, workload: workloadId, sizes, runs };
        result = isolate ? await runIsolated(request, timeoutMs) : await runInProcess(request);
      }
      const cell = toCell(result, rows);
      cells.set(column, cell);
      const shown =
        cell.kind === 'figures' ? cell.medians.map((v) => v.toPrecision(3)) : cell.reason;
      log(`${workloadId} / ${column}: ${shown} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  return results;
}
