// Calls waiting on a server whose node is lost for real (its thread terminated).
import { ExitError, type Pid } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nodes, startNodes } from '../src/nodes.js';
import { inbox } from './support.js';

const servers = new URL('./fixtures/servers.ts', import.meta.url);

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 1 });
});
afterAll(() => nodes.stop());

describe('GenServer.call() to a server whose node goes down', () => {
  it('exits with noconnection, for every call waiting on it, and later calls too', async () => {
    const me = inbox(nodes.runtime);
    await nodes.spawn(1, servers, 'startKv', [me.pid, 0]);
    const { server } = await me.next<{ server: Pid<any> }>();
    const pending = [1, 2, 3].map(() =>
      GenServer.call(server, { type: 'defer' }).catch((error: unknown) => error),
    );
    // The calls are on their way (one answered call proves the frames before it crossed).
    expect(await GenServer.call(server, { type: 'get' })).toBe(0);
    await nodes.terminate(1);
    for (const error of await Promise.all(pending)) {
      expect(error).toBeInstanceOf(ExitError);
      expect((error as ExitError).reason).toBe('noconnection');
      expect((error as ExitError).pid).toBe(server);
    }
    const later = await GenServer.call(server, { type: 'get' }).catch((error: unknown) => error);
    expect((later as ExitError).reason).toBe('noconnection');
  });
});
