import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultOptions } from './faults.js';

/** A parsed JSON request, as a service's handler sees it. */
export interface JsonRequest {
  method: string;
  /** The path without the query string, e.g. `/users/42`. */
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

/** What a handler answers: a status and a JSON body. */
export interface JsonReply {
  status: number;
  body: unknown;
}

/** Counters a test or the demo reads to see what the service went through. */
export interface ServiceStats {
  requests: number;
  ok: number;
  /** Requests answered with an injected HTTP 500. */
  errors: number;
  /** Requests whose connection was dropped on purpose. */
  drops: number;
  /** Requests being handled right now (latency included). */
  inFlight: number;
  /** The most requests ever in flight at once. */
  maxInFlight: number;
}

/** Options shared by every local service. */
export interface ServiceOptions extends FaultOptions {
  /** The port to bind on 127.0.0.1. @default 0 (an ephemeral port) */
  port?: number;
}

/** A running local service. */
export interface RunningService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly stats: ServiceStats;
  /** Changes latency and failure rates while running. */
  configure(faults: FaultOptions): void;
  /** Stops listening, drops open connections and pending answers; resolves once closed. */
  close(): Promise<void>;
}

/** Routes a request: a reply, or undefined for 404. `faultKey` says which requests are "the same" for failure draws. */
export interface ServiceDefinition {
  name: string;
  handle(request: JsonRequest): JsonReply | undefined | Promise<JsonReply | undefined>;
  /** @default `${method} ${path}` */
  faultKey?(request: JsonRequest): string;
}

/**
 * Starts `definition` as a JSON HTTP server on 127.0.0.1 that is slow and fails as
 * `options` says. Every answer waits its drawn latency; a dropped request has its
 * socket destroyed after the latency, as a crashed upstream would.
 */
export async function startService(
  definition: ServiceDefinition,
  options: ServiceOptions = {},
): Promise<RunningService> {
  const faults = new FaultInjector(options);
  const stats: ServiceStats = {
    requests: 0,
    ok: 0,
    errors: 0,
    drops: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const pending = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    void serve(definition, faults, stats, pending, req, res);
  });
  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    configure: (next) => faults.configure(next),
    close: () => closeServer(server, pending),
  };
}

async function serve(
  definition: ServiceDefinition,
  faults: FaultInjector,
  stats: ServiceStats,
  pending: Set<NodeJS.Timeout>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  stats.requests++;
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  try {
    const request = await parse(req);
    const decision = faults.decide(
      definition.faultKey?.(request) ?? `${request.method} ${request.path}`,
    );
    await delay(decision.delay, pending);
    if (decision.outcome === 'drop') {
      stats.drops++;
      req.socket.destroy();
      return;
    }
    if (decision.outcome === 'error') {
      stats.errors++;
      return send(res, { status: 500, body: { error: `${definition.name}: injected failure` } });
    }
    const reply = (await definition.handle(request)) ?? {
      status: 404,
      body: { error: `no route for ${request.method} ${request.path}` },
    };
    if (reply.status < 300) stats.ok++;
    send(res, reply);
  } catch (error) {
    send(res, {
      status: 400,
      body: { error: error instanceof Error ? error.message : String(error) },
    });
  } finally {
    stats.inFlight--;
  }
}

function send(res: ServerResponse, reply: JsonReply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}

async function parse(req: IncomingMessage): Promise<JsonRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let body: unknown;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('Expected a JSON body.');
    }
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body };
}

function delay(ms: number, pending: Set<NodeJS.Timeout>): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      resolve();
    }, ms);
    pending.add(timer);
  });
}

/** Binds `server` to 127.0.0.1:`port` (0 for an ephemeral port). */
export function listen(server: Server, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes `server` and every connection it holds, and forgets answers still waiting. */
export function closeServer(server: Server, pending = new Set<NodeJS.Timeout>()): Promise<void> {
  for (const timer of pending) clearTimeout(timer);
  pending.clear();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
