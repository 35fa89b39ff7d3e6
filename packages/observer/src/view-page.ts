/**
 * A view's dashboard page, described as data: the observer's dashboard draws it. Every
 * value is shown as text (never parsed as HTML), a link goes to another page of the same
 * view or to the observer's process page, and an action is a button that POSTs to one of
 * the view's routes. `normalizePage` turns whatever `render` returned into this shape
 * without throwing, clipping long texts, so hostile data cannot break the page.
 */
import { textOf } from './serialize.js';

/** How a cell or a text is coloured. */
export type ViewTone = 'ok' | 'warn' | 'bad' | 'muted';

/**
 * A button that POSTs `body` (a JSON object, `{}` by default) to the view's route at
 * `post` (its path segments, e.g. `['jobs', id, 'retry']`); the page reloads after it.
 */
export interface ViewAction {
  label: string;
  post: readonly string[];
  body?: Record<string, unknown>;
  /** Drawn as a dangerous action (red). @default false */
  danger?: boolean;
}

/**
 * A table cell, a fact or a card's value: a plain value (shown as text), or an object:
 * - `text`: what to show (any value, as text);
 * - `link`: a path of this view to open (`['job', '42']`);
 * - `pid`: a PID of the observed runtime: a link to its process page;
 * - `tone`, `title` (a tooltip), `actions` (buttons after the text).
 */
export type ViewCell =
  | string
  | number
  | boolean
  | null
  | undefined
  | {
      text?: unknown;
      link?: readonly string[];
      pid?: string;
      tone?: ViewTone;
      title?: string;
      actions?: readonly ViewAction[];
    };

/** A part of a page; `id` (letters, digits, `-`) names it in the page (`data-block`). */
export type ViewBlock = { id?: string; title?: string } & (
  | { type: 'cards'; cards: readonly { label: string; value: ViewCell }[] }
  | {
      type: 'table';
      columns: readonly (string | { label: string; numeric?: boolean })[];
      rows: readonly (readonly ViewCell[])[];
      /** Shown when there is no row. @default 'Nothing.' */
      empty?: string;
    }
  | { type: 'facts'; facts: readonly (readonly [string, ViewCell])[] }
  | {
      type: 'chart';
      /** Lines over the same x axis; values that are not finite numbers count as 0. */
      series: readonly { label: string; values: readonly number[] }[];
      /** The x axis's first and last labels, e.g. times. */
      from?: string;
      to?: string;
      unit?: string;
    }
  | { type: 'text'; text: string; tone?: ViewTone }
  | { type: 'code'; text: string }
  | { type: 'actions'; actions: readonly ViewAction[] }
);

/** A view's page: what `render` returns. */
export interface ViewPage {
  /** Shown above the blocks. */
  title?: string;
  blocks: readonly ViewBlock[];
  /** Ms between refreshes while the page is shown; 0 never refreshes. @default 2000 */
  refresh?: number;
}

/** @internal A cell as the dashboard receives it: `text` always, the rest when valid. */
export interface NormalCell {
  text: string;
  link?: string[];
  pid?: string;
  tone?: ViewTone;
  title?: string;
  actions?: NormalAction[];
}

/** @internal An action as the dashboard receives it: a JSON body, a path without dot segments. */
export interface NormalAction {
  label: string;
  post: string[];
  body: Record<string, unknown>;
  danger: boolean;
}

/** Limits that keep a page drawable, whatever a view's data holds. */
const LIMITS = { text: 2000, code: 100_000, rows: 2000, blocks: 200, items: 200, points: 1000 };
const TONES = new Set(['ok', 'warn', 'bad', 'muted']);
const BLOCK_ID = /^[A-Za-z0-9-]{1,64}$/;

/** `render`'s result in the one shape the dashboard draws; never throws. */
export function normalizePage(page: unknown): {
  title: string;
  blocks: Record<string, unknown>[];
  refresh: number;
} {
  const p = record(page);
  const refresh = p.refresh;
  return {
    title: p.title === undefined ? '' : textOf(p.title, LIMITS.text),
    blocks: list(p.blocks, LIMITS.blocks).map(normalizeBlock),
    refresh:
      typeof refresh === 'number' && Number.isFinite(refresh) && refresh >= 0
        ? Math.max(refresh === 0 ? 0 : 250, Math.min(refresh, 3_600_000))
        : 2000,
  };
}

function normalizeBlock(value: unknown): Record<string, unknown> {
  try {
    const b = record(value);
    const head = {
      id: typeof b.id === 'string' && BLOCK_ID.test(b.id) ? b.id : undefined,
      title: b.title === undefined ? undefined : textOf(b.title),
    };
    return { ...head, ...blockBody(b) };
  } catch {
    return { type: 'text', text: '[A block that could not be read]', tone: 'bad' };
  }
}

function blockBody(b: Record<string, unknown>): Record<string, unknown> {
  switch (b.type) {
    case 'cards':
      return {
        type: 'cards',
        cards: list(b.cards, LIMITS.items).map((c) => {
          const card = record(c);
          return { label: textOf(card.label), value: normalizeCell(card.value) };
        }),
      };
    case 'table':
      return {
        type: 'table',
        columns: list(b.columns, LIMITS.items).map((c) =>
          typeof c === 'object' && c !== null
            ? { label: textOf(record(c).label), numeric: record(c).numeric === true }
            : { label: textOf(c), numeric: false },
        ),
        rows: list(b.rows, LIMITS.rows).map((row) => list(row, LIMITS.items).map(normalizeCell)),
        empty: b.empty === undefined ? 'Nothing.' : textOf(b.empty),
      };
    case 'facts':
      return {
        type: 'facts',
        facts: list(b.facts, LIMITS.items).map((f) => {
          const [label, value] = list(f, 2);
          return [textOf(label), normalizeCell(value)];
        }),
      };
    case 'chart':
      return {
        type: 'chart',
        series: list(b.series, 10).map((s) => {
          const series = record(s);
          return {
            label: textOf(series.label),
            values: list(series.values, LIMITS.points).map((v) =>
              typeof v === 'number' && Number.isFinite(v) ? v : 0,
            ),
          };
        }),
        from: b.from === undefined ? '' : textOf(b.from),
        to: b.to === undefined ? '' : textOf(b.to),
        unit: b.unit === undefined ? '' : textOf(b.unit),
      };
    case 'text':
      return { type: 'text', text: textOf(b.text, LIMITS.text), tone: tone(b.tone) };
    case 'code':
      return { type: 'code', text: textOf(b.text, LIMITS.code) };
    case 'actions':
      return { type: 'actions', actions: actions(b.actions) };
    default:
      return { type: 'text', text: `[Unknown block type ${textOf(b.type, 40)}]`, tone: 'bad' };
  }
}

/** A cell in its one shape: `{ text, … }`. */
export function normalizeCell(value: unknown): NormalCell {
  if (typeof value !== 'object' || value === null) {
    return { text: value == null ? '' : textOf(value, LIMITS.text) };
  }
  try {
    const c = record(value);
    const cell: NormalCell = { text: c.text == null ? '' : textOf(c.text, LIMITS.text) };
    const link = Array.isArray(c.link) ? segments(c.link) : undefined;
    if (link !== undefined) cell.link = link;
    if (c.pid != null) cell.pid = textOf(c.pid, 100);
    if (TONES.has(c.tone as string)) cell.tone = c.tone as ViewTone;
    if (c.title != null) cell.title = textOf(c.title, LIMITS.text);
    if (c.actions !== undefined) cell.actions = actions(c.actions);
    return cell;
  } catch {
    return { text: '[Unreadable]' };
  }
}

function actions(value: unknown): NormalAction[] {
  const out: NormalAction[] = [];
  for (const a of list(value, 20)) {
    const action = record(a);
    const post = segments(action.post);
    if (post === undefined || post.length === 0) continue;
    let body: Record<string, unknown> = {};
    try {
      // The body goes back to the server as JSON: keep it only if it is JSON.
      const text = JSON.stringify(action.body ?? {});
      if (text.length <= 8192) body = record(JSON.parse(text));
    } catch {
      body = {};
    }
    out.push({ label: textOf(action.label, 60), post, body, danger: action.danger === true });
  }
  return out;
}

/**
 * Path segments as text; undefined when one is empty, `.` or `..` (a browser would resolve
 * those, and a link or an action could then leave its view).
 */
function segments(value: unknown): string[] | undefined {
  const out = list(value, 20).map((s) => textOf(s, 500));
  return out.some((s) => s === '' || s === '.' || s === '..') ? undefined : out;
}

function tone(value: unknown): ViewTone | undefined {
  return TONES.has(value as string) ? (value as ViewTone) : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown, max: number): unknown[] {
  return Array.isArray(value) ? value.slice(0, max) : [];
}
