import type { Pid, ProcessInfo, Runtime } from '@actorkit/core';
import { type Behaviour, behaviourOf } from './behaviour.js';
import { badRequest } from './errors.js';

/** One row of the process table, as the API and the dashboard show it. */
export interface ProcessRow {
  pid: string;
  name: string | null;
  behaviour: Behaviour;
  /** The initial call: a GenServer's module name, a task's function, … */
  module: string;
  status: string;
  mailbox: number;
  handled: number;
  /** Messages handled per second over the last sample, or null before a second sample. */
  rate: number | null;
  links: number;
  monitors: number;
  parent: string;
  /** Ms since the process started (or since the observer first saw it, when `uptimeExact` is false). */
  uptimeMs: number | null;
  uptimeExact: boolean;
}

/** When each process was first seen, and whether that is its real start (a `spawn` event). */
export interface Births {
  get(pid: Pid<any>): { at: number; exact: boolean } | undefined;
}

/** Reads every live process once; `rates` maps PID text to messages/s. */
export function readProcesses(
  runtime: Runtime,
  supervisors: ReadonlySet<string>,
  rates: ReadonlyMap<string, number>,
  births: Births,
  now = Date.now(),
): { rows: ProcessRow[]; infos: ProcessInfo[] } {
  const rows: ProcessRow[] = [];
  const infos: ProcessInfo[] = [];
  for (const pid of runtime.processes()) {
    const info = runtime.processInfo(pid);
    if (info === undefined) continue;
    infos.push(info);
    rows.push(toRow(info, supervisors, rates, births.get(pid), now));
  }
  return { rows, infos };
}

/** The table row for one process. */
export function toRow(
  info: ProcessInfo,
  _supervisors: ReadonlySet<string>,
  rates: ReadonlyMap<string, number>,
  birth: { at: number; exact: boolean } | undefined,
  now = Date.now(),
): ProcessRow {
  const pid = String(info.pid);
  return {
    pid,
    name: info.registeredName === undefined ? null : String(info.registeredName),
    behaviour: behaviourOf(info),
    module: info.initialCall,
    status: info.status,
    mailbox: info.mailboxLength,
    handled: info.messagesHandled,
    rate: rates.get(pid) ?? null,
    links: info.links.length,
    monitors: info.monitors.length + info.monitoredBy.length,
    parent: String(info.parent),
    uptimeMs: birth === undefined ? null : now - birth.at,
    uptimeExact: birth?.exact ?? false,
  };
}

const SORT_KEYS = [
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
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 10_000) {
    throw badRequest(
      'bad_limit',
      `Expected \`limit\` to be an integer from 1 to 10000, got ${JSON.stringify(limitText)}.`,
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

/** Filters, sorts and cuts `rows` by `query`. */
export function queryTable(rows: ProcessRow[], query: TableQuery): ProcessRow[] {
  const { filter, behaviour } = query;
  const kept = rows.filter(
    (row) =>
      (behaviour === undefined || row.behaviour === behaviour) &&
      (filter === '' ||
        `${row.pid} ${row.name ?? ''} ${row.module} ${row.behaviour} ${row.status}`
          .toLowerCase()
          .includes(filter)),
  );
  const sign = query.order === 'asc' ? 1 : -1;
  const key = sortValue(query.sort);
  kept.sort((a, b) => sign * compare(key(a), key(b)) || comparePidText(a.pid, b.pid));
  return kept.slice(0, query.limit);
}

function sortValue(sort: SortKey): (row: ProcessRow) => string | number {
  switch (sort) {
    case 'pid':
      return (row) => pidNumber(row.pid);
    case 'uptime':
      return (row) => row.uptimeMs ?? -1;
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

function pidNumber(text: string): number {
  return Number(/\.(\d+)\./.exec(text)?.[1] ?? 0);
}

function comparePidText(a: string, b: string): number {
  return pidNumber(a) - pidNumber(b);
}
