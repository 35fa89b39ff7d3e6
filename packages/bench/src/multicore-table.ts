/**
 * The multi-core section's markdown: one row per figure; actorkit on one thread and on
 * all cores, the BEAM with one scheduler and with one per core; all-cores figures also
 * per core, the ratio of all cores to one thread within the same run, and the issue's
 * target for the all-cores figure, met or not.
 */
import type { Cell } from './harness.js';
import type { MulticoreCells, MulticoreColumn } from './multicore.js';
import {
  CORES,
  MULTICORE_WORKLOADS,
  type MulticoreRow,
  type MulticoreSizes,
  type Target,
} from './multicore-workloads.js';
import { formatFigure } from './table.js';

/** The section's column headers. */
export const MULTICORE_TITLES: Record<MulticoreColumn, string> = {
  thread: 'actorkit, 1 thread',
  nodes: `actorkit, ${CORES} nodes`,
  'beam-s1': 'BEAM +S 1',
  'beam-all': `BEAM +S ${CORES}`,
};

const medianOf = (cell: Cell | undefined, i: number): number | undefined =>
  cell?.kind === 'figures' ? cell.medians[i] : undefined;

/** A figure, with its share of a core for an all-cores throughput. */
function figure(cell: Cell | undefined, i: number, row: MulticoreRow, cores: number): string {
  if (cell === undefined) return '';
  if (cell.kind === 'none') return i === 0 ? cell.reason : '';
  const value = cell.medians[i]!;
  const text = formatFigure(value, row.unit);
  return row.unit === '/s' && cores > 1
    ? `${text} (${formatFigure(value / cores, row.unit)} a core)`
    : text;
}

/**
 * How many times better all cores do than one: many ÷ one for a throughput, one ÷ many
 * for a latency. Empty when either is missing.
 */
export function gain(one: number | undefined, many: number | undefined, row: MulticoreRow): string {
  if (one === undefined || many === undefined || !(one > 0) || !(many > 0)) return '';
  const ratio = row.unit === '/s' ? many / one : one / many;
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
}

/** The target in words and whether the all-cores figure meets it. */
export function targetText(
  target: Target | undefined,
  one: number | undefined,
  many: number | undefined,
): string {
  if (target === undefined) return '';
  const met = (ok: boolean | undefined): string =>
    ok === undefined ? '' : ok ? ': met' : ': not met';
  switch (target.kind) {
    case 'rate':
      return `≥ ${formatFigure(target.min, '/s')}${met(many === undefined ? undefined : many >= target.min)}`;
    case 'scaling': {
      const ok = one === undefined || many === undefined ? undefined : many / one >= target.min;
      return `≥ ${target.min}× of 1 thread${met(ok)}`;
    }
    case 'latency':
      return `≤ ${target.max} ms${met(many === undefined ? undefined : many <= target.max)}`;
  }
}

/** The section's table and notes, for the columns that ran. */
export function renderMulticore(
  cells: MulticoreCells,
  columns: MulticoreColumn[],
  sizes: MulticoreSizes,
): string {
  const beam = columns.includes('beam-s1') || columns.includes('beam-all');
  const titles = [
    MULTICORE_TITLES.thread,
    MULTICORE_TITLES.nodes,
    `${CORES} nodes ÷ 1 thread`,
    ...(beam
      ? [MULTICORE_TITLES['beam-s1'], MULTICORE_TITLES['beam-all'], `+S ${CORES} ÷ +S 1`]
      : []),
    `target (${CORES} nodes)`,
  ];
  const lines = [
    `| workload | ${titles.join(' | ')} |`,
    `|---|${titles.map(() => '---:').join('|')}|`,
  ];
  for (const workload of MULTICORE_WORKLOADS) {
    const row = cells.get(workload.id);
    if (row === undefined) continue;
    workload.rows(sizes).forEach((r, i) => {
      const [thread, nodes, s1, all] = (['thread', 'nodes', 'beam-s1', 'beam-all'] as const).map(
        (column) => row.get(column),
      );
      const rendered = [
        figure(thread, i, r, 1),
        figure(nodes, i, r, CORES),
        gain(medianOf(thread, i), medianOf(nodes, i), r),
        ...(beam
          ? [
              figure(s1, i, r, 1),
              figure(all, i, r, CORES),
              gain(medianOf(s1, i), medianOf(all, i), r),
            ]
          : []),
        targetText(r.target, medianOf(thread, i), medianOf(nodes, i)),
      ];
      lines.push(`| ${r.label} | ${rendered.join(' | ')} |`);
    });
  }
  return [
    `## Multi-core: one thread against ${CORES} cores`,
    '',
    ...lines,
    '',
    `- actorkit, 1 thread: one \`Runtime\`, both ends of every message in it. actorkit, ${CORES} nodes: \`startNodes\` (the main thread and ${CORES - 1} worker thread${CORES > 2 ? 's' : ''}); M1–M3 send from the main node to a process on node 1 (stopping after ${sizes.maxSeconds} s if their count is not reached, the rate taken over what they did); M4 and M5 split their pairs and messages evenly over the nodes, nothing crossing between \`go\` and \`done\`; in M6 the flood runs on node 1 (on the main thread for 1 thread) while an HTTP client in another OS process times GETs to a server on the main thread.`,
    `- BEAM: \`beam/multicore.exs\` with \`+S 1\` and \`+S ${CORES}\`; its M1–M3 are two processes in one VM (no node to cross), M4 and M5 the same work without partitions (the schedulers spread it), M6's flood one process beside the HTTP server.`,
    `- "a core": the figure ÷ ${CORES}, to compare with machines of more cores. "÷" columns: how many times better all cores do than one in the same run (throughput: all ÷ one; latency: one ÷ all). Medians of the measured runs, after one uncounted run (none for M6).`,
    '',
  ].join('\n');
}
