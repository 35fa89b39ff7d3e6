import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { closeServer, listen } from '../services/http-service.js';
import { names } from './app.js';
import { pageHtml } from './page-html.js';

/** A running live page. */
export interface LivePage {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the live balances page on 127.0.0.1: `GET /` is the page, `GET /events` a
 * Server-Sent Events stream of balance updates from the `LiveFeed` process, and
 * `GET /balances` the latest balances as JSON. The page updates without reloading.
 */
export async function startLivePage(runtime: Runtime, port = 0): Promise<LivePage> {
  const server = createServer((req, res) => route(runtime, req, res));
  await listen(server, port);
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}/`, close: () => closeServer(server) };
}

function route(runtime: Runtime, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pageHtml);
  } else if (req.method === 'GET' && path === '/events') {
    stream(runtime, req, res);
  } else if (req.method === 'GET' && path === '/balances') {
    GenServer.call(names.liveFeed, { type: 'snapshot' }, { runtime })
      .then((balances) => json(res, 200, balances))
      .catch((error: unknown) => json(res, 503, { error: String(error) }));
  } else {
    json(res, 404, { error: `no route for ${req.method} ${path}` });
  }
}

function stream(runtime: Runtime, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(': connected\n\n');
  GenServer.cast(names.liveFeed, { type: 'join', client: res }, { runtime });
  req.on('close', () =>
    GenServer.cast(names.liveFeed, { type: 'leave', client: res }, { runtime }),
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
