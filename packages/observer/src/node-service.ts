/**
 * The observer's agent on another node: a small GenServer that an observer on the main
 * thread starts on each worker node it is asked about (`nodes.spawn(node, module,
 * 'startNodeService', …)`), and that answers `GenServer.call` requests with what the
 * observer shows of its own node: the totals, the process table, one process's page, the
 * supervision tree, and tracing. It reads its node with the observer's own sampler, in
 * the same slices, so it costs the node what an observer there would: a request for the
 * totals counts as a dashboard watching (a walk every `sampleInterval` at 2% of the
 * loop, until no such request came for `idleAfter` ms), and nothing while nobody asks.
 *
 * Replies cross as JSON text, whatever a process holds: the main thread parses them and
 * serves them as data, never as markup. A request the service refuses (a PID of no live
 * process) is a reply `{ error: { status, code, message } }`, never a crash of the service.
 *
 * It is an internal part of the node view: start it through `startObserver(runtime, {
 * nodes })`, not by hand.
 */
import { defaultRuntime, type Pid, type ReceiveContext, type Runtime } from '@actorkit/core';
import { type Call, type From, GenServer, ok, reply } from '@actorkit/genserver';
import { HttpError } from './errors.js';
import { inspectProcess } from './inspect.js';
import type { TableQuery } from './process-table.js';
import { ROWS, Sampler } from './sampler.js';
import { errorText } from './serialize.js';
import { findProcess } from './target.js';
import { Tracer } from './tracer.js';

/** How the service reads its node: the observer's own settings. */
export interface NodeServiceOptions {
  sampleInterval: number;
  historySize: number;
  idleAfter: number;
  traceLimit: number;
}

/** What the observer asks a node for. Each reply is JSON text. */
export type NodeServiceCall =
  | Call<'totals', string>
  | Call<'processes', string, { query: TableQuery }>
  | Call<'process', string, { pid: string; withState: boolean }>
  | Call<'tree', string>
  | Call<'trace', string, { pid: string; on: boolean | undefined; limit: number }>;

interface ServiceState {
  runtime: Runtime;
  sampler: Sampler;
  tracer: Tracer;
  idleAfter: number;
  interval: number;
  /** Set while a dashboard polls the totals: ends the watch `idleAfter` ms after the last. */
  watch: NodeJS.Timeout | undefined;
}

/** The service: one per observed worker node. */
export class ObserverNodeService extends GenServer<ServiceState, NodeServiceCall> {
  init(options: NodeServiceOptions) {
    const runtime = defaultRuntime();
    const tracer = new Tracer(runtime, options.traceLimit);
    const sampler = new Sampler(runtime, {
      interval: options.sampleInterval,
      historySize: options.historySize,
      idleAfter: options.idleAfter,
      registries: [],
      onSleep: () => tracer.stopAll(),
    });
    const { idleAfter, sampleInterval: interval } = options;
    const state: ServiceState = { runtime, sampler, tracer, idleAfter, interval, watch: undefined };
    // However the service ends (a kill from a dashboard skips terminate), nothing of it runs on.
    runtime.watch(this.self, () => stopReading(state));
    return ok(state);
  }

  override async handleCall(request: NodeServiceCall, _from: From, state: ServiceState) {
    state.sampler.touch();
    try {
      return reply(JSON.stringify(await answer(request, state)), state);
    } catch (error) {
      return reply(JSON.stringify({ error: refusal(error) }), state);
    }
  }
}

async function answer(request: NodeServiceCall, state: ServiceState): Promise<unknown> {
  const { runtime, sampler, tracer } = state;
  switch (request.type) {
    case 'totals':
      watch(state);
      return { node: runtime.node, totals: (sampler.last() ?? (await sampler.current())).totals };
    case 'processes': {
      // The dashboard's first view is the busiest processes: a recent walk has them.
      const last = sampler.last();
      if (last !== undefined && isBusiest(request.query) && fresh(last.totals.at, state)) {
        const { walkedAt: at, processes: total } = last.totals;
        return { node: runtime.node, at, total, rows: last.rows.slice(0, request.query.limit) };
      }
      return { node: runtime.node, ...(await sampler.query(request.query)) };
    }
    case 'process': {
      const pid = findProcess(runtime, request.pid);
      return inspectProcess(runtime, pid, sampler, tracer, request.withState);
    }
    case 'tree':
      return { node: runtime.node, tree: await sampler.readTree() };
    case 'trace': {
      const pid = findProcess(runtime, request.pid);
      if (request.on === true) tracer.start(pid, request.limit);
      else if (request.on === false) tracer.stop(pid);
      return {
        pid: String(pid),
        tracing: tracer.isTracing(pid),
        limit: request.limit,
        messages: tracer.messages(pid) ?? [],
      };
    }
    default:
      throw new HttpError(
        400,
        'unknown_request',
        'The node service got a request it does not know.',
      );
  }
}

function stopReading(state: ServiceState): void {
  clearTimeout(state.watch);
  state.watch = undefined;
  state.sampler.sleep();
  state.tracer.stopAll();
}

/** Keeps the sampler walking in the background while the totals are polled. */
function watch(state: ServiceState): void {
  if (state.watch === undefined) state.sampler.acquire();
  else clearTimeout(state.watch);
  state.watch = setTimeout(() => {
    state.watch = undefined;
    state.sampler.release();
  }, state.idleAfter);
  state.watch.unref();
}

/** The dashboard's default table: busiest first, no filter, at most the rows a sample keeps. */
function isBusiest(query: TableQuery): boolean {
  const { sort, order, filter, behaviour, limit } = query;
  return (
    sort === 'mailbox' &&
    order === 'desc' &&
    filter === '' &&
    behaviour === undefined &&
    limit <= ROWS
  );
}

function fresh(at: number, state: ServiceState): boolean {
  return Date.now() - at < 2 * state.interval;
}

function refusal(error: unknown): { status: number; code: string; message: string } {
  if (HttpError.is(error))
    return { status: error.status, code: error.code, message: error.message };
  return { status: 500, code: 'node_failed', message: errorText(error) };
}

/**
 * Starts the service on this node (unlinked: it outlives the process that started it) and
 * sends `{ nodeService: pid }` to `reportTo`, or `{ nodeServiceError: text }` if it could not
 * start. The export `nodes.spawn` runs on a worker node.
 */
export async function startNodeService(
  ctx: ReceiveContext<unknown>,
  reportTo: Pid<any>,
  options: NodeServiceOptions,
): Promise<void> {
  try {
    const server = await GenServer.start(ObserverNodeService, options, {
      runtime: defaultRuntime(),
    });
    ctx.send(reportTo, { nodeService: server });
  } catch (error) {
    ctx.send(reportTo, { nodeServiceError: errorText(error) });
  }
}

/** This module's location, for `nodes.spawn`: its `.ts` source or its built `.js`. */
export const NODE_SERVICE_MODULE = new URL(
  `./node-service${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);
