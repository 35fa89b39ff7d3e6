import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { Registry, Runtime } from '@actorkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Observer, ObserverOptionsError, startObserver } from '../src/index.js';
import { getJson } from './fixtures.js';

describe('startObserver() binding and token rules', () => {
  const runtime = new Runtime();
  let observer: Observer | undefined;
  afterEach(async () => {
    await observer?.close();
    observer = undefined;
  });

  it('binds to 127.0.0.1 by default, with a random token', async () => {
    observer = await startObserver(runtime);
    expect(observer.host).toBe('127.0.0.1');
    expect(observer.url).toBe(`http://127.0.0.1:${observer.port}`);
    expect(observer.token.length).toBeGreaterThanOrEqual(20);
    expect(observer.dashboardUrl).toBe(`${observer.url}/?token=${observer.token}`);
    const other = await startObserver(runtime);
    expect(other.token).not.toBe(observer.token);
    await other.close();
  });

  it('refuses a non-loopback host without a token', async () => {
    await expect(startObserver(runtime, { host: '0.0.0.0' })).rejects.toThrow(ObserverOptionsError);
    await expect(startObserver(runtime, { host: '0.0.0.0' })).rejects.toThrow(
      /not a loopback address.*token/,
    );
  });

  it.each([
    [{ port: -1 }, /`port` to be an integer from 0 to 65535/],
    [{ port: 1.5 }, /`port`/],
    [{ token: 'short' }, /`token` to be a string of at least 8 characters/],
    [{ token: 'has a space' }, /without spaces/],
    [{ host: '' }, /`host` to be a non-empty string/],
    [{ sampleInterval: 0 }, /`sampleInterval`/],
    [{ historySize: 1 }, /`historySize` to be an integer from 2 to 100000, got 1\./],
    [{ historySize: 100_001 }, /`historySize`/],
    [{ historySize: 2.5 }, /`historySize`/],
    [{ historySize: '300' }, /`historySize`/],
    [{ traceLimit: 0 }, /`traceLimit` to be an integer from 1 to 10000, got 0\./],
    [{ traceLimit: 10_001 }, /`traceLimit`/],
    [{ traceLimit: Number.NaN }, /`traceLimit`/],
    [
      { tokn: 'test-token-1234' },
      /^Unknown option "tokn" for startObserver; the options are port, host, token,/,
    ],
    [{ backoff: 10 }, /Unknown option "backoff"/],
    [[], /Expected `options` to be an object, got an array\./],
    [{ maxStreams: 0 }, /`maxStreams` to be an integer from 1 to 1000, got 0\./],
    [{ streamStallTimeout: 10 }, /`streamStallTimeout` to be an integer from 50/],
    [{ registries: {} }, /`registries` to be an array of Registry, got object\./],
    [{ registries: [null] }, /`registries\[0\]` to be a Registry .*got null\./],
    [
      { registries: [new Registry(new Runtime(), { keys: 'duplicate' })] },
      /`registries\[0\]` is a duplicate-keys Registry/,
    ],
  ])('rejects the options %j', async (options, message) => {
    const error = await startObserver(runtime, options as any).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObserverOptionsError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects something that is not a Runtime', async () => {
    await expect(startObserver({} as Runtime)).rejects.toThrow(
      /Expected `runtime` to be an actorkit Runtime, got Object/,
    );
  });

  it('rejects a port already in use with the address in the message', async () => {
    observer = await startObserver(runtime);
    await expect(startObserver(runtime, { port: observer.port })).rejects.toThrow(
      `127.0.0.1:${observer.port}`,
    );
  });

  it('on a non-loopback host too, every read needs the token (header or ?token=)', async () => {
    observer = await startObserver(runtime, { host: '0.0.0.0', token: 'lan-token-123' });
    const address = lanAddress() ?? '127.0.0.1';
    const base = `http://${address}:${observer.port}`;
    const none = await fetch(`${base}/api/node`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error).toMatch(/needs the observer's token/);
    expect((await fetch(`${base}/api/node?token=wrong-token-1`)).status).toBe(403);
    expect((await fetch(`${base}/api/node?token=lan-token-123`)).status).toBe(200);
    const header = await fetch(`${base}/`, { headers: { authorization: 'Bearer lan-token-123' } });
    expect(header.status).toBe(200);
  });

  it('on loopback, answers only loopback Host headers (no DNS rebinding)', async () => {
    observer = await startObserver(runtime);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: observer!.port,
          path: '/api/node',
          headers: { host: 'evil.example:80' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect((await getJson(observer, '/api/node')).status).toBe(200);
  });

  it('close() ends open event streams and frees the port', async () => {
    observer = await startObserver(runtime);
    const stream = await fetch(`${observer.url}/api/events?token=${observer.token}`);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(observer.active).toBe(true);
    await observer.close();
    expect(observer.active).toBe(false);
    await expect(fetch(`${observer.url}/api/node`)).rejects.toThrow();
    observer = undefined;
  });
});

function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const item of list ?? [])
      if (item.family === 'IPv4' && !item.internal) return item.address;
  }
  return undefined;
}
