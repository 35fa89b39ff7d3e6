// A worker node killed for real (its thread terminated) in the middle of traffic.
import { isDown, isExit, type Pid } from '@actorkit/core';
import { type UncaughtWatch, watchUncaught } from '@actorkit/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

let nodes: Nodes;
let uncaught: UncaughtWatch;

beforeEach(async () => {
  uncaught = watchUncaught();
  nodes = await startNodes({ workers: 2 });
});

afterEach(async () => {
  await nodes.stop();
  uncaught.stop();
});

describe('a worker node terminated mid-traffic', () => {
  it('fires noconnection on every monitor and link of its processes, and the main node keeps serving', async () => {
    const report = inbox(nodes.runtime);
    const targets: Pid[] = [];
    for (let i = 0; i < 10; i++) targets.push(await nodes.spawn(1, fixtures, 'echo'));

    // Traffic: a main-node process playing ping-pong with node 1 without pause.
    let rounds = 0;
    nodes.runtime.spawn(async (ctx) => {
      ctx.monitor(targets[0]!);
      for (;;) {
        ctx.send(targets[0]!, { from: ctx.self, body: rounds });
        const answer = await ctx.receive();
        if (isDown(answer)) return ctx.send(report.pid, { pingPong: answer.reason, rounds });
        rounds++;
      }
    });
    // Monitors, trapping links and plain links from the main node.
    for (const target of targets) {
      nodes.runtime.spawn(async (ctx) => {
        ctx.monitor(target);
        const down = await ctx.receive(isDown);
        ctx.send(report.pid, { monitor: down.pid, reason: down.reason });
      });
      nodes.runtime.spawn(async (ctx) => {
        ctx.trapExit(true);
        ctx.link(target);
        const exit = await ctx.receive(isExit);
        ctx.send(report.pid, { link: exit.from, reason: exit.reason });
      });
    }
    const plainLinked = nodes.runtime.spawn(async (ctx) => {
      ctx.link(targets[1]!);
      await ctx.receive();
    });
    const plainReason = new Promise((resolve) => nodes.runtime.watch(plainLinked, resolve));
    // A monitor from worker node 2, which hears of node 1's loss on its own.
    await nodes.spawn(2, fixtures, 'monitorer', [targets[2]!, report.pid]);
    await report.next((m) => 'monitoring' in m);
    while (rounds < 100) await new Promise((resolve) => setImmediate(resolve));

    await nodes.terminate(1);

    for (const target of targets) {
      expect(await report.next((m) => m.monitor === target)).toEqual({
        monitor: target,
        reason: 'noconnection',
      });
      expect(await report.next((m) => m.link === target)).toEqual({
        link: target,
        reason: 'noconnection',
      });
    }
    expect(await plainReason).toBe('noconnection');
    expect((await report.next((m) => 'pingPong' in m)).pingPong).toBe('noconnection');
    expect(await report.next((m) => 'down' in m)).toEqual({
      down: targets[2],
      reason: 'noconnection',
    });
    expect(nodes.nodes()).toEqual([0, 2]);

    // The main node still serves, and node 2 still answers.
    const echo2 = await nodes.spawn(2, fixtures, 'echo');
    nodes.runtime.send(echo2, { from: report.pid, body: 'still here' });
    expect(await report.next((m) => m === 'still here')).toBe('still here');
    expect(uncaught.caught).toEqual([]);
  });

  it('rejects a spawn on the node after it is gone with NodeDownError', async () => {
    await nodes.terminate(2);
    await expect(nodes.spawn(2, fixtures, 'echo')).rejects.toThrow(/node 2 is not up/);
    expect(uncaught.caught).toEqual([]);
  });
});
