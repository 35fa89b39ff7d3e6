import { isCrash, isDown, type Pid } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
});
afterAll(() => nodes.stop());

/** A process on the main node that monitors `target` and hands over each Down it gets. */
function watchFromMain(target: Pid) {
  const me = inbox(nodes.runtime);
  let ref: unknown;
  const watcher = nodes.runtime.spawn(async (ctx) => {
    ref = ctx.monitor(target);
    for (;;) ctx.send(me.pid, await ctx.receive());
  });
  return { me, watcher, ref: () => ref };
}

describe('monitor() of a process on another node', () => {
  it("delivers one Down with the exit reason when it exits, and the monitor's ref", async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const { me, ref } = watchFromMain(target);
    await new Promise((resolve) => setImmediate(resolve));
    nodes.runtime.send(target, { exit: { code: 'done', who: target } });
    const down = await me.next(isDown);
    expect(down.ref).toBe(ref());
    expect(down.pid).toBe(target);
    expect(down.reason).toEqual({ code: 'done', who: target });
  });

  it('delivers a crash as a Crash reason holding the error', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const { me } = watchFromMain(target);
    nodes.runtime.send(target, 'crash');
    const down = await me.next(isDown);
    expect(isCrash(down.reason)).toBe(true);
    expect((down.reason.error as Error).message).toBe('crashed on purpose');
  });

  it('delivers Down with noproc for a process of another node that is not alive', async () => {
    const { me } = watchFromMain(nodes.runtime.parsePid('<1.999999.0>'));
    expect((await me.next(isDown)).reason).toBe('noproc');
  });

  it('delivers nothing after demonitor, even when the target exits', async () => {
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const me = inbox(nodes.runtime);
    const results: unknown[] = [];
    nodes.runtime.spawn(async (ctx) => {
      const ref = ctx.monitor(target);
      results.push(ctx.demonitor(ref));
      ctx.send(target, { exit: 'bye' });
      // Frames from node 1 arrive in order: a Down would come before the echo.
      ctx.send(echo, { from: ctx.self, body: 'marker' });
      results.push(await ctx.receive());
      ctx.send(me.pid, 'checked');
    });
    await me.next();
    expect(results).toEqual([true, 'marker']);
  });

  it('works from a worker node: a process there monitors a process on the main node', async () => {
    const me = inbox(nodes.runtime);
    const target = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    await nodes.spawn(2, fixtures, 'monitorer', [target, me.pid]);
    await me.next((m) => 'monitoring' in m);
    nodes.runtime.send(target, 'go');
    expect(await me.next((m) => 'down' in m)).toEqual({ down: target, reason: 'normal' });
  });

  it('works between two worker nodes', async () => {
    const me = inbox(nodes.runtime);
    const target = await nodes.spawn(1, fixtures, 'exitOnRequest');
    // The exit request goes from node 2 after the monitor: frames from one node to
    // another keep their order, whereas one sent from here could overtake the monitor.
    await nodes.spawn(2, fixtures, 'monitorer', [target, me.pid, { exit: 'shutdown' }]);
    expect(await me.next((m) => 'down' in m)).toEqual({ down: target, reason: 'shutdown' });
  });
});
