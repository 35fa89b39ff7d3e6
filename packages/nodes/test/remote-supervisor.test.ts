// A Supervisor on node 0 whose children run on worker nodes (remoteChild), with the
// nodes killed for real (their threads terminated).
import { InvalidArgumentError, isDown, type Pid } from '@actorkit/core';
import { type ChildInfo, DynamicSupervisor, GenServer, Supervisor } from '@actorkit/genserver';
import { type UncaughtWatch, watchUncaught } from '@actorkit/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { roundRobin } from '../src/placement.js';
import { remoteChild } from '../src/remote-child.js';
import { inbox } from './support.js';

const placed = new URL('./fixtures/placed.ts', import.meta.url);

let nodes: Nodes;
let uncaught: UncaughtWatch;

type Started = { started: string; pid: Pid };

/** Children `ids`, each saying `{ started: id, pid }` to `reportTo` at each start. */
function children(ids: string[], reportTo: Pid, placement = roundRobin()) {
  return ids.map((id) =>
    remoteChild({ id, module: placed, fn: 'child', args: [reportTo, id], placement }),
  );
}

/** The node of each child, by id. */
async function nodesOfChildren(sup: Pid): Promise<Record<string, unknown>> {
  const infos: ChildInfo[] = await Supervisor.whichChildren(sup);
  return Object.fromEntries(
    infos.map((info) => [info.id, typeof info.pid === 'object' ? info.pid.node : info.pid]),
  );
}

/** Resolves with `pid`'s exit reason, watched by a monitor from node 0. */
function downOf(pid: Pid): Promise<unknown> {
  return new Promise((resolve) => {
    nodes.runtime.spawn(async (ctx) => {
      ctx.monitor(pid);
      resolve((await ctx.receive(isDown)).reason);
    });
  });
}

// Starting worker threads under load can outlast the default hook and test timeouts.
describe('remoteChild() under a Supervisor', { timeout: 60_000 }, () => {
  beforeEach(async () => {
    uncaught = watchUncaught();
    nodes = await startNodes({ workers: 2 });
  }, 60_000);
  afterEach(async () => {
    await nodes.stop();
    uncaught.stop();
  }, 60_000);

  it('starts each child on the node its placement picks, linked to the supervisor', async () => {
    const me = inbox(nodes.runtime);
    const sup = await Supervisor.start(children(['a', 'b', 'c'], me.pid), {
      runtime: nodes.runtime,
    });
    expect(await nodesOfChildren(sup)).toEqual({ a: 1, b: 2, c: 1 });
    const a = await me.next<Started>((m) => m.started === 'a');
    nodes.runtime.send(a.pid, { from: me.pid, body: 'hi' });
    expect(await me.next((m) => m.body === 'hi')).toEqual({ id: 'a', body: 'hi', node: 1 });
    await Supervisor.stop(sup);
  });

  it('restarts the children of a terminated node on a surviving node, mid-traffic', async () => {
    const me = inbox(nodes.runtime);
    const sup = await Supervisor.start(children(['a', 'b', 'c', 'd'], me.pid), {
      runtime: nodes.runtime,
      maxRestarts: 10,
    });
    const first = new Map<string, Pid>();
    for (let i = 0; i < 4; i++) {
      const { started, pid } = await me.next<Started>((m) => 'started' in m);
      first.set(started, pid);
    }
    expect(await nodesOfChildren(sup)).toEqual({ a: 1, b: 2, c: 1, d: 2 });

    // Traffic to every child, without pause, from a process of node 0; it stops at the
    // first child that does not answer and starts over with the children now running.
    let answers = 0;
    let stop = false;
    nodes.runtime.spawn(async (ctx) => {
      while (!stop) {
        for (const info of await Supervisor.whichChildren(sup)) {
          if (typeof info.pid !== 'object') continue;
          ctx.send(info.pid, { from: ctx.self, body: answers });
          const answer = await ctx.receive({ timeout: 100 });
          if (answer !== 'timeout') answers++;
        }
      }
    });
    while (answers < 50) await new Promise((resolve) => setImmediate(resolve));

    await nodes.terminate(1);

    const restarted = [
      await me.next<Started>((m) => m.started === 'a'),
      await me.next<Started>((m) => m.started === 'c'),
    ];
    for (const { pid } of restarted) expect(pid.node).toBe(2);
    expect(await nodesOfChildren(sup)).toEqual({ a: 2, b: 2, c: 2, d: 2 });
    expect((await Supervisor.restartCount(sup)).total).toBe(2);
    // The children of node 2 were not touched.
    expect((await Supervisor.whichChildren(sup)).find((c) => c.id === 'b')!.pid).toBe(
      first.get('b'),
    );

    // Node 0 keeps serving, and the traffic reaches the restarted children.
    const before = answers;
    while (answers < before + 20) await new Promise((resolve) => setImmediate(resolve));
    stop = true;
    const restartedA = restarted[0]!.pid;
    nodes.runtime.send(restartedA, { from: me.pid, body: 'after' });
    expect(await me.next((m) => m.body === 'after')).toEqual({ id: 'a', body: 'after', node: 2 });
    expect(uncaught.caught).toEqual([]);
    await Supervisor.stop(sup);
  });

  it('stops a remote child with shutdown: terminateChild, and the supervisor stopping', async () => {
    const me = inbox(nodes.runtime);
    const sup = await Supervisor.start(children(['a', 'b'], me.pid), { runtime: nodes.runtime });
    const a = await me.next<Started>((m) => m.started === 'a');
    const b = await me.next<Started>((m) => m.started === 'b');
    const downA = downOf(a.pid);
    await Supervisor.terminateChild(sup, 'a');
    expect(await downA).toBe('shutdown');
    expect(await nodesOfChildren(sup)).toEqual({ a: undefined, b: 2 });
    const downB = downOf(b.pid);
    await Supervisor.stop(sup);
    expect(await downB).toBe('shutdown');
  });

  it('restarts a child that crashed on the node its placement picks next', async () => {
    const me = inbox(nodes.runtime);
    const sup = await Supervisor.start(children(['a'], me.pid), { runtime: nodes.runtime });
    const first = await me.next<Started>((m) => m.started === 'a');
    expect(first.pid.node).toBe(1);
    nodes.runtime.send(first.pid, 'crash');
    const again = await me.next<Started>((m) => m.started === 'a');
    expect(again.pid.node).toBe(2);
    expect((await Supervisor.restartCount(sup)).total).toBe(1);
    await Supervisor.stop(sup);
  });

  it("starts a GenServer child with start (OTP's {M, F, A}) and restarts it elsewhere", async () => {
    const sup = await Supervisor.start(
      [
        remoteChild({
          id: 'kv',
          module: placed,
          start: 'startKv',
          args: [5],
          placement: roundRobin(),
        }),
      ],
      { runtime: nodes.runtime },
    );
    const serverOf = async () => (await Supervisor.whichChildren(sup))[0]!.pid as Pid;
    const first = await serverOf();
    expect(first.node).toBe(1);
    expect(await GenServer.call(first, { type: 'add', by: 2 })).toBe(7);
    await nodes.terminate(1);
    const second = await serverOf();
    expect(second.node).toBe(2);
    // A new server, started afresh by its start.
    expect(await GenServer.call(second, { type: 'get' })).toBe(5);
    const down = downOf(second);
    await Supervisor.stop(sup);
    expect(await down).toBe('shutdown');
    expect(uncaught.caught).toEqual([]);
  });

  it('works under a DynamicSupervisor too: startChild, restart on a surviving node, stop', async () => {
    const me = inbox(nodes.runtime);
    const sup = await DynamicSupervisor.start({ runtime: nodes.runtime });
    const spread = roundRobin();
    const pid = (await DynamicSupervisor.startChild(sup, children(['x'], me.pid, spread)[0]!))!;
    expect(pid.node).toBe(1);
    await me.next((m) => m.started === 'x');
    await nodes.terminate(1);
    const again = await me.next<Started>((m) => m.started === 'x');
    expect(again.pid.node).toBe(2);
    const down = downOf(again.pid);
    await DynamicSupervisor.stop(sup);
    expect(await down).toBe('shutdown');
    expect(uncaught.caught).toEqual([]);
  });

  it('counts restarts after a node loss toward the intensity, and gives up past maxRestarts', async () => {
    const me = inbox(nodes.runtime);
    const onOne = roundRobin({ nodes: [1] });
    const sup = await Supervisor.start(children(['a', 'b'], me.pid, onOne), {
      runtime: nodes.runtime,
      maxRestarts: 1,
    });
    const supDown = new Promise((resolve) => nodes.runtime.watch(sup, resolve));
    await me.next((m) => m.started === 'b');
    // With node 1 gone, each restart fails (NoNodeError) and counts: the supervisor
    // exceeds one restart and shuts down, as OTP's does.
    await nodes.terminate(1);
    expect(await supDown).toBe('shutdown');
    expect(uncaught.caught).toEqual([]);
  });
});

describe('remoteChild()', () => {
  it('throws InvalidArgumentError for an unknown key or a wrong type', () => {
    const base = { id: 'x', module: placed, fn: 'child' };
    expect(() => remoteChild({ ...base, node: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ ...base, fn: '' })).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ ...base, start: 'startKv' })).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ id: 'x', module: placed })).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ ...base, args: 'a' as never })).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ ...base, placement: 'any' as never })).toThrow(InvalidArgumentError);
    expect(() => remoteChild({ ...base, module: 'relative/x.js' })).not.toThrow();
    expect(() => remoteChild({ ...base, module: './x.js' })).toThrow(InvalidArgumentError);
  });
});
