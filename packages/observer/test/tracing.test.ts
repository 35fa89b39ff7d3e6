import { GenServer } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startObserver } from '../src/index.js';
import { getJson, post, startApp, TOKEN } from './fixtures.js';

describe('message tracing', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeEach(async () => {
    app = await startApp({ idleAfter: 200 });
  });
  afterEach(() => app.close());

  it('records the last N messages of a traced process only while tracing is on', async () => {
    const { runtime, observer } = app;
    GenServer.cast('counter', 'inc', { runtime });
    const on = await post(observer, '/api/processes/counter/trace', { on: true, limit: 3 });
    expect(on).toMatchObject({ status: 200, body: { tracing: true, limit: 3 } });
    for (let i = 0; i < 5; i++) GenServer.cast('counter', 'inc', { runtime });
    await GenServer.call('counter', { type: 'get' }, { runtime });
    runtime.send(runtime.whereis('counter')!, { ping: 1 });
    GenServer.cast('gate', 'work', { runtime });
    const { body } = await getJson(observer, '/api/processes/counter/trace');
    expect(body.tracing).toBe(true);
    expect(body.messages.map((m: any) => [m.kind, m.text])).toEqual([
      ['info', '{"ping":1}'],
      ['call', '{"type":"get"}'],
      ['cast', 'inc'],
    ]);
    const off = await post(observer, '/api/processes/counter/trace', { on: false });
    expect(off.body.tracing).toBe(false);
    expect(Object.hasOwn(runtime, 'send')).toBe(false);
    GenServer.cast('counter', 'inc', { runtime });
    expect((await getJson(observer, '/api/processes/counter/trace')).body).toMatchObject({
      tracing: false,
      messages: [],
    });
  });

  it('keeps traceLimit messages per traced process unless the request gives a limit', async () => {
    const observer = await startObserver(app.runtime, { token: TOKEN, traceLimit: 2 });
    try {
      const { runtime } = app;
      const on = await post(observer, '/api/processes/counter/trace', { on: true });
      expect(on).toMatchObject({ status: 200, body: { tracing: true, limit: 2 } });
      for (let i = 0; i < 4; i++) GenServer.cast('counter', 'inc', { runtime });
      await GenServer.call('counter', { type: 'get' }, { runtime });
      const { body } = await getJson(observer, '/api/processes/counter/trace');
      expect(body.messages.map((m: any) => [m.kind, m.text])).toEqual([
        ['call', '{"type":"get"}'],
        ['cast', 'inc'],
      ]);
    } finally {
      await observer.close();
    }
  });

  it('shows traced messages on the process page', async () => {
    await post(app.observer, '/api/processes/gate/trace', { on: true });
    GenServer.cast('gate', 'work', { runtime: app.runtime });
    const { body } = await getJson(app.observer, '/api/processes/gate?state=0');
    expect(body.tracing).toBe(true);
    expect(body.messages[0]).toMatchObject({ kind: 'cast', text: 'work', message: 'work' });
  });

  it('stops a trace when its process exits, and every trace when no client is left', async () => {
    const { runtime, observer } = app;
    await post(observer, '/api/processes/counter/trace', { on: true });
    await post(observer, '/api/processes/gate/trace', { on: true });
    const gate = runtime.whereis('gate')!;
    const counter = runtime.whereis('counter')!;
    runtime.exit(counter, 'kill');
    expect(runtime.processInfo(gate)?.traced).toBe(true);
    // The supervisor's new counter is another process: the trace did not carry over.
    const restarted = await waitFor(
      () => {
        const pid = runtime.whereis('counter');
        return pid !== undefined && !pid.equals(counter) && pid;
      },
      { what: 'the restarted counter' },
    );
    expect(runtime.processInfo(restarted)?.traced).toBe(false);
    // No dashboard and no request since: the observer goes idle after idleAfter (200 ms).
    await waitFor(() => !observer.active, { what: 'the observer to go idle' });
    expect(runtime.processInfo(gate)?.traced).toBe(false);
    expect((await getJson(observer, '/api/processes/gate/trace')).body.tracing).toBe(false);
  });

  it.each([
    [{}, 'bad_body'],
    [{ on: 'yes' }, 'bad_body'],
    [{ on: true, limit: 0 }, 'bad_body'],
  ])('answers 400 for the body %j', async (body, code) => {
    const response = await post(app.observer, '/api/processes/counter/trace', body);
    expect(response).toMatchObject({ status: 400, body: { code } });
  });

  it('answers 400 for a body that is not JSON, and 401 without the token', async () => {
    const notJson = await fetch(`${app.observer.url}/api/processes/counter/trace`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.observer.token}` },
      body: '{on: true',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).code).toBe('malformed_json');
    const noToken = await post(app.observer, '/api/processes/counter/trace', { on: true }, null);
    expect(noToken.status).toBe(401);
  });
});
