import type { Pid, Runtime } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { SYSTEM_BEHAVIOURS } from './behaviour.js';
import { notFound } from './errors.js';
import type { ProcessRow } from './process-table.js';
import type { Sampler } from './sampler.js';
import { errorText, toJsonSafe } from './serialize.js';
import type { TracedMessage, Tracer } from './tracer.js';

/**
 * A process's state as `getStatus` shows it (through the module's `formatStatus`).
 * `module` is the process's initial call, as the table and tree show it
 * (`StateMachine(breaker)`, not the server class behind it).
 */
export type StateView =
  | { available: true; module: string; value: unknown }
  | { available: false; reason: string };

/** Everything the process page shows. */
export interface ProcessDetails extends ProcessRow {
  kind: 'body' | 'handler';
  links: number;
  linked: string[];
  monitoring: string[];
  monitoredBy: string[];
  trapExit: boolean;
  pendingTimers: number;
  mailboxDropped: number;
  state: StateView;
  tracing: boolean;
  messages: TracedMessage[];
}

/** Reads one process for its page; a 404 `HttpError` if it exited meanwhile. */
export async function inspectProcess(
  runtime: Runtime,
  pid: Pid<any>,
  sampler: Sampler,
  tracer: Tracer,
  withState: boolean,
): Promise<ProcessDetails> {
  const first = runtime.processInfo(pid);
  if (first === undefined) throw notFound('unknown_pid', `No live process ${pid}: it has exited.`);
  const row = sampler.row(first);
  const state = withState
    ? await readState(runtime, pid, row)
    : { available: false as const, reason: 'not requested' };
  const info = runtime.processInfo(pid);
  if (info === undefined) throw notFound('unknown_pid', `${pid} exited while it was being read.`);
  return {
    ...row,
    kind: info.kind,
    linked: info.links.map(String),
    monitoring: info.monitors.map(String),
    monitoredBy: info.monitoredBy.map(String),
    trapExit: info.trapExit,
    pendingTimers: info.pendingTimers,
    mailboxDropped: info.mailboxDropped,
    state,
    tracing: tracer.isTracing(pid),
    messages: tracer.messages(pid) ?? [],
  };
}

/**
 * Asks a GenServer-based process for its status. Other processes are never sent a
 * message: their mailbox is theirs. A busy server that does not answer in time is
 * reported, not waited for.
 */
async function readState(runtime: Runtime, pid: Pid<any>, row: ProcessRow): Promise<StateView> {
  if (!SYSTEM_BEHAVIOURS.has(row.behaviour)) {
    return {
      available: false,
      reason: `a ${row.behaviour} process has no getStatus; only GenServer-based processes show their state.`,
    };
  }
  try {
    const status = await GenServer.getStatus(pid, { timeout: 1000, runtime });
    return { available: true, module: row.module, value: toJsonSafe(status.state) };
  } catch (error) {
    return { available: false, reason: errorText(error) };
  }
}
