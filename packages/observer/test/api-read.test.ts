import { GenServer } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObserver } from '../src/index.js';
import { enc, Gate, getJson, post, startApp } from './fixtures.js';

describe('read endpoints', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('GET /api lists the endpoints', async () => {
    const { status, body } = await getJson(app.observer, '/api');
    expect(status).toBe(200);
    expect(body.endpoints).toContain('GET /api/tree');
  });

  it('GET / serves the dashboard page', async () => {
    const response = await fetch(`${app.observer.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('actorkit observer');
  });

  describe('GET /api/processes', () => {
    it('lists every live process with behaviour, mailbox and links', async () => {
      const { status, body } = await getJson(app.observer, '/api/processes');
      expect(status).toBe(200);
      expect(body.total).toBe(app.runtime.processCount);
      const byName = Object.fromEntries(body.rows.map((r: any) => [r.name, r]));
      expect(byName.app).toMatchObject({ behaviour: 'supervisor', module: 'Supervisor', links: 3 });
      expect(byName.counter).toMatchObject({
        behaviour: 'gen_server',
        module: 'Counter',
        mailbox: 0,
      });
      expect(byName.jobs).toMatchObject({ behaviour: 'dynamic_supervisor' });
    });

    it('sorts, filters by text and behaviour, and limits', async () => {
      const asc = await getJson(app.observer, '/api/processes?sort=name&order=asc');
      expect(asc.body.rows.map((r: any) => r.name)).toEqual(['app', 'counter', 'gate', 'jobs']);
      const filtered = await getJson(app.observer, '/api/processes?filter=COUNT');
      expect(filtered.body.rows.map((r: any) => r.name)).toEqual(['counter']);
      const servers = await getJson(
        app.observer,
        '/api/processes?behaviour=gen_server&sort=pid&order=desc',
      );
      expect(servers.body.rows.map((r: any) => r.name)).toEqual(['gate', 'counter']);
      const one = await getJson(app.observer, '/api/processes?sort=pid&limit=1');
      expect(one.body.rows).toHaveLength(1);
      expect(one.body.total).toBe(4);
    });

    it('sorts busiest first: longest mailbox, then messages/s, then messages handled', async () => {
      // A process that takes no message: what is sent to it stays in its mailbox.
      const stuck = app.runtime.spawn(() => new Promise<void>(() => {}));
      for (let i = 0; i < 3; i++) app.runtime.send(stuck, i);
      try {
        const busy = (await getJson(app.observer, '/api/processes?sort=busiest')).body.rows;
        expect(busy[0]).toMatchObject({ pid: String(stuck), mailbox: 3 });
        const key = (r: any) => [r.mailbox, r.rate ?? -1, r.handled] as const;
        for (let i = 0; i + 1 < busy.length; i++) {
          const [a, b] = [key(busy[i]), key(busy[i + 1])];
          expect(a[0] - b[0] || a[1] - b[1] || a[2] - b[2]).toBeGreaterThanOrEqual(0);
        }
        const two = (await getJson(app.observer, '/api/processes?sort=busiest&limit=2')).body;
        expect(two.rows.map((r: any) => r.pid)).toEqual(busy.slice(0, 2).map((r: any) => r.pid));
        expect(two.total).toBe(5);
      } finally {
        app.runtime.exit(stuck, 'kill');
      }
    });

    it('reports messages/s once two samples were taken', async () => {
      for (let i = 0; i < 500; i++) GenServer.cast('counter', 'inc', { runtime: app.runtime });
      const rows = await waitFor(
        async () => {
          const { rows } = (await getJson(app.observer, '/api/processes?filter=counter')).body;
          return rows[0]?.rate > 0 && rows;
        },
        { what: 'a messages/s rate for counter' },
      );
      expect(rows[0].rate).toBeGreaterThan(0);
      expect(rows[0].handled).toBeGreaterThan(0);
    });

    it.each([
      ['sort=size', 'bad_sort'],
      ['order=up', 'bad_order'],
      ['behaviour=actor', 'bad_behaviour'],
      ['limit=0', 'bad_limit'],
      ['limit=ten', 'bad_limit'],
      ['limit=2001', 'bad_limit'],
    ])('answers 400 for ?%s', async (query, code) => {
      const { status, body } = await getJson(app.observer, `/api/processes?${query}`);
      expect(status).toBe(400);
      expect(body.code).toBe(code);
      expect(body.error).toMatch(/^Expected/);
    });
  });

  describe('GET /api/processes/:pid', () => {
    it('shows a GenServer state through formatStatus, by PID or by name', async () => {
      const pid = String(app.runtime.whereis('gate'));
      for (const target of [pid, pid.replace('#PID', ''), pid.slice(5, -1), 'gate']) {
        const { status, body } = await getJson(app.observer, `/api/processes/${enc(target)}`);
        expect(status).toBe(200);
        expect(body).toMatchObject({
          pid,
          name: 'gate',
          behaviour: 'gen_server',
          linked: [String(app.supervisor)],
        });
        expect(body.state).toEqual({
          available: true,
          module: 'Gate',
          value: { handled: 0, secret: '[hidden]' },
        });
      }
    });

    it('skips the state with ?state=0 and never messages a non-GenServer process', async () => {
      const worker = app.runtime.spawn(async (ctx) => {
        await ctx.receive();
      });
      const skipped = await getJson(app.observer, `/api/processes/${enc(String(worker))}?state=0`);
      expect(skipped.body.state).toEqual({ available: false, reason: 'not requested' });
      const { body } = await getJson(app.observer, `/api/processes/${enc(String(worker))}`);
      expect(body.behaviour).toBe('process');
      expect(body.state.available).toBe(false);
      expect(app.runtime.processInfo(worker)?.mailboxLength).toBe(0);
      app.runtime.exit(worker, 'kill');
    });

    it('reports a busy server that does not answer in time instead of waiting', async () => {
      const open = Gate.hold();
      GenServer.cast('gate', 'work', { runtime: app.runtime });
      GenServer.cast('gate', 'work', { runtime: app.runtime });
      const { body } = await getJson(app.observer, '/api/processes/gate');
      expect(body.mailbox).toBe(1);
      expect(body.state.available).toBe(false);
      expect(body.state.reason).toMatch(/getStatus.*1000/);
      open();
      // The late getStatus reply is dropped; the server goes on with its casts.
      await waitFor(
        async () =>
          (await GenServer.call('gate', { type: 'count' }, { runtime: app.runtime })) === 2,
        { what: 'gate to handle its two casts' },
      );
    });

    it.each([
      ['%23PID%3C0.9999.0%3E', 404, 'unknown_pid'],
      ['%23PID%3C7.1.0%3E', 404, 'unknown_pid'],
      ['%3C0.x.0%3E', 400, 'malformed_pid'],
      ['0.1', 400, 'malformed_pid'],
      ['nobody', 404, 'unknown_name'],
      ['bad%20name%21', 400, 'malformed_target'],
      ['%E0%A4%A', 400, 'malformed_url'],
    ])('answers %s with %i', async (target, status, code) => {
      const response = await getJson(app.observer, `/api/processes/${target}`);
      expect(response.status).toBe(status);
      expect(response.body.code).toBe(code);
      expect(response.body.error.length).toBeGreaterThan(10);
    });
  });

  it('GET /api/node gives totals, a history and the runtime stats', async () => {
    // Totals come from the latest sample (at most sampleInterval old).
    const body = await waitFor(
      async () => {
        const { body } = await getJson(app.observer, '/api/node');
        return body.totals.queued === 0 && body;
      },
      { what: 'a sample with no message queued' },
    );
    expect(body.totals).toMatchObject({ processes: app.runtime.processCount, queued: 0 });
    expect(body.totals.heapUsedBytes).toBeGreaterThan(0);
    expect(body.history.length).toBeGreaterThan(0);
    expect(body.registered).toEqual(expect.arrayContaining(['app', 'counter', 'gate', 'jobs']));
    expect(body.registeredCount).toBe(body.registered.length);
    expect(body.observer).toEqual({
      slices: expect.any(Number),
      longestSliceMs: expect.any(Number),
      slicesOver10Ms: expect.any(Number),
    });
    const later = await waitFor(
      async () => {
        const { body } = await getJson(app.observer, '/api/node');
        return body.totals.eventLoopLagMs !== null && body.history.length >= 3 && body;
      },
      { what: 'three samples and an event-loop lag' },
    );
    expect(later.totals.eventLoopLagMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps the last historySize samples in the history', async () => {
    const observer = await startObserver(app.runtime, { historySize: 2, sampleInterval: 50 });
    try {
      const first = (await getJson(observer, '/api/node')).body.history;
      expect(first.length).toBeGreaterThanOrEqual(1);
      const seen = first.at(-1).at;
      // Once the oldest sample kept is newer than every one seen before, the ring turned over.
      const history = await waitFor(
        async () => {
          const { history } = (await getJson(observer, '/api/node')).body;
          return history[0].at > seen && history;
        },
        { what: 'the first samples to leave the history' },
      );
      expect(history).toHaveLength(2);
      expect(history[0].at).toBeLessThan(history[1].at);
    } finally {
      await observer.close();
    }
  });

  it('GET /api/tree gives the supervision tree with child specs', async () => {
    const { status, body } = await getJson(app.observer, '/api/tree');
    expect(status).toBe(200);
    expect(body.tree).toHaveLength(1);
    const [root] = body.tree;
    expect(root).toMatchObject({
      pid: String(app.supervisor),
      name: 'app',
      behaviour: 'supervisor',
    });
    expect(root.children.map((c: any) => [c.id, c.type, c.restart, c.state])).toEqual([
      ['counter', 'worker', 'permanent', 'running'],
      ['gate', 'worker', 'permanent', 'running'],
      ['jobs', 'supervisor', 'permanent', 'running'],
    ]);
    expect(root.children[2]).toMatchObject({
      behaviour: 'dynamic_supervisor',
      strategy: 'one_for_one',
      children: [],
    });
  });

  it('answers 404 for unknown routes and 405 for wrong methods', async () => {
    expect((await getJson(app.observer, '/api/nothing')).body.code).toBe('unknown_route');
    expect((await getJson(app.observer, '/elsewhere')).status).toBe(404);
    const wrong = await post(app.observer, '/api/node');
    expect(wrong).toMatchObject({ status: 405, body: { code: 'method_not_allowed' } });
    const deleteKill = await getJson(app.observer, '/api/processes/gate/kill', {
      method: 'DELETE',
    });
    expect(deleteKill.status).toBe(405);
  });
});
