import type { ProcessInfo, Registry } from '@actorkit/core';
import { type Behaviour, behaviourOf } from './behaviour.js';
import { badRequest } from './errors.js';
import { textOf } from './serialize.js';

/** One row of the process table, as the API and the dashboard show it. */
export interface ProcessRow {
  pid: string;
  /**
   * The process's name: its registered name, else its key in one of the observer's
   * `registries` (`{ via: registry, key }`), else null.
   */
  name: string | null;
  behaviour: Behaviour;
  /** The initial call: a GenServer's module name, a task's function, `StateMachine(id)`… */
  module: string;
  status: string;
  mailbox: number;
  handled: number;
  /** Messages handled per second between the observer's last two looks, or null before a second. */
  rate: number | null;
  links: number;
  monitors: number;
  parent: string;
  /** Ms since the process was spawned (`processInfo().startedAt`, on the runtime's clock). */
  uptimeMs: number;
}

/** What naming a process takes: the registries whose keys are names. */
export type Registries = readonly Registry<any, any, any>[];

/**
 * Every name of a process, registered name first, then its keys in `registries`, as
 * text; never throws.
 */
export function namesOf(info: ProcessInfo, registries: Registries): string[] {
  const names: string[] = [];
  if (info.registeredName !== undefined) names.push(textOf(info.registeredName));
  for (const registry of registries) {
    try {
      for (const key of registry.keysOf(info.pid)) names.push(textOf(key));
    } catch {
      // A registry that cannot be read names nobody.
    }
  }
  return names;
}

/** The table row for one process; `now` is the runtime clock's time. */
export function toRow(
  info: ProcessInfo,
  rate: number | null,
  names: readonly string[],
  now: number,
): ProcessRow {
  return {
    pid: String(info.pid),
    name: names[0] ?? null,
    behaviour: behaviourOf(info),
    module: info.initialCall,
    status: info.status,
    mailbox: info.mailboxLength,
    handled: info.messagesHandled,
    rate,
    links: info.links.length,
    monitors: info.monitors.length + info.monitoredBy.length,
    parent: String(info.parent),
    uptimeMs: Math.max(0, now - info.startedAt),
  };
}

/**
 * What a filter is matched against, lower-cased: the PID, every name, the module, the
 * behaviour and the status.
 */
export function searchText(row: ProcessRow, names: readonly string[]): string {
  return `${row.pid} ${names.join(' ')} ${row.module} ${row.behaviour} ${row.status}`.toLowerCase();
}

/**
 * The order of the dashboard's live table: longest mailbox first, then most messages per
 * second, then most handled, then oldest PID.
 */
export function busiest(a: ProcessRow, b: ProcessRow): number {
  return (
    b.mailbox - a.mailbox ||
    (b.rate ?? -1) - (a.rate ?? -1) ||
    b.handled - a.handled ||
    comparePidText(a.pid, b.pid)
  );
}

/** True when a process with these numbers ranks before `row` in {@link busiest} order. */
export function busierThan(
  mailbox: number,
  rate: number | null,
  handled: number,
  row: ProcessRow,
): boolean {
  if (mailbox !== row.mailbox) return mailbox > row.mailbox;
  if ((rate ?? -1) !== (row.rate ?? -1)) return (rate ?? -1) > (row.rate ?? -1);
  return handled > row.handled;
}

const SORT_KEYS = [
  'busiest',
  'pid',
  'name',
  'behaviour',
  'module',
  'status',
  'mailbox',
  'handled',
  'rate',
  'links',
  'monitors',
  'uptime',
] as const;
type SortKey = (typeof SORT_KEYS)[number];

/**
 * The most rows one answer carries: writing them as JSON is one step that cannot be
 * sliced (2,000 rows take about 2 ms). Narrow with `filter` and `behaviour` for more.
 */
export const MAX_LIMIT = 2000;

/** What `GET /api/processes` accepts. */
export interface TableQuery {
  sort: SortKey;
  order: 'asc' | 'desc';
  filter: string;
  behaviour: Behaviour | undefined;
  limit: number;
}

const BEHAVIOURS: Behaviour[] = [
  'supervisor',
  'dynamic_supervisor',
  'gen_server',
  'state_machine',
  'task',
  'process',
  'handler',
];

/** Parses and validates the table's query string; throws a 400 `HttpError` naming the bad parameter. */
export function parseTableQuery(params: URLSearchParams): TableQuery {
  const sort = params.get('sort') ?? 'mailbox';
  if (!(SORT_KEYS as readonly string[]).includes(sort)) {
    throw badRequest(
      'bad_sort',
      `Expected \`sort\` to be one of ${SORT_KEYS.join(', ')}, got ${JSON.stringify(sort)}.`,
    );
  }
  const order =
    params.get('order') ??
    (['pid', 'name', 'module', 'behaviour', 'status'].includes(sort) ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc') {
    throw badRequest(
      'bad_order',
      `Expected \`order\` to be asc or desc, got ${JSON.stringify(order)}.`,
    );
  }
  const behaviour = params.get('behaviour') ?? undefined;
  if (behaviour !== undefined && !(BEHAVIOURS as string[]).includes(behaviour)) {
    throw badRequest(
      'bad_behaviour',
      `Expected \`behaviour\` to be one of ${BEHAVIOURS.join(', ')}, got ${JSON.stringify(behaviour)}.`,
    );
  }
  const limitText = params.get('limit') ?? '500';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(
      'bad_limit',
      `Expected \`limit\` to be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limitText)}.`,
    );
  }
  return {
    sort: sort as SortKey,
    order,
    filter: (params.get('filter') ?? '').trim().toLowerCase(),
    behaviour: behaviour as Behaviour | undefined,
    limit,
  };
}

/** The order `query` asks for, ties broken by PID. */
export function rowOrder(query: TableQuery): (a: ProcessRow, b: ProcessRow) => number {
  if (query.sort === 'busiest') {
    return query.order === 'desc' ? busiest : (a, b) => busiest(b, a);
  }
  const sign = query.order === 'asc' ? 1 : -1;
  const key = sortValue(query.sort);
  return (a, b) => sign * compare(key(a), key(b)) || comparePidText(a.pid, b.pid);
}

function sortValue(sort: Exclude<SortKey, 'busiest'>): (row: ProcessRow) => string | number {
  switch (sort) {
    case 'pid':
      return (row) => pidNumber(row.pid);
    case 'uptime':
      return (row) => row.uptimeMs;
    case 'rate':
      return (row) => row.rate ?? -1;
    case 'name':
      return (row) => row.name ?? '\uffff';
    default:
      return (row) => row[sort];
  }
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** The id in `#PID<node.id.serial>`. */
function pidNumber(text: string): number {
  const first = text.indexOf('.');
  const second = text.indexOf('.', first + 1);
  return first < 0 || second < 0 ? 0 : Number(text.slice(first + 1, second));
}

function comparePidText(a: string, b: string): number {
  return pidNumber(a) - pidNumber(b);
}
