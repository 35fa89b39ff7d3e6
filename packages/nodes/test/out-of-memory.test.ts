// A worker node whose thread runs out of memory (its resourceLimits), for real.

import type { Worker } from 'node:worker_threads';
import { InvalidArgumentError, isDown, isExit, type Pid } from '@actorkit/core';
import { type UncaughtWatch, watchUncaught } from '@actorkit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

const oom = new URL('./fixtures/oom.ts', import.meta.url);

let nodes: Nodes;
let uncaught: UncaughtWatch;

beforeAll(async () => {
  uncaught = watchUncaught();
  nodes = await startNodes({ workers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
});

afterAll(async () => {
  await nodes.stop();
  uncaught.stop();
});

describe('startNodes({ resourceLimits })', () => {
  it('a worker node out of memory delivers noconnection to monitors and links on other nodes, and the main node keeps serving', async () => {
    const report = inbox(nodes.runtime);
    const downs: Array<{ node: number; reason: unknown }> = [];
    nodes.on('nodeDown', (node, reason) => downs.push({ node, reason }));
    // What the thread died of, from its Worker (kept privately by Nodes): the port's
    // close reports the node down first, so nodeDown's reason is 'noconnection'.
    const worker = (nodes as unknown as { workers: Map<number, { worker: Worker }> }).workers.get(
      1,
    )!.worker;
    const died = new Promise<unknown>((resolve) => worker.once('error', resolve));
    const hog = await nodes.spawn(1, oom, 'hog');
    const echo = await nodes.spawn(1, fixtures, 'echo');
    const targets: Pid[] = [hog, echo];
    for (const target of targets) {
      nodes.runtime.spawn(async (ctx) => {
        ctx.monitor(target);
        ctx.send(report.pid, { watching: target });
        const down = await ctx.receive(isDown);
        ctx.send(report.pid, { monitor: down.pid, reason: down.reason });
      });
      nodes.runtime.spawn(async (ctx) => {
        ctx.trapExit(true);
        ctx.link(target);
        ctx.send(report.pid, { watching: target });
        const exit = await ctx.receive(isExit);
        ctx.send(report.pid, { link: exit.from, reason: exit.reason });
      });
    }
    // A monitor and a trapping link from worker node 2 as well.
    await nodes.spawn(2, fixtures, 'monitorer', [hog, report.pid]);
    await nodes.spawn(2, fixtures, 'trappingLinker', [echo, report.pid]);
    await report.next((m) => 'monitoring' in m);
    await report.next((m) => 'linked' in m);
    for (let i = 0; i < 4; i++) await report.next((m) => 'watching' in m);

    nodes.runtime.send(hog, 'allocate');

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
    expect(await report.next((m) => 'down' in m)).toEqual({ down: hog, reason: 'noconnection' });
    expect(await report.next((m) => 'exit' in m)).toEqual({ exit: echo, reason: 'noconnection' });
    expect(((await died) as { code?: unknown }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect(downs).toEqual([{ node: 1, reason: 'noconnection' }]);
    expect(nodes.nodes()).toEqual([0, 2]);

    // The main node still serves, and node 2 still answers.
    const echo2 = await nodes.spawn(2, fixtures, 'echo');
    nodes.runtime.send(echo2, { from: report.pid, body: 'still here' });
    expect(await report.next((m) => m === 'still here')).toBe('still here');
    const local = inbox(nodes.runtime);
    nodes.runtime.send(local.pid, 'main answers');
    expect(await local.next()).toBe('main answers');
    expect(uncaught.caught).toEqual([]);
  });

  it('rejects a limit that is not a known key or a number > 0 with InvalidArgumentError', async () => {
    const bad: unknown[] = [
      { maxOldGenerationSizeMb: 0 },
      { maxOldGenerationSizeMb: '64' },
      { heapMb: 64 },
      [64],
      'small',
    ];
    for (const resourceLimits of bad) {
      await expect(
        startNodes({ workers: 0, resourceLimits: resourceLimits as never }),
      ).rejects.toThrow(InvalidArgumentError);
    }
  });
});
