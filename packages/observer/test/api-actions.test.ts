import { GenServer } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enc, fetchJson, getJson, post, startApp, TOKEN } from './fixtures.js';

describe('actions', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(() => app.close());

  describe('POST /api/processes/:pid/kill', () => {
    it('kills the process; its supervisor restarts it', async () => {
      const before = app.runtime.whereis('counter')!;
      const { status, body } = await post(
        app.observer,
        `/api/processes/${enc(String(before))}/kill`,
      );
      expect(status).toBe(200);
      expect(body).toEqual({ ok: true, pid: String(before), sent: 'kill' });
      expect(app.runtime.isAlive(before)).toBe(false);
      const after = await waitFor(
        () => {
          const pid = app.runtime.whereis('counter');
          return pid !== undefined && !pid.equals(before) && pid;
        },
        { what: 'a restarted counter' },
      );
      expect(await GenServer.call(after, { type: 'get' }, { runtime: app.runtime })).toBe(0);
    });

    it('answers 401 without a token and 403 with a wrong one, and kills nothing', async () => {
      const pid = app.runtime.whereis('counter')!;
      const none = await post(app.observer, '/api/processes/counter/kill', undefined, null);
      expect(none).toMatchObject({ status: 401, body: { code: 'token_required' } });
      const wrong = await post(
        app.observer,
        '/api/processes/counter/kill',
        undefined,
        'not-the-token',
      );
      expect(wrong).toMatchObject({ status: 403, body: { code: 'bad_token' } });
      // An action never takes the token from the URL (logs and history keep URLs).
      const query = await fetchJson(app.observer, `/api/processes/counter/kill?token=${TOKEN}`, {
        method: 'POST',
      });
      expect(query).toMatchObject({ status: 401, body: { code: 'token_required' } });
      expect(query.body.error).toMatch(/never takes it from the URL/);
      expect(app.runtime.isAlive(pid)).toBe(true);
    });

    it('answers 404 for a dead PID and for an unknown action', async () => {
      const pid = app.runtime.spawn(async () => {});
      await waitFor(() => !app.runtime.isAlive(pid), { what: 'the killed process to exit' });
      expect((await post(app.observer, `/api/processes/${enc(String(pid))}/kill`)).body.code).toBe(
        'unknown_pid',
      );
      const unknown = await post(app.observer, '/api/processes/counter/explode');
      expect(unknown).toMatchObject({ status: 404, body: { code: 'unknown_action' } });
      expect(unknown.body.error).toMatch(/expected kill or trace/);
    });
  });

  describe('POST /api/supervisors/:pid/children/:id/restart', () => {
    it('terminates and restarts the child, and the tree counts it', async () => {
      const before = app.runtime.whereis('gate')!;
      const { status, body } = await post(
        app.observer,
        `/api/supervisors/app/children/gate/restart`,
      );
      expect(status).toBe(200);
      expect(body).toMatchObject({
        ok: true,
        supervisor: String(app.supervisor),
        id: 'gate',
        previous: String(before),
      });
      expect(body.pid).not.toBe(String(before));
      expect(String(app.runtime.whereis('gate'))).toBe(body.pid);
      const tree = (await getJson(app.observer, '/api/tree')).body.tree;
      const gate = tree[0].children.find((c: any) => c.id === 'gate');
      expect(gate.pid).toBe(body.pid);
      const events = (await getJson(app.observer, '/api/node')).body.recentEvents;
      expect(events[0]).toMatchObject({
        event: 'restarted_by_observer',
        child: 'gate',
        pid: body.pid,
      });
    });

    it('counts restarts the supervisor makes after a kill', async () => {
      await getJson(app.observer, '/api/tree');
      await post(app.observer, '/api/processes/counter/kill');
      const tree = await waitFor(
        async () => {
          const { tree } = (await getJson(app.observer, '/api/tree')).body;
          return tree[0].children[0].restarts === 1 && tree;
        },
        { what: 'the restart in the tree' },
      );
      expect(tree[0].children[0]).toMatchObject({ id: 'counter', state: 'running' });
    });

    it.each([
      ['/api/supervisors/app/children/nope/restart', 404, 'unknown_child'],
      ['/api/supervisors/counter/children/gate/restart', 400, 'not_a_supervisor'],
      ['/api/supervisors/jobs/children/x/restart', 400, 'not_restartable'],
      ['/api/supervisors/%3C0.x%3E/children/gate/restart', 400, 'malformed_pid'],
      ['/api/supervisors/app/children/gate/reboot', 404, 'unknown_action'],
    ])('POST %s answers %i', async (path, status, code) => {
      const response = await post(app.observer, path);
      expect(response.status).toBe(status);
      expect(response.body.code).toBe(code);
    });

    it('requires the token', async () => {
      const response = await post(
        app.observer,
        '/api/supervisors/app/children/gate/restart',
        undefined,
        null,
      );
      expect(response.status).toBe(401);
    });
  });
});
