import type { Pid, Runtime } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { type Nodes, startNodes } from '@actorkit/nodes';
import { waitFor } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observer, startObserver } from '../src/index.js';
import { enc, fetchJson, getJson, post, TOKEN } from './fixtures.js';

const workerCode = new URL('./node-fixtures.ts', import.meta.url);

/** Runs export `fn` of the fixtures on `node` and resolves with the first message it sends back. */
async function runOn<T>(nodes: Nodes, node: number, fn: string, args: unknown[] = []): Promise<T> {
  const runtime: Runtime = nodes.runtime;
  let answered!: (message: T) => void;
  const answer = new Promise<T>((resolve) => {
    answered = resolve;
  });
  const inbox = runtime.spawn(async (ctx) => answered((await ctx.receive()) as T));
  await nodes.spawn(node, workerCode, fn, [inbox, ...args]);
  return answer;
}

describe('the node view (a real system of 2 worker nodes)', () => {
  let nodes: Nodes;
  let observer: Observer;
  let app: { supervisor: Pid<any>; tally: Pid<any> };

  beforeAll(async () => {
    nodes = await startNodes({ workers: 2 });
    observer = await startObserver(nodes.runtime, { nodes, token: TOKEN });
    app = await runOn(nodes, 1, 'startWorkerApp', [5]);
    // Two worker threads start on a machine that may be busy.
  }, 60_000);

  afterAll(async () => {
    await observer?.close();
    await nodes?.stop();
  });

  describe('GET /api/nodes', () => {
    it('lists every node with its totals, read on that node', async () => {
      const { status, body } = await getJson(observer, '/api/nodes');
      expect(status).toBe(200);
      expect(body.node).toBe(0);
      expect(body.distributed).toBe(true);
      expect(body.nodes.map((n: any) => [n.node, n.self])).toEqual([
        [0, true],
        [1, false],
        [2, false],
      ]);
      for (const n of body.nodes) {
        expect(n.error).toBeUndefined();
        expect(n.totals.processes).toBeGreaterThan(0);
        expect(n.totals.heapUsedBytes).toBeGreaterThan(0);
        expect(n.totals.queued).toBeGreaterThanOrEqual(0);
      }
      // Node 1 runs the app (a supervisor and its Tally) and the observer's service.
      expect(body.nodes[1].totals.processes).toBeGreaterThanOrEqual(3);
    });

    it('GET /api/nodes/:node answers one node', async () => {
      const { status, body } = await getJson(observer, '/api/nodes/2');
      expect(status).toBe(200);
      expect(body).toMatchObject({ node: 2, self: false });
      expect(body.totals.processes).toBeGreaterThan(0);
      const self = await getJson(observer, '/api/nodes/0');
      expect(self.body).toMatchObject({ node: 0, self: true });
    });

    it('needs the token like every read', async () => {
      expect((await fetchJson(observer, '/api/nodes')).status).toBe(401);
      expect((await fetchJson(observer, '/api/nodes/1/processes')).status).toBe(401);
      const wrong = { headers: { authorization: 'Bearer wrong-token-123' } };
      expect((await fetchJson(observer, '/api/nodes/1/processes', wrong)).status).toBe(403);
    });

    it('answers 404 for a node that is not up and 400 for text that is no node number', async () => {
      const unknown = await getJson(observer, '/api/nodes/7/processes');
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('unknown_node');
      expect(unknown.body.error).toContain('0, 1, 2');
      const malformed = await getJson(observer, `/api/nodes/${enc('<script>')}/processes`);
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('malformed_node');
      expect((await getJson(observer, '/api/nodes/1/nothing')).status).toBe(404);
    });
  });

  describe('GET /api/nodes/:node/processes', () => {
    it("lists a worker node's processes, sorted and filtered there", async () => {
      const { status, body } = await getJson(
        observer,
        '/api/nodes/1/processes?sort=name&order=asc',
      );
      expect(status).toBe(200);
      expect(body.node).toBe(1);
      expect(body.total).toBe(body.rows.length);
      const tally = body.rows.find((r: any) => r.name === 'tally');
      expect(tally).toMatchObject({
        pid: String(app.tally),
        behaviour: 'gen_server',
        module: 'Tally',
        parent: String(app.supervisor),
      });
      expect(body.rows.every((r: any) => r.pid.startsWith('#PID<1.'))).toBe(true);
      const filtered = await getJson(observer, '/api/nodes/1/processes?filter=TALLY');
      expect(filtered.body.rows.map((r: any) => r.name)).toEqual(['tally']);
      const bad = await getJson(observer, '/api/nodes/1/processes?sort=nope');
      expect(bad.status).toBe(400);
    });

    it("reads this node's own table at /api/nodes/0/processes, as /api/processes does", async () => {
      const mine = await getJson(observer, '/api/nodes/0/processes');
      const table = await getJson(observer, '/api/processes');
      expect(mine.body.node).toBe(0);
      expect(mine.body.total).toBe(table.body.total);
    });
  });

  it("GET /api/nodes/:node/tree shows a worker node's supervision tree", async () => {
    const { status, body } = await getJson(observer, '/api/nodes/1/tree');
    expect(status).toBe(200);
    expect(body.node).toBe(1);
    const root = body.tree.find((n: any) => n.pid === String(app.supervisor));
    expect(root.children.map((c: any) => [c.id, c.pid])).toEqual([['tally', String(app.tally)]]);
  });

  describe('a process of a worker node at /api/processes/:pid', () => {
    it('shows its page, with its state through formatStatus, read on its node', async () => {
      const { status, body } = await getJson(observer, `/api/processes/${enc(String(app.tally))}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ pid: String(app.tally), name: 'tally', module: 'Tally' });
      expect(body.linked).toEqual([String(app.supervisor)]);
      expect(body.state).toEqual({
        available: true,
        module: 'Tally',
        value: { count: 5, secret: '[hidden]', note: '<b>not markup</b>' },
      });
    });

    it('answers 404 for a PID of a worker node that names no live process', async () => {
      const gone = await getJson(observer, `/api/processes/${enc('#PID<1.99999.0>')}`);
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('unknown_pid');
      expect(gone.body.error).toContain('Node 1');
    });

    it('traces it on its node', async () => {
      const path = `/api/processes/${enc(String(app.tally))}/trace`;
      const on = await post(observer, path, { on: true });
      expect(on.body).toMatchObject({ pid: String(app.tally), tracing: true });
      GenServer.cast(app.tally, 'add');
      await waitFor(async () => {
        const { body } = await getJson(observer, path);
        return body.messages.some((m: any) => m.kind === 'cast');
      });
      const off = await post(observer, path, { on: false });
      expect(off.body.tracing).toBe(false);
      expect((await post(observer, path, { on: 'yes' })).status).toBe(400);
      expect((await post(observer, path, { on: true }, null)).status).toBe(401);
    });

    it('kills it with an exit signal across nodes; its supervisor restarts it there', async () => {
      expect(
        (await post(observer, `/api/processes/${enc(String(app.tally))}/kill`, {}, null)).status,
      ).toBe(401);
      const killed = await post(observer, `/api/processes/${enc(String(app.tally))}/kill`);
      expect(killed.status).toBe(200);
      expect(killed.body).toEqual({ ok: true, pid: String(app.tally), sent: 'kill' });
      await waitFor(async () => {
        const { body } = await getJson(observer, '/api/nodes/1/processes?filter=tally');
        return body.rows.length === 1 && body.rows[0].pid !== String(app.tally);
      });
      const gone = await getJson(observer, `/api/processes/${enc(String(app.tally))}`);
      expect(gone.status).toBe(404);
    });
  });

  it('starts a worker node its service afresh when someone killed it', async () => {
    const find = async () =>
      (await getJson(observer, '/api/nodes/2/processes?filter=ObserverNodeService')).body.rows;
    const [service] = await find();
    expect(service.module).toBe('ObserverNodeService');
    const killed = await post(observer, `/api/processes/${enc(service.pid)}/kill`);
    expect(killed.status).toBe(200);
    const { status, body } = await getJson(observer, '/api/nodes/2');
    expect(body.error).toBeUndefined();
    expect(status).toBe(200);
    expect(body.totals.processes).toBeGreaterThan(0);
    const [fresh, ...others] = await find();
    expect(others).toEqual([]);
    expect(fresh.pid).not.toBe(service.pid);
  });

  it('stops the services it started on the worker nodes when it closes', async () => {
    const before = await runOn<{ calls: string[] }>(nodes, 2, 'initialCalls');
    expect(before.calls).toContain('ObserverNodeService');
    const second = await startObserver(nodes.runtime, { nodes });
    await getJson(second, '/api/nodes/2/processes');
    const during = await runOn<{ calls: string[] }>(nodes, 2, 'initialCalls');
    expect(during.calls.filter((c) => c === 'ObserverNodeService')).toHaveLength(2);
    await second.close();
    const after = await runOn<{ calls: string[] }>(nodes, 2, 'initialCalls');
    expect(after.calls.filter((c) => c === 'ObserverNodeService')).toHaveLength(1);
  });

  it('lists the nodes that are up: a worker terminated leaves the list, and the others are still read', async () => {
    await nodes.terminate(2);
    const { status, body } = await getJson(observer, '/api/nodes');
    expect(status).toBe(200);
    expect(body.nodes.map((n: any) => n.node)).toEqual([0, 1]);
    expect(body.nodes[1].totals.processes).toBeGreaterThan(0);
    expect((await getJson(observer, '/api/nodes/2/processes')).status).toBe(404);
  });
});

describe('the node view without nodes', () => {
  it('lists this node only, and answers 404 for any other', async () => {
    const { Runtime } = await import('@actorkit/core');
    const runtime = new Runtime({ node: 40 });
    const observer = await startObserver(runtime);
    try {
      const { body } = await getJson(observer, '/api/nodes');
      expect(body.distributed).toBe(false);
      expect(body.nodes.map((n: any) => [n.node, n.self])).toEqual([[40, true]]);
      const other = await getJson(observer, '/api/nodes/1/processes');
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('unknown_node');
      // A PID of another node is not looked for elsewhere.
      expect((await getJson(observer, `/api/processes/${enc('#PID<1.2.0>')}`)).status).toBe(404);
    } finally {
      await observer.close();
      await runtime.stop();
    }
  });

  it('refuses a nodes option without nodes() and spawn()', async () => {
    const { Runtime } = await import('@actorkit/core');
    const runtime = new Runtime({ node: 41 });
    await expect(startObserver(runtime, { nodes: {} as never })).rejects.toThrow(
      /nodes\(\) and spawn\(\)/,
    );
    await runtime.stop();
  });
});
