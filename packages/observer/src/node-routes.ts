/**
 * The node view's endpoints: every node of a system of nodes, with its totals, and a
 * worker node's process table, tree and process pages, read through its service
 * (`NodeClient`). This node is read here, as the rest of the API reads it.
 */
import type { ServerResponse } from 'node:http';
import { badRequest, HttpError, notFound } from './errors.js';
import { sendJson } from './http.js';
import type { NodeClient } from './node-client.js';
import { parseTableQuery } from './process-table.js';
import type { Sampler } from './sampler.js';

/** What the node routes work with. */
export interface NodeRouteContext {
  node: number;
  sampler: Sampler;
  /** Undefined when the observer was given no `nodes`: then only this node is listed. */
  client: NodeClient | undefined;
}

/** What one node's totals are, in `GET /api/nodes`: its `totals`, or why they are missing. */
export interface NodeSummary {
  node: number;
  /** True for the node the observer runs on. */
  self: boolean;
  totals: unknown;
  error?: string;
}

const NODE = /^\d{1,9}$/;
const PID_NODE = /^(?:#PID)?<?(\d{1,9})\.\d{1,12}\.\d{1,9}>?$/i;

/**
 * Serves `GET /api/nodes` (every node and its totals), `GET /api/nodes/:node` (one node's
 * totals), `GET /api/nodes/:node/processes?…` (its process table, as `/api/processes`)
 * and `GET /api/nodes/:node/tree`.
 */
export async function serveNodes(
  ctx: NodeRouteContext,
  res: ServerResponse,
  url: URL,
  segments: readonly string[],
): Promise<void> {
  const [text, what, ...rest] = segments;
  if (text === undefined) {
    sendJson(res, 200, {
      node: ctx.node,
      distributed: ctx.client !== undefined,
      nodes: await summaries(ctx),
    });
    return;
  }
  const node = parseNode(ctx, text);
  if (rest.length > 0 || (what !== undefined && what !== 'processes' && what !== 'tree')) {
    throw notFound(
      'unknown_route',
      `No endpoint at ${url.pathname}; a node has /api/nodes/:node, /processes and /tree.`,
    );
  }
  if (what === 'processes') {
    const query = parseTableQuery(url.searchParams);
    if (node === ctx.node) {
      const { rows, total, at } = await ctx.sampler.query(query);
      sendJson(res, 200, { node, at, total, rows });
    } else {
      sendJson(res, 200, await client(ctx).ask(node, { type: 'processes', query }));
    }
    return;
  }
  if (what === 'tree') {
    const answer =
      node === ctx.node
        ? { node, tree: await ctx.sampler.readTree() }
        : await client(ctx).ask(node, { type: 'tree' });
    sendJson(res, 200, answer);
    return;
  }
  const totals =
    node === ctx.node
      ? (await ctx.sampler.current()).totals
      : ((await client(ctx).ask(node, { type: 'totals' })).totals ?? null);
  sendJson(res, 200, { node, self: node === ctx.node, totals });
}

/**
 * The node a PID text names, when it is another node of the system (its process is read
 * through that node's service); undefined for this node's PIDs, names and malformed text.
 */
export function remoteNodeOf(ctx: NodeRouteContext, text: string): number | undefined {
  if (ctx.client === undefined) return undefined;
  const match = PID_NODE.exec(text);
  if (match === null) return undefined;
  const node = Number(match[1]);
  return node === ctx.node ? undefined : node;
}

/** The client, or a 404 when the observer has no `nodes` (only this node exists for it). */
export function client(ctx: NodeRouteContext): NodeClient {
  if (ctx.client === undefined) {
    throw notFound(
      'unknown_node',
      `This observer shows node ${ctx.node} only: start it with { nodes } (the Nodes of startNodes) to see the others.`,
    );
  }
  return ctx.client;
}

function parseNode(ctx: NodeRouteContext, text: string): number {
  if (!NODE.test(text)) {
    throw badRequest(
      'malformed_node',
      `Expected a node number like 1, got ${JSON.stringify(text.slice(0, 80))}.`,
    );
  }
  const node = Number(text);
  if (node !== ctx.node) client(ctx);
  return node;
}

async function summaries(ctx: NodeRouteContext): Promise<NodeSummary[]> {
  const nodes = ctx.client?.list() ?? [ctx.node];
  return Promise.all(nodes.map((node) => summary(ctx, node)));
}

async function summary(ctx: NodeRouteContext, node: number): Promise<NodeSummary> {
  const self = node === ctx.node;
  if (self) return { node, self, totals: (await ctx.sampler.current()).totals };
  try {
    const answer = await client(ctx).ask(node, { type: 'totals' });
    return { node, self, totals: answer.totals ?? null };
  } catch (error) {
    // One node that cannot be read (it went down meanwhile) leaves the others listed.
    return { node, self, totals: null, error: HttpError.is(error) ? error.message : 'unreadable' };
  }
}
