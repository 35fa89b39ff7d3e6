import { Runtime } from '@actorkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NodeDownError,
  NodeStartError,
  RemoteSpawnError,
  UncloneableMessageError,
} from '../src/errors.js';
import { isNodeDown } from '../src/node-watchers.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { fixtures, inbox } from './support.js';

describe('startNodes()', () => {
  let nodes: Nodes;
  beforeAll(async () => {
    nodes = await startNodes({ workers: 2 });
  });
  afterAll(() => nodes.stop());

  it('starts the main node 0 and one node per worker thread', () => {
    expect(nodes.node).toBe(0);
    expect(nodes.nodes()).toEqual([0, 1, 2]);
    expect(nodes.workerNodes()).toEqual([1, 2]);
  });

  it('spawns an export by module path on the chosen node, and its PID names that node', async () => {
    const me = inbox(nodes.runtime);
    for (const node of [1, 2, 0]) {
      const pid = await nodes.spawn(node, fixtures, 'whereAmI');
      expect(pid.node).toBe(node);
      nodes.runtime.send(pid, { from: me.pid });
      expect(await me.next()).toEqual({ node });
    }
  });

  it('passes args, PIDs included, to a spawned body', async () => {
    const me = inbox(nodes.runtime);
    await nodes.spawn(1, fixtures, 'countTo', [me.pid, 3, 7]);
    expect(await me.next((m) => 'done' in m)).toEqual({ done: 7 });
    expect(me.messages).toEqual([
      [7, 0],
      [7, 1],
      [7, 2],
    ]);
  });

  it("makes each worker node its thread's default runtime", async () => {
    const me = inbox(nodes.runtime);
    const pid = await nodes.spawn(2, fixtures, 'viaDefaultRuntime');
    nodes.runtime.send(pid, { from: me.pid });
    expect(await me.next()).toEqual({ node: 2, defaultNode: 2 });
  });

  it('rejects with RemoteSpawnError when the export is missing', async () => {
    const error = await nodes.spawn(1, fixtures, 'nothingHere').catch((e) => e);
    expect(RemoteSpawnError.is(error)).toBe(true);
    expect(error.message).toContain('has no export nothingHere');
  });

  it('rejects with UncloneableMessageError when the args cannot cross', async () => {
    const error = await nodes.spawn(1, fixtures, 'echo', [() => {}]).catch((e) => e);
    expect(UncloneableMessageError.is(error)).toBe(true);
    expect(error.path).toBe('message[0]');
  });

  it('rejects with NodeDownError for a node that is not up', async () => {
    const error = await nodes.spawn(9, fixtures, 'echo').catch((e) => e);
    expect(NodeDownError.is(error)).toBe(true);
  });

  it('rejects a relative module path, which would resolve differently on each node', async () => {
    await expect(nodes.spawn(1, './fixtures/processes.ts', 'echo')).rejects.toThrow(
      /absolute path/,
    );
  });
});

describe('startNodes() options', () => {
  it('numbers worker nodes after a runtime passed in, and leaves that runtime running', async () => {
    const runtime = new Runtime({ node: 40 });
    const nodes = await startNodes({ workers: 1, runtime });
    expect(nodes.nodes()).toEqual([40, 41]);
    await nodes.stop();
    expect(runtime.running).toBe(true);
    await runtime.stop();
  });

  it('rejects with NodeStartError when a worker cannot load its node, and leaves nothing running', async () => {
    const runtime = new Runtime({ node: 50 });
    // From source, without tsx the worker cannot import the TypeScript entry module.
    const error = await startNodes({ workers: 1, runtime, typescript: false }).catch((e) => e);
    expect(NodeStartError.is(error)).toBe(true);
    expect(error.node).toBe(51);
    expect(runtime.running).toBe(true);
    expect(runtime.send(runtime.parsePid('<51.1.0>'), 'x')).toBe(false);
    await runtime.stop();
  });

  it('throws InvalidArgumentError for an unknown option or a bad worker count', async () => {
    await expect(startNodes({ wrokers: 1 } as never)).rejects.toThrow(/options.wrokers/);
    await expect(startNodes({ workers: -1 })).rejects.toThrow(/options.workers/);
  });
});

describe('Nodes.stop()', () => {
  it('stops every worker node, reporting each down, and the runtime it made', async () => {
    const nodes = await startNodes({ workers: 1 });
    const downs: number[] = [];
    nodes.on('nodeDown', (node) => downs.push(node));
    await nodes.stop();
    expect(downs).toEqual([1]);
    expect(nodes.runtime.running).toBe(false);
  });
});

describe('Nodes.monitorNode()', () => {
  it('delivers NodeDown once to a monitoring process when the node is terminated', async () => {
    const nodes = await startNodes({ workers: 1 });
    try {
      const me = inbox(nodes.runtime);
      nodes.monitorNode(me.pid, 1);
      await nodes.terminate(1);
      const message = await me.next(isNodeDown);
      expect(message.node).toBe(1);
      expect(nodes.nodes()).toEqual([0]);
      // A node that is not up: at once.
      nodes.monitorNode(me.pid, 1);
      expect(isNodeDown(await me.next())).toBe(true);
    } finally {
      await nodes.stop();
    }
  });
});
