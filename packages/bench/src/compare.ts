/**
 * `pnpm bench:compare`: the same eight workloads on actorkit, a plain-Node baseline,
 * xstate v5, nact and, when `elixir` is on PATH, the BEAM with one scheduler and with
 * all of them. Prints a markdown table (figures and ratios to actorkit) to stdout and
 * writes it to `results/latest.md`; progress goes to stderr. The figures are for the built
 * packages (dist/, what npm users run): `pnpm bench:compare` builds core and genserver
 * first, and neither this process nor the workers use the `actorkit-source` condition.
 *
 * Environment:
 * - `BENCH_QUICK=1`: small sizes (a smoke run of a minute or two); writes no results file.
 * - `BENCH_RUNS` (default 3): measured runs per cell and round; the table shows the median.
 * - `BENCH_ROUNDS` (default 2): rounds over the Node systems, in alternating order (A B …
 *   then … B A); a Node cell's median is over `BENCH_RUNS × BENCH_ROUNDS` runs. The BEAM
 *   columns run `BENCH_RUNS` runs once.
 * - `BENCH_ONLY=send,ring`: only these workloads (ids in workloads.ts); writes no results file.
 *   `multicore` names the whole multi-core section, a section id (`pairs`, `http`, … in
 *   multicore-workloads.ts) one of its rows: `BENCH_ONLY=multicore` runs the section alone.
 * - `BENCH_SYSTEMS=actorkit,baseline,beam-s1`: only these columns; writes no results file.
 * - `BENCH_TIMER_SECONDS` (default 10): length of the periodic-timer workload.
 *
 * The multi-core section (issue #17, multicore.ts) comes after the table: actorkit on one
 * thread and on every core (nodes), beside the BEAM with one scheduler and with all;
 * `BENCH_RUNS` measured runs per cell, one round, with `BENCH_QUICK`'s sizes when set.
 *
 * To profile one cell, build (`pnpm build`) and run the worker directly, e.g.
 * `node --cpu-prof --expose-gc --import tsx src/worker.ts
 * '{"system":"actorkit","workload":"ring","sizes":…,"runs":1}'` (see README).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { beamVersion } from './beam.js';
import { type ColumnId, compare, DEFAULT_ROUNDS, isBeam } from './harness.js';
import { compareMulticore, type MulticoreColumn } from './multicore.js';
import { renderMulticore } from './multicore-table.js';
import {
  MULTICORE_FULL_SIZES,
  MULTICORE_QUICK_SIZES,
  MULTICORE_WORKLOADS,
  type MulticoreId,
} from './multicore-workloads.js';
import { reportMeta } from './report.js';
import { NODE_SYSTEMS } from './system.js';
import { renderTable } from './table.js';
import { FULL_SIZES, QUICK_SIZES, WORKLOADS, type WorkloadId } from './workloads.js';

const list = (value: string | undefined): string[] | undefined =>
  value === undefined || value === '' ? undefined : value.split(',').map((s) => s.trim());

/** The environment variable `name` as a whole number >= 1, or `fallback` when unset. */
function count(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (Number.isInteger(value) && value >= 1) return value;
  throw new Error(`Expected \`${name}\` to be a whole number >= 1, got ${text}`);
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const sizes = { ...(quick ? QUICK_SIZES : FULL_SIZES) };
  if (process.env.BENCH_TIMER_SECONDS) sizes.timerSeconds = Number(process.env.BENCH_TIMER_SECONDS);
  const runs = count('BENCH_RUNS', 3);
  const rounds = count('BENCH_ROUNDS', DEFAULT_ROUNDS);
  const beam = beamVersion();
  const allColumns: ColumnId[] = [
    ...NODE_SYSTEMS,
    ...(beam ? (['beam-s1', 'beam-all'] as const) : []),
  ];
  const onlySystems = list(process.env.BENCH_SYSTEMS);
  const onlyWorkloads = list(process.env.BENCH_ONLY);
  const columns = allColumns.filter((c) => onlySystems?.includes(c) ?? true);
  if (!columns.includes('actorkit')) columns.unshift('actorkit');
  const workloads = WORKLOADS.map((w) => w.id).filter(
    (id): id is WorkloadId => onlyWorkloads?.includes(id) ?? true,
  );
  if (beam === undefined) console.error('elixir is not on PATH: the BEAM columns are skipped.');
  const started = performance.now();
  const results = await compare({
    sizes,
    runs,
    rounds,
    columns,
    workloads,
    log: (line) => console.error(line),
  });
  const multicore = await multicoreSection(onlyWorkloads, columns, quick, runs);
  const seconds = (performance.now() - started) / 1000;
  const meta = await reportMeta({
    columns,
    runs,
    rounds,
    timerSeconds: sizes.timerSeconds,
    beam,
    seconds,
    quick,
    table: workloads.length > 0,
    ...(multicore === undefined ? {} : { multicoreRuns: runs }),
  });
  const table = [
    ...(workloads.length > 0 ? [renderTable(results, columns, sizes, meta)] : meta.header),
    ...(multicore === undefined ? [] : ['', multicore]),
  ].join('\n');
  console.log(table);
  if (quick || onlySystems !== undefined || onlyWorkloads !== undefined) return;
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.md', dir), table);
  console.error(`written to ${new URL('latest.md', dir).pathname} in ${Math.round(seconds)} s`);
}

/**
 * Runs the multi-core section unless `BENCH_ONLY` leaves it out, with the BEAM columns
 * that `columns` has; its markdown, or undefined.
 */
async function multicoreSection(
  only: string[] | undefined,
  columns: ColumnId[],
  quick: boolean,
  runs: number,
): Promise<string | undefined> {
  const workloads = MULTICORE_WORKLOADS.map((w) => w.id).filter(
    (id): id is MulticoreId =>
      only === undefined || only.includes('multicore') || only.includes(id),
  );
  if (workloads.length === 0) return undefined;
  const sizes = quick ? MULTICORE_QUICK_SIZES : MULTICORE_FULL_SIZES;
  const sectionColumns: MulticoreColumn[] = ['thread', 'nodes', ...columns.filter(isBeam)];
  const cells = await compareMulticore({
    sizes,
    runs,
    workloads,
    columns: sectionColumns,
    log: (line) => console.error(line),
  });
  return renderMulticore(cells, sectionColumns, sizes);
}

await main();
