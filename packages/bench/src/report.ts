/** The report around the table: machine, versions, date, how it was run, notes. */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import type { ColumnId } from './harness.js';
import { loadSystem } from './system.js';
import type { TableMeta } from './table.js';
import { WARM_UP_RUNS } from './workloads.js';

function versionOf(packageJson: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

const here = (path: string): URL => new URL(path, import.meta.url);

export async function reportMeta(options: {
  columns: ColumnId[];
  runs: number;
  beam: string | undefined;
  seconds: number;
  quick: boolean;
}): Promise<TableMeta> {
  const cpu = cpus();
  const versions = [
    `actorkit ${versionOf(here('../../core/package.json'))}`,
    `xstate ${versionOf(here('../node_modules/xstate/package.json'))}`,
    `nact ${versionOf(here('../node_modules/nact/package.json'))}`,
    options.beam ?? 'BEAM: elixir not on PATH, BEAM columns skipped',
  ];
  const header = [
    '# actorkit side by side',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu[0]?.model ?? 'unknown'} (${cpu.length} cores), ${(totalmem() / 2 ** 30).toFixed(0)} GB, ${type()} ${release()}`,
    `- node ${process.version}; ${versions.join('; ')}`,
    `- median of ${options.runs} runs per cell, after ${WARM_UP_RUNS} warm-up runs (none for the 1M spawn, timers and fairness); each Node system and workload in a fresh process; total ${Math.round(options.seconds)} s${options.quick ? '; BENCH_QUICK sizes' : ''}`,
  ];
  const footnotes: string[] = [];
  for (const column of options.columns) {
    if (column === 'beam-s1' || column === 'beam-all') continue;
    const system = await loadSystem(column);
    for (const note of system.notes ?? []) footnotes.push(`- ${system.title}: ${note}`);
  }
  if (options.columns.includes('beam-s1') || options.columns.includes('beam-all')) {
    footnotes.push(
      '- BEAM: the same workloads as Elixir scripts (packages/bench/beam/*.exs): `spawn` + `receive` for 1–4 and 8, `GenServer` for 5 and 6 (`Process.send_after`), a `Supervisor` for 7; memory is `:erlang.memory(:total)` growth; CPU is `:erlang.statistics(:runtime)`; "+S 1" is one scheduler (one thread running Erlang code, like Node), "all schedulers" one per core.',
    );
  }
  return { header, footnotes: footnotes.length > 0 ? ['', ...footnotes] : [] };
}
