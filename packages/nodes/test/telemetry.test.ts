import type { Report } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { inbox } from './support.js';

const fixtures = new URL('./fixtures/telemetry.ts', import.meta.url);

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
}, 60_000);
afterAll(() => nodes.stop());

describe('runtime.events on a system of nodes', () => {
  it("carry each node's number, so one handler tells the nodes apart", async () => {
    const me = inbox(nodes.runtime);
    for (const node of [1, 2]) await nodes.spawn(node, fixtures, 'eventNodes', [me.pid]);
    const answers = [await me.next(), await me.next()].sort(
      (a, b) => a.runtimeNode - b.runtimeNode,
    );
    expect(answers).toEqual([
      { runtimeNode: 1, seen: { spawn: 1, exit: 1, crash: 1, report: 1 } },
      { runtimeNode: 2, seen: { spawn: 2, exit: 2, crash: 2, report: 2 } },
    ]);
    const mine: unknown[] = [];
    const listener = (report: Report) => void mine.push(report.node);
    nodes.runtime.events.on('report', listener);
    nodes.runtime.events.emit('report', { type: 'from_a_higher_layer' });
    nodes.runtime.events.off('report', listener);
    expect(mine).toEqual([0]);
  });
});
