/** The markdown table: one row per figure, one column per system, ratios to actorkit. */
import type { Cell, ColumnId } from './harness.js';
import type { Sizes, Unit, WorkloadId } from './workloads.js';
import { WORKLOADS } from './workloads.js';

export const COLUMN_TITLES: Record<ColumnId, string> = {
  actorkit: 'actorkit',
  baseline: 'plain Node',
  xstate: 'xstate v5',
  nact: 'nact 7',
  'beam-s1': 'BEAM +S 1',
  'beam-all': 'BEAM, all schedulers',
};

export function formatFigure(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case '/s':
      if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M/s`;
      return value >= 1e4 ? `${(value / 1e3).toFixed(0)}k/s` : `${(value / 1e3).toFixed(1)}k/s`;
    case 'ms':
      return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
    case 'B':
      return `${Math.round(value)} B`;
    case 'MB':
      return `${(value / 2 ** 20).toFixed(1)} MB`;
    case '%':
      return `${value.toFixed(1)}%`;
    case 'msgs':
      return value >= 1e5 ? `${(value / 1e6).toFixed(2)}M msgs` : `${Math.round(value)} msgs`;
  }
}

/**
 * How many times better actorkit is than `other`: actorkit ÷ other for a throughput,
 * other ÷ actorkit for a cost (time, memory, latency, CPU). Above 1, actorkit is better.
 */
export function advantage(actorkit: number, other: number, unit: Unit): number {
  return unit === '/s' ? actorkit / other : other / actorkit;
}

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio === 0) return '';
  return ` (${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×)`;
}

export interface TableMeta {
  header: string[];
  footnotes: string[];
}

export function renderTable(
  results: Map<WorkloadId, Map<ColumnId, Cell>>,
  columns: ColumnId[],
  sizes: Sizes,
  meta: TableMeta,
): string {
  const lines = [
    `| workload | ${columns.map((c) => COLUMN_TITLES[c]).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
  ];
  let anyScaled = false;
  let anyOnce = false;
  for (const workload of WORKLOADS) {
    const cells = results.get(workload.id);
    if (cells === undefined) continue;
    const ours = cells.get('actorkit');
    workload.rows(sizes).forEach((row, i) => {
      const rendered = columns.map((column) => {
        const cell = cells.get(column);
        if (cell === undefined) return '';
        if (cell.kind === 'none') return i === 0 ? cell.reason : '';
        const value = cell.medians[i]!;
        anyScaled ||= cell.scaled && row.unit === '/s';
        anyOnce ||= cell.once;
        const mark = (cell.scaled && row.unit === '/s' ? ' †' : '') + (cell.once ? ' ‡' : '');
        const ratio =
          column === 'actorkit' || ours?.kind !== 'figures'
            ? ''
            : formatRatio(advantage(ours.medians[i]!, value, row.unit));
        return `${formatFigure(value, row.unit)}${mark}${ratio}`;
      });
      lines.push(`| ${row.label} | ${rendered.join(' | ')} |`);
    });
  }
  const notes = [
    '',
    '(n×) is how many times better actorkit is than that system on that row: actorkit ÷ it for a throughput (/s), it ÷ actorkit for a cost (ms, B, MB, %). Above 1× actorkit is better, below 1× worse.',
    ...(anyScaled
      ? [
          '† run on fewer messages (the system is too slow for the full count in a short run); the rate is comparable.',
        ]
      : []),
    ...(anyOnce
      ? ['‡ one run, not a median: too slow on that system to repeat in a short run.']
      : []),
    ...meta.footnotes,
  ];
  return [...meta.header, '', ...lines, ...notes, ''].join('\n');
}
