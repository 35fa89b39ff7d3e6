import { describe, expect, it } from 'vitest';
import { ObserverOptionsError, type ObserverView, startObserver } from '../src/index.js';
import { resolveViews } from '../src/view.js';
import { normalizePage } from '../src/view-page.js';
import { fetchJson, getJson, post, startApp, TOKEN } from './fixtures.js';

/** A view with a read, an action that records its body, and a page; `log` keeps what it saw. */
function notesView(log: unknown[] = []): ObserverView {
  const notes = ['first'];
  return {
    id: 'notes',
    title: 'Notes',
    routes: [
      { method: 'GET', path: 'notes', handle: () => ({ notes }) },
      {
        method: 'GET',
        path: 'notes/:n',
        handle: (r) => {
          const note = notes[Number(r.params.n)];
          if (note === undefined) throw r.error(404, 'no_note', `No note ${r.params.n}.`);
          return { note };
        },
      },
      {
        method: 'POST',
        path: 'notes',
        handle: (r) => {
          log.push(r.body);
          notes.push(String(r.body.text));
        },
      },
      {
        method: 'GET',
        path: 'boom',
        handle: () => {
          throw new Error('the view broke');
        },
      },
    ],
    render: (r) => ({
      title: `Notes at ${r.path.join('/') || 'home'}`,
      blocks: [
        {
          type: 'table',
          id: 'notes',
          columns: ['#', 'note'],
          rows: notes.map((n, i) => [{ text: i, link: ['note', String(i)] }, n]),
        },
      ],
    }),
  };
}

describe('views option', () => {
  it('refuses a view without an id, a bad id, duplicate ids and a route named page', () => {
    const render = () => ({ blocks: [] });
    expect(() => resolveViews([{ title: 'x', render }])).toThrow(ObserverOptionsError);
    expect(() => resolveViews([{ id: 'Bad Id', title: 'x', render }])).toThrow(/lower-case/);
    expect(() =>
      resolveViews([
        { id: 'a', title: 'x', render },
        { id: 'a', title: 'y', render },
      ]),
    ).toThrow(/Two views have the id "a"/);
    expect(() =>
      resolveViews([
        { id: 'a', title: 'x', render, routes: [{ method: 'GET', path: 'page', handle: render }] },
      ]),
    ).toThrow(/starts with 'page'/);
    expect(() =>
      resolveViews([
        { id: 'a', title: 'x', render, routes: [{ method: 'PUT', path: 'x', handle: render }] },
      ]),
    ).toThrow(/'GET' \(a read\) or 'POST'/);
    expect(() => resolveViews('jobs')).toThrow(/array of views/);
  });

  it('makes startObserver throw ObserverOptionsError for a bad view', async () => {
    const { Runtime } = await import('@actorkit/core');
    await expect(
      startObserver(new Runtime(), { views: [{ id: 'x' } as unknown as ObserverView] }),
    ).rejects.toThrow(ObserverOptionsError);
  });
});

describe('view routes', () => {
  it('lists the views and serves their reads with the token only', async () => {
    const app = await startApp({ views: [notesView()] });
    try {
      expect((await getJson(app.observer, '/api/views')).body).toEqual({
        views: [{ id: 'notes', title: 'Notes' }],
      });
      expect((await getJson(app.observer, '/api/views/notes/notes')).body).toEqual({
        notes: ['first'],
      });
      expect(await fetchJson(app.observer, '/api/views/notes/notes')).toMatchObject({
        status: 401,
        body: { code: 'token_required' },
      });
      expect(
        await getJson(app.observer, '/api/views/notes/notes', {
          headers: { authorization: 'Bearer wrong-token' },
        }),
      ).toMatchObject({ status: 403, body: { code: 'bad_token' } });
      expect((await fetchJson(app.observer, `/api/views/notes/notes?token=${TOKEN}`)).status).toBe(
        200,
      );
      expect(await getJson(app.observer, '/api/views/notes/notes/7')).toEqual({
        status: 404,
        body: { code: 'no_note', error: 'No note 7.' },
      });
      expect((await getJson(app.observer, '/api/views/other/x')).body.code).toBe('unknown_view');
      expect((await getJson(app.observer, '/api/views/notes/nope')).body.code).toBe(
        'unknown_view_route',
      );
    } finally {
      await app.close();
    }
  });

  it('checks actions like the observer’s own: header or same-origin cookie, never the URL', async () => {
    const log: unknown[] = [];
    const app = await startApp({ views: [notesView(log)] });
    try {
      const ok = await post(app.observer, '/api/views/notes/notes', { text: 'second' });
      expect(ok).toEqual({ status: 200, body: { ok: true } });
      expect(await post(app.observer, '/api/views/notes/notes', { text: 'x' }, null)).toMatchObject(
        { status: 401, body: { code: 'token_required' } },
      );
      const query = await fetchJson(app.observer, `/api/views/notes/notes?token=${TOKEN}`, {
        method: 'POST',
        body: '{"text":"y"}',
      });
      expect(query).toMatchObject({ status: 401, body: { code: 'token_required' } });
      const cookie = `actorkit_observer_${app.observer.port}=${TOKEN}`;
      const crossSite = await fetchJson(app.observer, '/api/views/notes/notes', {
        method: 'POST',
        headers: { cookie, origin: 'http://evil.example' },
        body: '{"text":"z"}',
      });
      expect(crossSite).toMatchObject({ status: 403, body: { code: 'cross_origin' } });
      const sameSite = await fetchJson(app.observer, '/api/views/notes/notes', {
        method: 'POST',
        headers: { cookie, origin: app.observer.url },
        body: '{"text":"third"}',
      });
      expect(sameSite.status).toBe(200);
      const big = await post(app.observer, '/api/views/notes/notes', { text: 'x'.repeat(20_000) });
      expect(big).toMatchObject({ status: 413, body: { code: 'body_too_large' } });
      expect(
        (await getJson(app.observer, '/api/views/notes/notes', { method: 'PUT' })).status,
      ).toBe(405);
      expect(log).toEqual([{ text: 'second' }, { text: 'third' }]);
    } finally {
      await app.close();
    }
  });

  it('answers a view that throws with a 500 naming it, and keeps serving', async () => {
    const app = await startApp({ views: [notesView()] });
    try {
      expect(await getJson(app.observer, '/api/views/notes/boom')).toMatchObject({
        status: 500,
        body: { code: 'view_failed', error: 'The view "notes" failed to answer: the view broke' },
      });
      expect((await getJson(app.observer, '/api/views/notes/notes')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('serves the page render describes, at the path ?at= names', async () => {
    const app = await startApp({ views: [notesView()] });
    try {
      const { body } = await getJson(app.observer, '/api/views/notes/page?at=note/0');
      expect(body).toMatchObject({ view: 'notes', path: ['note', '0'], title: 'Notes at note/0' });
      expect(body.blocks[0]).toEqual({
        id: 'notes',
        type: 'table',
        columns: [
          { label: '#', numeric: false },
          { label: 'note', numeric: false },
        ],
        rows: [[{ text: '0', link: ['note', '0'] }, { text: 'first' }]],
        empty: 'Nothing.',
      });
      expect((await fetchJson(app.observer, '/api/views/notes/page')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('hostile view answers', () => {
  it('answers what JSON cannot hold, or a page that cannot be read, with a 500; the server goes on', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const view: ObserverView = {
      id: 'hostile',
      title: 'Hostile',
      routes: [
        { method: 'GET', path: 'bigint', handle: () => ({ n: 1n }) },
        { method: 'GET', path: 'cycle', handle: () => cyclic },
        { method: 'GET', path: 'throws-proxy', handle: () => Promise.reject(revoked.proxy) },
      ],
      render: () => revoked.proxy as never,
    };
    const app = await startApp({ views: [view] });
    try {
      for (const path of ['bigint', 'cycle']) {
        expect(await getJson(app.observer, `/api/views/hostile/${path}`)).toMatchObject({
          status: 500,
          body: { code: 'unserializable' },
        });
      }
      expect(await getJson(app.observer, '/api/views/hostile/throws-proxy')).toMatchObject({
        status: 500,
        body: { code: 'view_failed' },
      });
      expect(await getJson(app.observer, '/api/views/hostile/page')).toMatchObject({
        status: 500,
        body: { code: 'view_failed' },
      });
      expect((await getJson(app.observer, '/api/node')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('normalizePage()', () => {
  it('reads any value without throwing: hostile values become text, bad parts are dropped', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const page = normalizePage({
      title: '<script>alert(1)</script>',
      refresh: -5,
      blocks: [
        { type: 'text', text: 'x'.repeat(10_000) },
        revoked.proxy,
        { type: 'cards', cards: [{ label: 1n, value: { text: Symbol('s'), tone: 'evil' } }] },
        {
          type: 'actions',
          actions: [
            { label: 'up', post: ['..', '..', 'processes', 'x', 'kill'] },
            { label: 'ok', post: ['jobs', '1', 'retry'], body: { n: 1n } },
          ],
        },
        { type: 'chart', series: [{ label: 'a', values: [1, Number.NaN, 'x', 3] }] },
        { type: 'marquee' },
      ],
    });
    expect(page.title).toBe('<script>alert(1)</script>');
    expect(page.refresh).toBe(2000);
    expect((page.blocks[0] as { text: string }).text.length).toBe(2001);
    expect(page.blocks[1]).toMatchObject({ type: 'text', tone: 'bad' });
    expect(page.blocks[2]).toMatchObject({
      cards: [{ label: '1n', value: { text: 'Symbol(s)' } }],
    });
    expect(page.blocks[3]).toEqual({
      type: 'actions',
      actions: [{ label: 'ok', post: ['jobs', '1', 'retry'], body: {}, danger: false }],
    });
    expect(page.blocks[4]).toMatchObject({ series: [{ label: 'a', values: [1, 0, 0, 3] }] });
    expect(page.blocks[5]).toMatchObject({ type: 'text', text: '[Unknown block type marquee]' });
    expect(normalizePage(undefined)).toEqual({ title: '', blocks: [], refresh: 2000 });
  });
});
