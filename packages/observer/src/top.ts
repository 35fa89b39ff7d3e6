import type { NodeTotals } from './history.js';
import type { ProcessRow } from './process-table.js';

/** One reading of the node as the CLI gets it over HTTP. */
export interface TopReading {
  at: number;
  node: number;
  totals: NodeTotals;
  /** The busiest processes the observer sent (not all of them on a big node). */
  rows: ProcessRow[];
  /** How many processes the node has. */
  total: number;
}

/** How `formatTop` lays the screen out. */
export interface TopOptions {
  url: string;
  /** Rows shown. @default 20 */
  limit?: number;
  /** Columns available. @default 120 */
  width?: number;
}

/**
 * Computes each process's messages/s between two readings (by PID; a process missing
 * from the previous reading keeps the rate the observer measured) and sorts busiest
 * first: by rate, then mailbox, then messages handled.
 */
export function busiest(previous: TopReading | undefined, current: TopReading): ProcessRow[] {
  const before = new Map(previous?.rows.map((r) => [r.pid, r.handled]) ?? []);
  const seconds = previous === undefined ? 0 : (current.at - previous.at) / 1000;
  const rows = current.rows.map((row) => {
    const handled = before.get(row.pid);
    if (seconds <= 0 || handled === undefined) return row;
    const delta = Math.max(0, row.handled - handled);
    return { ...row, rate: Math.round((delta / seconds) * 10) / 10 };
  });
  return rows.sort(
    (a, b) => (b.rate ?? -1) - (a.rate ?? -1) || b.mailbox - a.mailbox || b.handled - a.handled,
  );
}

/** The `top`-like screen: a header with node totals, then the busiest processes. */
export function formatTop(reading: TopReading, rows: ProcessRow[], options: TopOptions): string {
  const t = reading.totals;
  const limit = options.limit ?? 20;
  const width = options.width ?? 120;
  const lines = [
    `actorkit observer  ${options.url}  node ${reading.node}  ${new Date(reading.at).toLocaleTimeString()}`,
    [
      `processes ${t.processes}`,
      `queued ${t.queued}`,
      `msgs/s ${num(t.messagesPerSec)}`,
      `restarts/s ${num(t.restartsPerSec)}`,
      `loop lag ${t.eventLoopLagMs === null ? '–' : `${t.eventLoopLagMs.toFixed(1)} ms`}`,
      `heap ${(t.heapUsedBytes / 1048576).toFixed(1)} MB`,
    ].join('   '),
    '',
    row(['PID', 'NAME', 'BEHAVIOUR', 'MODULE', 'STATUS', 'MAILBOX', 'MSGS/S', 'HANDLED']),
  ];
  for (const r of rows.slice(0, limit)) {
    lines.push(
      row([
        r.pid,
        r.name ?? '',
        r.behaviour,
        r.module,
        r.status,
        String(r.mailbox),
        num(r.rate),
        String(r.handled),
      ]),
    );
  }
  const shown = Math.min(limit, rows.length);
  if (reading.total > shown) lines.push(`… ${reading.total - shown} more`);
  return lines
    .map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line))
    .join('\n');
}

const WIDTHS = [16, 18, 18, 22, 9, 8, 9, 10];

function row(cells: string[]): string {
  return cells
    .map((cell, i) => {
      const w = WIDTHS[i] ?? 10;
      const text = cell.length > w - 1 ? `${cell.slice(0, w - 2)}…` : cell;
      return i >= 5 ? text.padStart(w - 1) : text.padEnd(w);
    })
    .join(' ');
}

function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : String(Math.round(n * 10) / 10);
}
