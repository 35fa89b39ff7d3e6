// Issue #15: on loopback, GET /api/processes/<name> returned an API key, a password and an
// SSN from a GenServer's state without a token, and traced messages were readable too.
// Every read now needs the token; only the bare page shell is served without it.
import { GenServer, ok, reply } from '@actorkit/genserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieName, tokenMatches } from '../src/auth.js';
import { type Observer, startObserver } from '../src/index.js';
import { fetchJson, getJson, post, startApp, TOKEN } from './fixtures.js';

/** A GenServer without formatStatus whose state holds what must not leak. */
class Account extends GenServer<Record<string, string>, { type: 'get' }> {
  init() {
    return ok({ apiKey: 'sk-live-4242', password: 'correct horse', ssn: '078-05-1120' });
  }
  override handleCall(_request: { type: 'get' }, _from: unknown, state: Record<string, string>) {
    return reply('ok', state);
  }
}

const SECRETS = ['sk-live-4242', 'correct horse', '078-05-1120', 'hunter2'];

const READS = [
  '/api',
  '/api/node',
  '/api/processes',
  '/api/processes?filter=account',
  '/api/processes/account',
  '/api/processes/account/trace',
  '/api/processes/gate',
  '/api/tree',
  '/api/events',
];

/** GETs `path` with `headers`; reads the body unless it is an event stream (then aborts it). */
async function read(observer: Observer, path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(observer.url + path, { headers, signal: controller.signal });
  const stream = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  const text = stream ? '' : await response.text();
  controller.abort();
  return { status: response.status, text, headers: response.headers };
}

describe('the token, for every read', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp();
    await GenServer.start(Account, undefined, { runtime: app.runtime, name: 'account' });
    // A trace holds messages: they are as secret as the state.
    await post(app.observer, '/api/processes/account/trace', { on: true });
    await GenServer.call('account', { type: 'get' }, { runtime: app.runtime });
  });
  afterAll(() => app.close());

  it.each(READS)('GET %s answers 401 without a token, and leaks nothing', async (path) => {
    const { status, text } = await read(app.observer, path);
    expect(status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ code: 'token_required' });
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain('#PID<');
  });

  it.each(READS)('GET %s answers 403 with a wrong token, in any form', async (path) => {
    const joiner = path.includes('?') ? '&' : '?';
    const forms = [
      read(app.observer, path, { authorization: 'Bearer wrong-token-123' }),
      read(app.observer, path, { 'x-observer-token': 'wrong-token-123' }),
      read(app.observer, path, { cookie: `${cookieName(app.observer.port)}=wrong-token-123` }),
      read(app.observer, `${path}${joiner}token=wrong-token-123`),
    ];
    for (const { status, text } of await Promise.all(forms)) {
      expect(status).toBe(403);
      expect(JSON.parse(text)).toMatchObject({ code: 'bad_token' });
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }
  });

  it.each(READS)('GET %s answers 200 with the token, in any form', async (path) => {
    const joiner = path.includes('?') ? '&' : '?';
    const forms = [
      read(app.observer, path, { authorization: `Bearer ${TOKEN}` }),
      read(app.observer, path, { 'x-observer-token': TOKEN }),
      read(app.observer, path, { cookie: `other=1; ${cookieName(app.observer.port)}=${TOKEN}` }),
      read(app.observer, `${path}${joiner}token=${TOKEN}`),
    ];
    for (const { status } of await Promise.all(forms)) expect(status).toBe(200);
  });

  it('HEAD needs the token as GET does', async () => {
    const none = await fetch(`${app.observer.url}/api/processes/account`, { method: 'HEAD' });
    expect(none.status).toBe(401);
    const withToken = await fetch(`${app.observer.url}/api/processes/account`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(withToken.status).toBe(200);
  });

  it('shows a state without formatStatus, and its traced messages, to token holders only', async () => {
    const { body } = await getJson(app.observer, '/api/processes/account');
    expect(body.state.value).toMatchObject({ apiKey: 'sk-live-4242' });
    const trace = await getJson(app.observer, '/api/processes/account/trace');
    expect(trace.body.messages[0]).toMatchObject({ kind: 'call', text: '{"type":"get"}' });
  });

  describe('the page shell', () => {
    it('is served without a token and holds nothing about the node', async () => {
      const { status, text, headers } = await read(app.observer, '/');
      expect(status).toBe(200);
      expect(headers.get('content-type')).toMatch(/text\/html/);
      expect(headers.get('set-cookie')).toBeNull();
      expect(text).toContain('<title>actorkit observer</title>');
      for (const secret of [...SECRETS, TOKEN, 'gate', 'counter', 'account', '#PID<', 'node 0'])
        expect(text).not.toContain(secret);
      // The same shell, byte for byte, whoever asks: it cannot depend on the node.
      const other = await startObserver(app.runtime, { token: 'another-token-1' });
      try {
        expect((await read(other, '/')).text).toBe(text);
      } finally {
        await other.close();
      }
    });

    it('trades ?token= for an HttpOnly SameSite=Strict cookie and redirects to the bare URL', async () => {
      const response = await fetch(`${app.observer.url}/?token=${TOKEN}`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toBe(
        `${cookieName(app.observer.port)}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`,
      );
      const pair = cookie.split(';')[0]!;
      expect((await read(app.observer, '/api/node', { cookie: pair })).status).toBe(200);
    });

    it('answers 403 and sets no cookie for a wrong ?token=', async () => {
      const response = await fetch(`${app.observer.url}/?token=wrong-token-123`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(((await response.json()) as any).code).toBe('bad_token');
    });

    it("names the cookie after the port: one observer's cookie does not open another", async () => {
      const other = await startObserver(app.runtime, { token: 'another-token-1' });
      try {
        const cookie = `${cookieName(app.observer.port)}=${TOKEN}`;
        expect((await read(other, '/api/node', { cookie })).status).toBe(401);
      } finally {
        await other.close();
      }
    });
  });

  describe('actions with the cookie', () => {
    const cookie = () => `${cookieName(app.observer.port)}=${TOKEN}`;
    const traceOff = (headers: Record<string, string>) =>
      fetchJson(app.observer, '/api/processes/counter/trace', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ on: false }),
      });

    it("are accepted from the observer's own page (Origin is the observer)", async () => {
      const response = await traceOff({ cookie: cookie(), origin: app.observer.url });
      expect(response).toMatchObject({ status: 200, body: { tracing: false } });
    });

    it('are refused without an Origin or from another origin (403 cross_origin)', async () => {
      const port = app.observer.port;
      for (const origin of [undefined, `http://127.0.0.1:${port + 1}`, 'http://evil.example']) {
        const headers: Record<string, string> = { cookie: cookie() };
        if (origin !== undefined) headers.origin = origin;
        expect(await traceOff(headers)).toMatchObject({
          status: 403,
          body: { code: 'cross_origin' },
        });
      }
    });
  });

  it('says how to get the token when it is missing', async () => {
    const none = await read(app.observer, '/api/tree');
    expect(JSON.parse(none.text).error).toBe(
      'Reading this observer needs the observer\'s token: open the dashboard URL the observer printed (observer.dashboardUrl, /?token=…), or send "Authorization: Bearer <token>".',
    );
  });
});

describe('tokenMatches()', () => {
  it('is true only for the same token, whatever the lengths', () => {
    expect(tokenMatches('secret-token', 'secret-token')).toBe(true);
    expect(tokenMatches('secret-token!', 'secret-token')).toBe(false);
    expect(tokenMatches('', 'secret-token')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token')).toBe(false);
    expect(tokenMatches('x'.repeat(10_000), 'secret-token')).toBe(false);
  });
});
