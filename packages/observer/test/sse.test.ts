// Issue #15: one stalled dashboard (socket open, not reading) grew the heap by about
// 1.3 GB an hour, since every sample was queued for it; 500 streams were all accepted.
// Here a real socket is paused and the bytes the server buffers for it are counted
// (res.writableLength): they stay under a bound however many samples go out. The
// minute-long heap measurement is in the bench.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { SseHub } from '../src/sse.js';
import { getJson, startApp, TOKEN } from './fixtures.js';

/** A server whose every request becomes a stream of `hub`. */
async function serve(hub: SseHub, onClose: () => void = () => {}) {
  const streams: ServerResponse[] = [];
  const server: Server = createServer((_req, res) => {
    try {
      hub.add(res, onClose);
      streams.push(res);
    } catch (error) {
      res.writeHead((error as { status: number }).status).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, streams, port: (server.address() as AddressInfo).port };
}

interface RawClient {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

/** Opens a stream over a raw socket and waits for the response head. */
async function open(port: number, path = '/', headers: Record<string, string> = {}) {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`);
  await waitFor(() => text.includes('\r\n\r\n'), { what: 'the response head' });
  return { socket, received: () => text, closed } satisfies RawClient;
}

const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Yields to the event loop, so the sockets move what they can. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SseHub.broadcast()', () => {
  it('buffers at most one frame of each event for a client that does not read', async () => {
    const hub = new SseHub({ maxStreams: 4, stallTimeout: 60_000 });
    const { server, streams, port } = await serve(hub);
    servers.push(server);
    const client = await open(port);
    sockets.push(client.socket);
    client.socket.pause();
    const [res] = streams as [ServerResponse];
    const padding = 'x'.repeat(64 * 1024);
    const frameSize = `event: sample\ndata: ${JSON.stringify({ n: 999, padding })}\n\n`.length;
    const bound = res.writableHighWaterMark + 2 * frameSize;
    let most = 0;
    // 64 MB of samples and trees for a client that reads none of them.
    for (let n = 0; n < 500; n++) {
      hub.broadcast('sample', { n, padding });
      if (n % 10 === 0) hub.broadcast('tree', { n, padding });
      most = Math.max(most, res.writableLength);
      await turn();
    }
    expect(res.writableNeedDrain).toBe(true);
    expect(most).toBeLessThanOrEqual(bound);
    // Reading again, it gets the latest sample and tree, not the hundreds it missed.
    client.socket.resume();
    await waitFor(() => client.received().includes('"n":499,'), {
      what: 'the latest sample to arrive',
    });
    const samples = client.received().match(/event: sample/g)?.length ?? 0;
    expect(samples).toBeLessThan(250);
    expect(client.received()).toContain('"n":490,');
  });

  it('drops a client that stays stalled for stallTimeout ms', async () => {
    const hub = new SseHub({ maxStreams: 4, stallTimeout: 200 });
    let closes = 0;
    const { server, streams, port } = await serve(hub, () => closes++);
    servers.push(server);
    const stalled = await open(port);
    const reading = await open(port);
    sockets.push(stalled.socket, reading.socket);
    stalled.socket.pause();
    const padding = 'x'.repeat(64 * 1024);
    const [res] = streams as [ServerResponse];
    for (let n = 0; !res.writableNeedDrain; n++) {
      hub.broadcast('sample', { n, padding });
      await turn();
    }
    await waitFor(() => closes === 1, { what: 'the stalled client to be dropped' });
    expect(hub.size).toBe(1);
    // Once it reads again it finds the stream closed (a paused socket cannot see the end).
    stalled.socket.resume();
    await stalled.closed;
    // The client that reads is served on.
    hub.broadcast('sample', { n: 'after' });
    await waitFor(() => reading.received().includes('"n":"after"'), {
      what: 'the reading client to get a sample',
    });
  });

  it('lets a slow client that catches up in time stay', async () => {
    const hub = new SseHub({ maxStreams: 4, stallTimeout: 60_000 });
    const { server, streams, port } = await serve(hub);
    servers.push(server);
    const client = await open(port);
    sockets.push(client.socket);
    client.socket.pause();
    const [res] = streams as [ServerResponse];
    const padding = 'x'.repeat(64 * 1024);
    for (let n = 0; !res.writableNeedDrain; n++) {
      hub.broadcast('sample', { n, padding });
      await turn();
    }
    client.socket.resume();
    await waitFor(() => !res.writableNeedDrain, { what: 'the socket to drain' });
    hub.broadcast('sample', { n: 'fresh' });
    await waitFor(() => client.received().includes('"n":"fresh"'), { what: 'a fresh sample' });
    expect(hub.size).toBe(1);
  });
});

describe('SseHub.add()', () => {
  it('refuses a stream beyond maxStreams with a 503, and takes one again once one left', async () => {
    const hub = new SseHub({ maxStreams: 2, stallTimeout: 60_000 });
    const { server, port } = await serve(hub);
    servers.push(server);
    const first = await open(port);
    const second = await open(port);
    sockets.push(first.socket, second.socket);
    const third = await open(port);
    sockets.push(third.socket);
    expect(third.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(hub.size).toBe(2);
    first.socket.destroy();
    await waitFor(() => hub.size === 1, { what: 'the server to see the client leave' });
    const fourth = await open(port);
    sockets.push(fourth.socket);
    expect(fourth.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('GET /api/events', () => {
  it('answers 503 with a clear message beyond maxStreams', async () => {
    const app = await startApp({ maxStreams: 2 });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const a = await open(app.observer.port, '/api/events', auth);
      const b = await open(app.observer.port, '/api/events', auth);
      sockets.push(a.socket, b.socket);
      const refused = await fetch(`${app.observer.url}/api/events`, { headers: auth });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        code: 'too_many_streams',
        error:
          'This observer serves at most 2 event streams at once and that many are open: close another dashboard, or start the observer with a larger maxStreams.',
      });
      // Reads other than streams are served as before.
      expect((await getJson(app.observer, '/api/node')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('drops a dashboard that stops reading, and goes to sleep when it was the last', async () => {
    const app = await startApp({ sampleInterval: 50, streamStallTimeout: 300, idleAfter: 0 });
    try {
      // Idle processes make every sample frame big, so the socket fills in a few samples.
      for (let i = 0; i < 3000; i++) app.runtime.spawn({ handle() {} });
      const stalled = await open(app.observer.port, '/api/events', {
        authorization: `Bearer ${TOKEN}`,
      });
      sockets.push(stalled.socket);
      stalled.socket.pause();
      expect(app.observer.active).toBe(true);
      await waitFor(() => !app.observer.active, { what: 'the observer to drop it and sleep' });
      stalled.socket.resume();
      await stalled.closed;
    } finally {
      await app.close();
    }
  });
});
