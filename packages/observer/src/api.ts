import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '@actorkit/core';
import { ChildError, type ChildInfo, Supervisor } from '@actorkit/genserver';
import { authorize, type PresentedToken, sessionCookie, tokenMatches } from './auth.js';
import { behaviourOf } from './behaviour.js';
import { dashboardHtml } from './dashboard/page.js';
import { badRequest, HttpError, notFound } from './errors.js';
import { readJsonBody, sendJson } from './http.js';
import { inspectProcess } from './inspect.js';
import type { NodeClient } from './node-client.js';
import { client, type NodeRouteContext, remoteNodeOf, serveNodes } from './node-routes.js';
import type { ResolvedOptions } from './options.js';
import { parseTableQuery } from './process-table.js';
import { childKey } from './restarts.js';
import type { Sample, Sampler } from './sampler.js';
import { textOf } from './serialize.js';
import type { SseHub } from './sse.js';
import { findProcess } from './target.js';
import type { Tracer } from './tracer.js';
import { serveViews } from './view-routes.js';

/** What the routes work with. */
export interface ApiContext {
  runtime: Runtime;
  options: ResolvedOptions;
  sampler: Sampler;
  tracer: Tracer;
  hub: SseHub;
  /** The port the observer listens on (names its session cookie). */
  port: number;
  /** The other nodes' services, when the observer was given `nodes`. */
  nodeClient: NodeClient | undefined;
}

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  segments: string[];
  token: PresentedToken | undefined;
}

/** The endpoints, for `GET /api` and for 404 messages. */
export const ENDPOINTS = [
  'GET /api/node',
  'GET /api/processes?sort=&order=&filter=&behaviour=&limit=',
  'GET /api/processes/:pid',
  'GET /api/processes/:pid/trace',
  'POST /api/processes/:pid/trace {"on": true|false, "limit"?: n}',
  'POST /api/processes/:pid/kill',
  'POST /api/supervisors/:pid/children/:id/restart',
  'GET /api/tree',
  'GET /api/nodes',
  'GET /api/nodes/:node',
  'GET /api/nodes/:node/processes?sort=&order=&filter=&behaviour=&limit=',
  'GET /api/nodes/:node/tree',
  'GET /api/events (Server-Sent Events)',
  'GET /api/views',
  'GET /api/views/:id/page?at=',
  "GET|POST /api/views/:id/… (the view's routes)",
];

/** Routes one request. Throws `HttpError` for anything it refuses. */
export async function route(ctx: ApiContext, r: Request): Promise<void> {
  const method = r.req.method ?? 'GET';
  const [first, second, target, action, ...rest] = r.segments;
  if (first === undefined || first === 'index.html') return page(ctx, r, method);
  if (first !== 'api')
    throw notFound('unknown_route', `No page at ${r.url.pathname}; the dashboard is at /.`);
  // Every read needs the token (actions check it themselves, more strictly).
  if (method === 'GET' || method === 'HEAD') {
    authorize(r.req, r.token, ctx.options.token, 'Reading this observer', false);
  }
  if (second === undefined)
    return only(method, 'GET', () => sendJson(r.res, 200, { endpoints: ENDPOINTS }));
  if (second === 'events' && target === undefined) return only(method, 'GET', () => events(ctx, r));
  if (second === 'views') {
    const viewCtx = { runtime: ctx.runtime, views: ctx.options.views, token: ctx.options.token };
    return serveViews(viewCtx, r, method, r.segments.slice(2));
  }
  ctx.sampler.touch();
  if (second === 'node' && target === undefined) return only(method, 'GET', () => node(ctx, r));
  if (second === 'tree' && target === undefined) return only(method, 'GET', () => tree(ctx, r));
  if (second === 'nodes') {
    return only(method, 'GET', () =>
      serveNodes(nodeContext(ctx), r.res, r.url, r.segments.slice(2)),
    );
  }
  if (second === 'processes') return processes(ctx, r, method, target, action, rest);
  if (second === 'supervisors' && target !== undefined && action === 'children') {
    const [id, verb, ...extra] = rest;
    if (id !== undefined && verb === 'restart' && extra.length === 0) {
      return only(method, 'POST', () => restartChild(ctx, r, target, id));
    }
    throw notFound(
      'unknown_action',
      `Unknown supervisor action ${r.url.pathname}; expected POST /api/supervisors/:pid/children/:id/restart.`,
    );
  }
  throw notFound(
    'unknown_route',
    `No endpoint at ${r.url.pathname}. Endpoints: ${ENDPOINTS.join('; ')}.`,
  );
}

async function only(
  method: string,
  allowed: 'GET' | 'POST',
  handle: () => void | Promise<void>,
): Promise<void> {
  if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) {
    throw new HttpError(405, 'method_not_allowed', `Expected ${allowed} here, got ${method}.`);
  }
  await handle();
}

/**
 * The dashboard shell, the one thing served without the token: it holds no data (the
 * script reads everything through the API). Opened with `?token=…`, it checks the token,
 * sets the session cookie and redirects to the bare URL, so the token leaves the address
 * bar and the history.
 */
function page(ctx: ApiContext, r: Request, method: string): Promise<void> {
  return only(method, 'GET', () => {
    const given = r.url.searchParams.get('token');
    if (given !== null) {
      if (!tokenMatches(given, ctx.options.token)) {
        throw new HttpError(
          403,
          'bad_token',
          "The token in this URL does not match the observer's: open the URL the observer printed (observer.dashboardUrl).",
        );
      }
      r.res.writeHead(303, {
        location: '/',
        'set-cookie': sessionCookie(ctx.options.token, ctx.port),
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      r.res.end();
      return;
    }
    r.res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    r.res.end(dashboardHtml());
  });
}

function events(ctx: ApiContext, r: Request): void {
  if (r.req.method === 'HEAD') {
    r.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    r.res.end();
    return;
  }
  ctx.hub.add(r.res, () => ctx.sampler.release());
  ctx.sampler.acquire();
  ctx.hub.send(r.res, 'hello', {
    node: ctx.runtime.node,
    distributed: ctx.nodeClient !== undefined,
    history: ctx.sampler.history.toArray(),
  });
  const sample = ctx.sampler.last();
  if (sample !== undefined) ctx.hub.send(r.res, 'sample', publicSample(sample));
  // Without a sample yet, the first one goes to every client when it is taken.
  else ctx.sampler.current().catch(() => {});
  const tree = ctx.sampler.lastTree();
  if (tree !== undefined) ctx.hub.send(r.res, 'tree', tree);
  else
    ctx.sampler.readTree().then(
      (t) => ctx.hub.send(r.res, 'tree', t),
      () => {},
    );
}

/** What a `sample` SSE event carries: the node totals and its busiest processes. */
export function publicSample(sample: Sample) {
  return { totals: sample.totals, rows: sample.rows, total: sample.totals.processes };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Registered names listed by `GET /api/node` (the count says how many there are). */
const NAMES_LISTED = 1000;

async function node(ctx: ApiContext, r: Request): Promise<void> {
  const sample = await ctx.sampler.current();
  const names = ctx.runtime.registered();
  sendJson(r.res, 200, {
    node: ctx.runtime.node,
    running: ctx.runtime.running,
    totals: sample.totals,
    history: ctx.sampler.history.toArray(),
    stats: ctx.runtime.stats,
    registered: names.slice(0, NAMES_LISTED).map((name) => textOf(name)),
    registeredCount: names.length,
    recentEvents: ctx.sampler.log.recent(),
    // What watching costs: the slices of its walks, by the wall clock.
    observer: { ...ctx.sampler.slices, longestSliceMs: round2(ctx.sampler.slices.longestSliceMs) },
  });
}

async function tree(ctx: ApiContext, r: Request): Promise<void> {
  sendJson(r.res, 200, { node: ctx.runtime.node, tree: await ctx.sampler.readTree() });
}

async function processes(
  ctx: ApiContext,
  r: Request,
  method: string,
  target?: string,
  action?: string,
  rest: string[] = [],
): Promise<void> {
  if (target === undefined) {
    return only(method, 'GET', async () => {
      const query = parseTableQuery(r.url.searchParams);
      const { rows, total, at } = await ctx.sampler.query(query);
      sendJson(r.res, 200, { node: ctx.runtime.node, at, total, rows });
    });
  }
  if (rest.length > 0)
    throw notFound('unknown_action', `Unknown process action ${r.url.pathname}.`);
  const node = remoteNodeOf(nodeContext(ctx), target);
  if (node !== undefined) return remoteProcess(ctx, r, method, node, target, action);
  const pid = findProcess(ctx.runtime, target, ctx.options.registries);
  if (action === undefined) {
    return only(method, 'GET', async () => {
      const withState = r.url.searchParams.get('state') !== '0';
      sendJson(
        r.res,
        200,
        await inspectProcess(ctx.runtime, pid, ctx.sampler, ctx.tracer, withState),
      );
    });
  }
  if (action === 'trace') {
    if (method === 'GET' || method === 'HEAD') {
      return sendJson(r.res, 200, {
        pid: String(pid),
        tracing: ctx.tracer.isTracing(pid),
        messages: ctx.tracer.messages(pid) ?? [],
      });
    }
    return only(method, 'POST', () => trace(ctx, r, pid));
  }
  if (action === 'kill') {
    return only(method, 'POST', () => {
      authorize(r.req, r.token, ctx.options.token, 'Killing a process', true);
      ctx.runtime.exit(pid, 'kill');
      sendJson(r.res, 200, { ok: true, pid: String(pid), sent: 'kill' });
    });
  }
  throw notFound(
    'unknown_action',
    `Unknown action ${JSON.stringify(action)} for a process; expected kill or trace.`,
  );
}

function nodeContext(ctx: ApiContext): NodeRouteContext {
  return { node: ctx.runtime.node, sampler: ctx.sampler, client: ctx.nodeClient };
}

/**
 * A process of another node of the system: its page and its trace are read through that
 * node's service; a kill is an exit signal sent across, once the service has found the
 * process alive.
 */
async function remoteProcess(
  ctx: ApiContext,
  r: Request,
  method: string,
  node: number,
  target: string,
  action: string | undefined,
): Promise<void> {
  const nodes = client(nodeContext(ctx));
  if (action === undefined) {
    return only(method, 'GET', async () => {
      const withState = r.url.searchParams.get('state') !== '0';
      sendJson(r.res, 200, await nodes.ask(node, { type: 'process', pid: target, withState }));
    });
  }
  if (action === 'trace') {
    if (method === 'GET' || method === 'HEAD') {
      const limit = ctx.options.traceLimit;
      return sendJson(
        r.res,
        200,
        await nodes.ask(node, { type: 'trace', pid: target, on: undefined, limit }),
      );
    }
    return only(method, 'POST', async () => {
      const { on, limit } = await traceBody(ctx, r);
      const answer = await nodes.ask(node, { type: 'trace', pid: target, on, limit });
      sendJson(r.res, 200, { pid: answer.pid, tracing: answer.tracing, limit });
    });
  }
  if (action === 'kill') {
    return only(method, 'POST', async () => {
      authorize(r.req, r.token, ctx.options.token, 'Killing a process', true);
      // Asked first, so a PID of no live process is a 404 as on this node.
      await nodes.ask(node, { type: 'process', pid: target, withState: false });
      const [, id, serial] = /\.(\d+)\.(\d+)>?$/.exec(target) ?? [];
      const pid = ctx.runtime.parsePid(`<${node}.${id}.${serial}>`);
      ctx.runtime.exit(pid, 'kill');
      sendJson(r.res, 200, { ok: true, pid: String(pid), sent: 'kill' });
    });
  }
  throw notFound(
    'unknown_action',
    `Unknown action ${JSON.stringify(action)} for a process; expected kill or trace.`,
  );
}

async function trace(
  ctx: ApiContext,
  r: Request,
  pid: ReturnType<typeof findProcess>,
): Promise<void> {
  const { on, limit } = await traceBody(ctx, r);
  if (on) ctx.tracer.start(pid, limit);
  else ctx.tracer.stop(pid);
  sendJson(r.res, 200, { pid: String(pid), tracing: ctx.tracer.isTracing(pid), limit });
}

/** Checks a trace switch: the action's token, and a body `{ on, limit? }`. */
async function traceBody(ctx: ApiContext, r: Request): Promise<{ on: boolean; limit: number }> {
  authorize(r.req, r.token, ctx.options.token, 'Switching tracing', true);
  const body = await readJsonBody(r.req);
  if (typeof body.on !== 'boolean') {
    throw badRequest(
      'bad_body',
      `Expected a body like {"on": true} or {"on": false}, got on = ${JSON.stringify(body.on) ?? 'nothing'}.`,
    );
  }
  const limit = body.limit ?? ctx.options.traceLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw badRequest(
      'bad_body',
      `Expected \`limit\` to be an integer from 1 to 10000, got ${JSON.stringify(limit)}.`,
    );
  }
  return { on: body.on, limit };
}

async function restartChild(
  ctx: ApiContext,
  r: Request,
  target: string,
  idText: string,
): Promise<void> {
  authorize(r.req, r.token, ctx.options.token, 'Restarting a child', true);
  const supervisor = findProcess(ctx.runtime, target, ctx.options.registries);
  const info = ctx.runtime.processInfo(supervisor);
  const behaviour = info === undefined ? undefined : behaviourOf(info);
  if (behaviour === 'dynamic_supervisor') {
    throw badRequest(
      'not_restartable',
      `${supervisor} is a DynamicSupervisor: it has no restartChild. Kill the child instead; a permanent or transient child is restarted by its supervisor.`,
    );
  }
  if (behaviour !== 'supervisor') {
    throw badRequest(
      'not_a_supervisor',
      `${supervisor} is a ${behaviour ?? 'exited'} process, not a Supervisor.`,
    );
  }
  const children = await Supervisor.whichChildren(supervisor, {
    timeout: 5000,
    runtime: ctx.runtime,
  });
  const child = children.find((c: ChildInfo) => childKey(c.id) === idText);
  if (child === undefined) {
    throw notFound(
      'unknown_child',
      `${supervisor} has no child with id ${JSON.stringify(idText)}; its children are ${children.map((c) => JSON.stringify(childKey(c.id))).join(', ') || 'none'}.`,
    );
  }
  if (child.restart === 'temporary') {
    throw badRequest(
      'not_restartable',
      `Child ${JSON.stringify(idText)} is temporary: terminating it removes its spec, so it cannot be restarted.`,
    );
  }
  try {
    await Supervisor.terminateChild(supervisor, child.id, {
      timeout: 10_000,
      runtime: ctx.runtime,
    });
    const pid = await Supervisor.restartChild(supervisor, child.id, {
      timeout: 10_000,
      runtime: ctx.runtime,
    });
    ctx.sampler.log.note('restarted_by_observer', String(supervisor), child.id, pid, undefined);
    sendJson(r.res, 200, {
      ok: true,
      supervisor: String(supervisor),
      id: idText,
      previous: child.pid === undefined ? null : String(child.pid),
      pid: pid === undefined ? null : String(pid),
    });
  } catch (error) {
    if (error instanceof ChildError) throw new HttpError(409, 'child_error', error.message);
    throw error;
  }
}
