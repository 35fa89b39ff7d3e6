import { InvalidArgumentError, Runtime } from '@actorkit/core';
import { waitFor } from '@actorkit/test-support';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startUsersApi, type UsersApiOptions } from '../src/account-setup/api.js';
import { AccountSetup } from '../src/account-setup/application.js';
import { Repo } from '../src/db/repo.js';
import { startCrm } from '../src/services/crm.js';
import { startFulfillment } from '../src/services/fulfillment.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The in-memory variant behind the API, against healthy local services. */
async function setUp(options: UsersApiOptions = {}) {
  const runtime = new Runtime();
  const repo = Repo.open();
  const crm = await startCrm();
  const fulfillment = await startFulfillment();
  const setup = await AccountSetup.start({
    runtime,
    repo,
    crmUrl: crm.url,
    fulfillmentUrl: fulfillment.url,
  });
  const api = await startUsersApi(setup.handlers(), options);
  cleanups.push(async () => {
    await runtime.stop();
    await api.close();
    await crm.close();
    await fulfillment.close();
    repo.close();
  });
  const request = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${api.url}${path}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as any };
  };
  /** POSTs `body` to /users: an object as JSON, a string as it is. */
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    request('/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { api, repo, setup, request, post };
}

const ada = { email: 'ada@example.com', name: 'Ada', address: '12 Pine St, Portland, OR 97201' };

/** Every error answer is a JSON object whose `error` says what was wrong. */
function expectError(answer: { body: any }, pattern: RegExp) {
  expect(answer.body).toEqual(expect.objectContaining({ error: expect.stringMatching(pattern) }));
}

describe('startUsersApi() POST /users', () => {
  it('answers 201 with the user, trimmed and its email lower-cased, and where to read it back', async () => {
    const { post, request } = await setUp();
    const created = await post({ ...ada, email: '  Ada@Example.COM ', name: ' Ada ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
    expect(created.headers.get('location')).toBe(`/users/${created.body.id}`);
    const read = await request(created.headers.get('location')!);
    expect(read).toMatchObject({ status: 200, body: { id: created.body.id, name: 'Ada' } });
  });

  it('answers 413 to a body over bodyLimit, inserting nothing', async () => {
    const { post, repo } = await setUp({ bodyLimit: 1024 });
    const answer = await post({ ...ada, address: 'x'.repeat(2000) });
    expect(answer.status).toBe(413);
    expectError(answer, /larger than the 1024-byte limit/);
    expect(repo.listUsers()).toEqual([]);
  });

  it('answers 415 to a form, text/plain or a body without a content type, inserting nothing', async () => {
    const { post, request, repo } = await setUp();
    const form = await post('email=ada%40example.com&name=Ada', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const text = await post(JSON.stringify(ada), { 'content-type': 'text/plain' });
    const multipart = await post('--x\r\n\r\n--x--', {
      'content-type': 'multipart/form-data; boundary=x',
    });
    for (const answer of [form, text, multipart]) {
      expect(answer.status).toBe(415);
      expectError(answer, /takes application\/json, got /);
    }
    expect(text.body.error).toMatch(/got text\/plain/);
    // A byte array: fetch sends it with no content type at all.
    const none = await request('/users', { method: 'POST', body: new Uint8Array([123, 125]) });
    expect(none.status).toBe(415);
    expectError(none, /got no content type/);
    expect(repo.listUsers()).toEqual([]);
  });

  it('answers 400 to malformed JSON, an empty body and a __proto__ key, inserting nothing', async () => {
    const { post, repo } = await setUp();
    const malformed = await post('{"email": "ada@example.com",');
    const empty = await post('');
    const poisoned = await post(`{"__proto__": {"admin": true}, ${JSON.stringify(ada).slice(1)}`);
    for (const answer of [malformed, empty, poisoned]) expect(answer.status).toBe(400);
    expectError(malformed, /not valid JSON/);
    expectError(empty, /body is empty/);
    expect(repo.listUsers()).toEqual([]);
  });

  it('answers 422 naming each field that breaks the schema: missing, blank, too long, not a string, unknown', async () => {
    const { post, repo } = await setUp();
    const answer = await post({ email: 'ada', name: '   ', address: 42, role: 'admin' });
    expect(answer.status).toBe(422);
    expect(answer.body.fields).toEqual({
      email: 'must be an email address like ada@example.com',
      name: 'must not be blank',
      address: 'must be a string',
      role: 'is not a field of a user (email, name, address)',
    });
    expectError(answer, /^Invalid user: /);
    const long = await post({ ...ada, name: 'n'.repeat(101) });
    expect(long.body.fields).toEqual({ name: 'must be at most 100 characters' });
    const missing = await post({ email: ada.email });
    expect(missing.body.fields).toEqual({ name: 'is required', address: 'is required' });
    expect((await post([ada])).body.fields).toEqual({ body: 'must be a JSON object' });
    expect(repo.listUsers()).toEqual([]);
  });

  it('answers 422 naming the field and the character for a control or bidi character in a name or an address', async () => {
    const { post, repo } = await setUp();
    const unsafe = fc.constantFrom(
      ...[0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9f, 0x061c, 0x200e, 0x200f],
      ...[0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068],
      ...[0x2069, 0xfeff, 0xd800, 0xdfff],
    );
    const safe = fc.string({ unit: 'grapheme', maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('name', 'address'),
        unsafe,
        safe,
        safe,
        async (field, code, before, after) => {
          const value = `a${before}${String.fromCharCode(code)}${after}`;
          const answer = await post({ ...ada, [field]: value });
          const hex = code.toString(16).toUpperCase().padStart(4, '0');
          expect(answer.status).toBe(422);
          expect(answer.body.fields[field]).toMatch(
            /^must not contain control or bidirectional formatting characters \(found U\+/,
          );
          // The first unsafe character found is named: the one put in, unless `before` held one.
          if (!/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(before)) {
            expect(answer.body.fields[field]).toContain(`U+${hex}`);
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(repo.listUsers()).toEqual([]);
  });

  it('accepts names in any script, with accents, emoji and zero-width joiners', async () => {
    const { post } = await setUp();
    const names = ['Zoë Ñúñez', 'Łukasz Żółć', '山田 太郎', 'محمد', 'Ada 👩‍💻', 'میخواهم'];
    for (const [n, name] of names.entries()) {
      const answer = await post({ ...ada, email: `user${n}@example.com`, name });
      expect(answer.status).toBe(201);
      expect(answer.body.name).toBe(name);
    }
  });

  it('answers 409 to an email already taken, whatever its case, inserting nothing', async () => {
    const { post, repo } = await setUp();
    expect((await post(ada)).status).toBe(201);
    const again = await post({ ...ada, email: 'ADA@example.com', name: 'Other' });
    expect(again.status).toBe(409);
    expectError(again, /ada@example.com already exists/);
    expect(repo.listUsers()).toHaveLength(1);
  });

  it('answers 503 with Retry-After once the application is down, inserting nothing', async () => {
    const { post, repo, setup } = await setUp();
    await setup.stop();
    const answer = await post(ada);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe(String(answer.body.retryAfter));
    expectError(answer, /AccountSetup\.Application is down/);
    expect(repo.listUsers()).toEqual([]);
  });
});

describe('startUsersApi() Origin check', () => {
  it('refuses with 403 a POST whose Origin is another site or null, or that a browser marks cross-site', async () => {
    const { post, repo } = await setUp({ allowedOrigins: ['https://app.example.com'] });
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'https://app.example.com.evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of refused) {
      const answer = await post(ada, headers);
      expect(answer.status).toBe(403);
      expectError(answer, /^Cross-origin POST from .* refused/);
    }
    // Before the body is even read: a cross-site form post is 403, not 415.
    const form = await post('email=x', {
      origin: 'https://evil.example',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(403);
    expect(repo.listUsers()).toEqual([]);
  });

  it('accepts its own origin, a listed one, and no Origin at all (a non-browser client)', async () => {
    const { api, post } = await setUp({ allowedOrigins: ['https://app.example.com'] });
    const origins: Record<string, string>[] = [
      { origin: api.url },
      { origin: 'https://app.example.com' },
      {},
    ];
    for (const [n, headers] of origins.entries()) {
      const answer = await post({ ...ada, email: `user${n}@example.com` }, headers);
      expect(answer.status).toBe(201);
    }
  });

  it('lets any origin read, as the browser keeps the answer from a page of another site', async () => {
    const { request, post } = await setUp();
    const { body } = await post(ada);
    const read = await request(`/users/${body.id}`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('startUsersApi() routes', () => {
  it('answers 404 with a JSON error to an unknown user, a non-numeric id and an unknown route', async () => {
    const { request } = await setUp();
    const answers = {
      user: await request('/users/999'),
      id: await request('/users/abc'),
      route: await request('/admin?x=1'),
      method: await request('/users', { method: 'DELETE' }),
    };
    for (const answer of Object.values(answers)) expect(answer.status).toBe(404);
    expectError(answers.user, /^No user with id 999\.$/);
    expectError(answers.id, /^No route for GET \/users\/abc\.$/);
    expectError(answers.route, /^No route for GET \/admin\.$/);
    expectError(answers.method, /^No route for DELETE \/users\.$/);
  });

  it('lists what the setup gave up on at GET /setup-failures', async () => {
    const { post, request } = await setUp();
    const { body } = await post({ ...ada, address: '1 Main St, Atlantis, ZZ' });
    // The fulfillment service answers 422 to an address it cannot place: the task gives up at once.
    const failures = await waitFor(async () => {
      const answer = await request('/setup-failures');
      return answer.body.length > 0 && answer.body;
    });
    expect(failures).toMatchObject([{ userId: body.id, step: 'fulfillment' }]);
  });

  it('throws InvalidArgumentError for an unknown option or a value of the wrong type', async () => {
    const handlers = {
      signUp: async () => ({}) as never,
      getUser: () => undefined,
      listSetupFailures: () => [],
    };
    const bad: unknown[] = [
      { bodyLimt: 1024 },
      { bodyLimit: 0 },
      { bodyLimit: '16kb' },
      { port: 70000 },
      { allowedOrigins: 'https://app.example.com' },
      { allowedOrigins: ['https://app.example.com/'] },
    ];
    for (const options of bad) {
      await expect(startUsersApi(handlers, options as UsersApiOptions)).rejects.toThrow(
        InvalidArgumentError,
      );
    }
    await expect(startUsersApi(handlers, { bodyLimt: 1 } as UsersApiOptions)).rejects.toThrow(
      /startUsersApi takes the options port, bodyLimit, allowedOrigins/,
    );
  });
});
