/**
 * @internal How the `actorkit-jobs` CLI prints jobs: an aligned table for `list` and
 * `counts`, and a detail page for `show` (args, timing, every failed attempt with its
 * stack). Pure functions of their input, so they never touch the store.
 */
import type { BrokerAnswer } from './cli-backend.js';
import { JOB_STATES, type Job } from './job.js';
import type { QueueCounts } from './store.js';

/** Aligns `rows` under `header` in columns two spaces apart; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The `list` table: one job a row, with its last error's message when it has one. */
export function formatJobList(jobs: readonly Job[]): string {
  if (jobs.length === 0) return 'no jobs match.';
  const rows = jobs.map((job) => [
    job.id,
    job.state,
    job.queue,
    job.worker,
    `${job.attempt}/${job.maxAttempts}`,
    formatTime(job.finishedAt ?? job.attemptedAt ?? job.runAt),
    oneLine(job.errors.at(-1)?.message ?? ''),
  ]);
  return formatTable(['ID', 'STATE', 'QUEUE', 'WORKER', 'ATTEMPT', 'AT', 'LAST ERROR'], rows);
}

/** The `counts` table: one queue a row, a column per state. */
export function formatCounts(counts: readonly QueueCounts[]): string {
  if (counts.length === 0) return 'no jobs.';
  // A store without `query` leaves out the states it cannot count: n/a, never a made-up 0.
  const rows = counts.map((entry) => [
    entry.queue,
    ...JOB_STATES.map((state) => String(entry.counts[state] ?? 'n/a')),
  ]);
  return formatTable(['QUEUE', ...JOB_STATES.map((state) => state.toUpperCase())], rows);
}

/**
 * The `counts` of a store on a broker: its queues' depths (`n/a` where the broker cannot
 * tell), then what it cannot tell and the attempts executing in the observer's process.
 */
export function formatBrokerQueues(answer: BrokerAnswer): string {
  const shown = (n: number | null) => (n === null ? 'n/a' : String(n));
  const rows = answer.queues.map((q) => [
    q.queue,
    String(q.ready),
    shown(q.unacked),
    String(q.consumers),
    shown(q.delayed),
    String(q.dead),
  ]);
  const table =
    rows.length === 0
      ? 'no queues of this store on the broker yet.'
      : formatTable(['QUEUE', 'READY', 'UNACKED', 'CONSUMERS', 'DELAYED', 'DEAD'], rows);
  return [
    `${oneLine(answer.store)}: messages per queue (a broker counts no jobs by state)`,
    table,
    ...answer.notes.map((note) => `note: ${oneLine(note)}`),
    ...(answer.executingHere === undefined
      ? []
      : [`executing in the observer's process: ${answer.executingHere}`]),
  ].join('\n');
}

/** The `show` page: every field, `args` as given (already redacted), and each failed attempt. */
export function formatJobDetail(job: Job, args: unknown): string {
  const lines = [
    `job ${job.id}  ${job.state}`,
    ...formatFields([
      ['queue', job.queue],
      ['worker', job.worker],
      ['attempt', `${job.attempt} of ${job.maxAttempts}`],
      ['priority', String(job.priority)],
      ['key', job.key ?? '-'],
      ['node', job.node ?? '-'],
      ['inserted', formatTime(job.insertedAt)],
      ['run at', formatTime(job.runAt)],
      ['attempted', formatTime(job.attemptedAt)],
      ['finished', formatTime(job.finishedAt)],
    ]),
    'args:',
    indent(safeJson(args)),
    `errors: ${job.errors.length === 0 ? 'none' : ''}`.trimEnd(),
  ];
  for (const error of job.errors) {
    const took = error.startedAt === undefined ? '' : `, took ${error.at - error.startedAt} ms`;
    lines.push(
      `  attempt ${error.attempt} (${error.kind}) at ${formatTime(error.at)}${took}` +
        `${error.node === undefined ? '' : ` on ${error.node}`}`,
      `    ${error.name}: ${oneLine(error.message)}`,
    );
    if (error.stack !== undefined) lines.push(indent(error.stack, '      '));
  }
  return lines.join('\n');
}

/** `name  value` lines, values aligned, indented by two spaces. */
function formatFields(fields: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `  ${name.padEnd(width)}  ${oneLine(value)}`);
}

/** A store time (ms since the epoch) as ISO 8601, or `-` when there is none. */
export function formatTime(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** JSON with two-space indents; never throws (a value JSON cannot hold prints as a note). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return '(a value that cannot be printed as JSON)';
  }
}

function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** Control characters (newlines, escapes) would break a table row or a terminal: shown as spaces. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
