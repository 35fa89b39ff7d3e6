import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Runtime } from '@actorkit/core';
import { type ApiContext, publicSample, route } from './api.js';
import { presentedToken } from './auth.js';
import { badRequest, HttpError, ObserverOptionsError } from './errors.js';
import { sendError } from './http.js';
import { NodeClient } from './node-client.js';
import { isLoopback, type ObserverOptions, resolveOptions } from './options.js';
import { Sampler } from './sampler.js';
import { SseHub } from './sse.js';
import { Tracer } from './tracer.js';

/** A running observer: where to find it, and how to stop it. */
export interface Observer {
  /** The base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /**
   * The dashboard URL with the token, to open in a browser (`/?token=…`): the page
   * trades it for an HttpOnly session cookie and drops it from the address bar.
   */
  readonly dashboardUrl: string;
  readonly host: string;
  readonly port: number;
  /** The token every read and action needs (the one passed, or a random one). */
  readonly token: string;
  /**
   * True while the observer listens (supervisor reports, event-loop delay, traces): a
   * dashboard is open, or an API request came in within `idleAfter` ms. It samples only
   * while a dashboard is open.
   */
  readonly active: boolean;
  /** Stops serving, closes every connection, and drops every listener and trace. */
  close(): Promise<void>;
}

/**
 * Serves a live dashboard of `runtime` from this Node process, like Erlang's
 * `:observer.start()` but over HTTP: the supervision tree, the process table, a
 * process's state (through `formatStatus`) and traced messages, node totals with
 * charts, and actions (kill a process, restart a supervisor's child).
 *
 * It reads only through core's public introspection (`processes`, `processInfo`,
 * `events`) and genserver's `whichChildren`/`getStatus`, and only while a dashboard is
 * connected or shortly after an API request: otherwise it holds no listener and no
 * timer, and the runtime pays nothing. It binds to 127.0.0.1 by default; another host
 * needs a `token`. Every read and every action needs the token, whatever the host (a
 * state holds what the node holds: keys, passwords, personal data); only the bare page
 * shell is served without it.
 *
 * Attached to the main thread's runtime of a system of nodes (`startNodes` of
 * `@actorkit/nodes`), with `{ nodes }`, it shows every node: a node picker, each node's
 * totals, and a worker node's process table, tree and process pages.
 *
 * Other packages add views (a dashboard tab and JSON routes under `/api/views/<id>/`)
 * through `options.views`, such as `jobsView(store)` of `@actorkit/jobs`: see
 * `ObserverView`. Their routes are behind the same token and action checks.
 *
 * @example
 * const observer = await startObserver(runtime, { port: 4000 });
 * console.log(`observer at ${observer.dashboardUrl}`);
 * // …
 * await observer.close();
 *
 * ## When not to use it
 * It shows one node from inside it; it is not a metrics pipeline. Export
 * `runtime.events` to your telemetry system for long-term graphs and alerts.
 */
export async function startObserver(
  runtime: Runtime,
  options: ObserverOptions = {},
): Promise<Observer> {
  if (!(runtime instanceof Runtime)) {
    throw new ObserverOptionsError(
      `Expected \`runtime\` to be an actorkit Runtime, got ${describe(runtime)}.`,
    );
  }
  const resolved = resolveOptions(options);
  const hub = new SseHub({
    maxStreams: resolved.maxStreams,
    stallTimeout: resolved.streamStallTimeout,
  });
  const tracer = new Tracer(runtime, resolved.traceLimit);
  // Asleep means nothing left running: traces are dropped with the last client.
  const sampler = new Sampler(runtime, {
    interval: resolved.sampleInterval,
    historySize: resolved.historySize,
    idleAfter: resolved.idleAfter,
    registries: resolved.registries,
    onSleep: () => tracer.stopAll(),
  });
  sampler.subscribe((event) => {
    if (event.type === 'sample') hub.broadcast('sample', publicSample(event.sample));
    else hub.broadcast('tree', event.tree);
  });
  // The other nodes are read through services started on them when first asked about.
  const nodeClient =
    resolved.nodes === undefined
      ? undefined
      : new NodeClient(runtime, resolved.nodes, {
          sampleInterval: resolved.sampleInterval,
          historySize: resolved.historySize,
          idleAfter: resolved.idleAfter,
          traceLimit: resolved.traceLimit,
        });
  const ctx: ApiContext = { runtime, options: resolved, sampler, tracer, hub, port: 0, nodeClient };
  const server = createServer((req, res) => {
    handle(ctx, req, res).catch((error: unknown) => sendError(res, error));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const port = await listen(server, resolved.port, resolved.host);
  ctx.port = port;
  const urlHost =
    resolved.host.includes(':') && !resolved.host.startsWith('[')
      ? `[${resolved.host}]`
      : resolved.host;
  const url = `http://${urlHost}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    dashboardUrl: `${url}/?token=${encodeURIComponent(resolved.token)}`,
    host: resolved.host,
    port,
    token: resolved.token,
    get active() {
      return sampler.awake;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        sampler.sleep();
        tracer.stopAll();
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => nodeClient?.close());
      return closing;
    },
  };
}

async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://observer.invalid');
    checkHost(ctx, req);
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeSegment);
    const token = presentedToken(req, url, ctx.port);
    await route(ctx, { req, res, url, segments, token });
  } catch (error) {
    sendError(res, error);
  }
}

/**
 * On a loopback address, only loopback `Host` headers are answered: a web page cannot
 * reach the observer through a DNS name rebound to 127.0.0.1.
 */
function checkHost(ctx: ApiContext, req: IncomingMessage): void {
  if (!ctx.options.loopback) return;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (host !== '' && !isLoopback(host)) {
    throw new HttpError(
      403,
      'bad_host',
      `This observer answers loopback hosts only, got Host: ${JSON.stringify(host.slice(0, 100))}.`,
    );
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(
      'malformed_url',
      `The path segment ${JSON.stringify(segment.slice(0, 80))} is not valid URL encoding.`,
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new ObserverOptionsError(`Could not listen on ${host}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'an object';
}
