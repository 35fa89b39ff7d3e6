/** The report around the table: machine, versions, date, how it was run, notes. */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { type ColumnId, isBeam } from './harness.js';
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

/** How the medians were taken, for the header: Node rounds, BEAM runs, the timers' window. */
function runLines(options: {
  runs: number;
  rounds: number;
  timerSeconds: number;
  beam: boolean;
}): string[] {
  const { runs, rounds, timerSeconds } = options;
  const warmUp = `${WARM_UP_RUNS} warm-up runs (none for the 1M spawn, timers and fairness)`;
  const order =
    rounds > 1 ? `${rounds} rounds, the systems' order reversed every other round` : '1 round';
  const beam = `- BEAM columns: median of ${runs} runs per cell, in one \`elixir\` process after the same warm-up`;
  return [
    `- Node columns: median of ${runs * rounds} runs per cell: ${order}, each a fresh process per system and workload doing ${warmUp}, then ${runs} measured runs`,
    ...(options.beam ? [beam] : []),
    `- timers measured for ${timerSeconds} s, from one period after the last was armed`,
  ];
}

export async function reportMeta(options: {
  columns: ColumnId[];
  runs: number;
  rounds: number;
  timerSeconds: number;
  beam: string | undefined;
  seconds: number;
  quick: boolean;
  /** The main table ran (not only the multi-core section). @default true */
  table?: boolean;
  /** The multi-core section ran, with this many measured runs per cell. */
  multicoreRuns?: number;
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
    '- actorkit as built (dist/), what npm users run',
    ...(options.table === false
      ? []
      : runLines({ ...options, beam: options.columns.some(isBeam) })),
    ...(options.multicoreRuns === undefined
      ? []
      : [
          `- multi-core section: median of ${options.multicoreRuns} runs per cell after one uncounted run (none for M6), each actorkit column in a fresh process, each BEAM column in one \`elixir\` process`,
        ]),
    `- total ${Math.round(options.seconds)} s${options.quick ? '; BENCH_QUICK sizes' : ''}`,
  ];
  const footnotes: string[] = [];
  for (const column of options.columns) {
    if (isBeam(column)) continue;
    const system = await loadSystem(column);
    for (const note of system.notes ?? []) footnotes.push(`- ${system.title}: ${note}`);
  }
  if (options.columns.some(isBeam)) {
    footnotes.push(
      '- BEAM: the same workloads as Elixir scripts (packages/bench/beam/*.exs): `spawn` + `receive` for 1–4, 8, 9 and 10, `GenServer` for 5 and 6 (`Process.send_after`), a `Supervisor` for 7; memory is `:erlang.memory(:total)` growth; CPU is `:erlang.statistics(:runtime)`; "+S 1" is one scheduler (one thread running Erlang code, like Node), "all schedulers" one per core.',
    );
  }
  return { header, footnotes: footnotes.length > 0 ? ['', ...footnotes] : [] };
}
