import { Crash, ExitError, NoProcError, type Pid, TimeoutError } from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UncloneableMessageError } from '../src/errors.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { inbox } from './support.js';

const servers = new URL('./fixtures/servers.ts', import.meta.url);

let nodes: Nodes;
beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
});
afterAll(() => nodes.stop());

/** Starts a `Kv` on `node` and resolves with its PID. */
async function startKv(node: number, count = 0): Promise<Pid<any>> {
  const me = inbox(nodes.runtime);
  await nodes.spawn(node, servers, 'startKv', [me.pid, count]);
  const { server } = await me.next<{ server: Pid<any> }>();
  nodes.runtime.exit(me.pid, 'kill');
  return server;
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('GenServer.call() to a server on another node', () => {
  it('replies to the caller, PIDs in the request and the reply crossing as PIDs', async () => {
    const server = await startKv(1, 40);
    expect(server.node).toBe(1);
    expect(await GenServer.call(server, { type: 'add', by: 2 })).toBe(42);
    expect(await GenServer.call(server, { type: 'get' })).toBe(42);
    const me = inbox(nodes.runtime);
    const echoed = await GenServer.call(server, { type: 'echo', value: { pid: me.pid } });
    expect((echoed as { pid: Pid }).pid).toBe(me.pid);
  });

  it('works from inside a process, and between two worker nodes', async () => {
    const one = await startKv(1, 7);
    const two = await startKv(2);
    const answer = await new Promise((resolve) => {
      nodes.runtime.spawn(async () => {
        resolve(
          await GenServer.call(two, { type: 'callOn', server: one, request: { type: 'get' } }),
        );
      });
    });
    expect(answer).toEqual({ value: 7 });
  });

  it("rejects with TimeoutError at the caller's deadline, and the late reply is dropped", async () => {
    const server = await startKv(1, 5);
    const error = await rejection(GenServer.call(server, { type: 'defer' }, 30));
    expect(error).toBeInstanceOf(TimeoutError);
    // The deferred reply goes out now, to a call that gave up: it settles nothing else.
    GenServer.cast(server, { type: 'release', value: 'late' });
    expect(await GenServer.call(server, { type: 'get' })).toBe(5);
    expect(await GenServer.call(server, { type: 'echo', value: 'mine' })).toBe('mine');
  });

  it('delivers a deferred reply made with GenServer.reply', async () => {
    const server = await startKv(2);
    const pending = GenServer.call(server, { type: 'defer' });
    GenServer.cast(server, { type: 'release', value: { done: true } });
    expect(await pending).toEqual({ done: true });
  });

  it('delivers the reply of a process on a third node the server handed its From to', async () => {
    const server = await startKv(1, 4);
    const replier = await nodes.spawn(2, servers, 'replier');
    expect(await GenServer.call(server, { type: 'forward', to: replier })).toBe(40);
  });

  it('exits with the crash reason when the server crashes mid-call', async () => {
    const server = await startKv(1);
    const error = await rejection(GenServer.call(server, { type: 'crash' }));
    expect(error).toBeInstanceOf(ExitError);
    expect(error.pid).toBe(server);
    expect(error.reason).toBeInstanceOf(Crash);
    expect((error.reason as Crash).error).toMatchObject({ message: 'crashed on purpose' });
  });

  it('exits with the reason of a server that stops while the call waits', async () => {
    const server = await startKv(1);
    const pending = GenServer.call(server, { type: 'defer' });
    GenServer.cast(server, { type: 'stop' });
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBe('bye');
  });

  it('rejects with NoProcError for a server that is not alive, as a local call to a dead PID', async () => {
    const error = await rejection(GenServer.call(nodes.runtime.parsePid('<1.999999.0>'), 'hi'));
    expect(error).toBeInstanceOf(NoProcError);
    expect(error.reason).toBe('noproc');
  });

  it('exits with noconnection for a node that is not up', async () => {
    const error = await rejection(GenServer.call(nodes.runtime.parsePid('<9.1.0>'), 'hi'));
    expect(error).toBeInstanceOf(ExitError);
    expect(error.reason).toBe('noconnection');
  });

  it('rejects with UncloneableMessageError for a request that cannot cross', async () => {
    const server = await startKv(1);
    const error = await rejection(
      GenServer.call(server, { type: 'echo', value: () => 1 } as never),
    );
    expect(error).toBeInstanceOf(UncloneableMessageError);
  });

  it('exits with a reason naming what could not cross for a reply that cannot, and the server goes on', async () => {
    const server = await startKv(1);
    const error = await rejection(GenServer.call(server, { type: 'box' }));
    expect(error).toBeInstanceOf(ExitError);
    expect(String(error.reason)).toMatch(/instance of Box/);
    expect(await GenServer.call(server, { type: 'get' })).toBe(0);
  });
});

describe('GenServer.cast() to a server on another node', () => {
  it('crosses, its tag by name, in order with calls from the same caller', async () => {
    const server = await startKv(2, 1);
    GenServer.cast(server, { type: 'add', by: 10 });
    GenServer.cast(server, { type: 'add', by: 100 });
    expect(await GenServer.call(server, { type: 'get' })).toBe(111);
  });

  it('is dropped quietly for a server that is not alive, as a local cast is', () => {
    expect(() =>
      GenServer.cast(nodes.runtime.parsePid('<1.999999.0>'), { type: 'add' }),
    ).not.toThrow();
  });
});

describe('system requests to a server on another node', () => {
  it('getState and getStatus reply with the state and the status', async () => {
    const server = await startKv(1, 3);
    expect(await GenServer.getState(server)).toEqual({ count: 3, deferred: [] });
    const status = await GenServer.getStatus(server);
    expect(status.pid).toBe(server);
    expect(status.state).toEqual({ count: 3, deferred: [] });
  });

  it('stop resolves once the server exited with the reason', async () => {
    const server = await startKv(2);
    await GenServer.stop(server, 'done');
    const error = await rejection(GenServer.call(server, { type: 'get' }));
    expect(error.reason).toBe('noproc');
  });

  it('stop resolves for a reason that is an object, though it crosses back as a copy', async () => {
    const server = await startKv(2);
    await expect(GenServer.stop(server, { why: ['asked', 1] })).resolves.toBeUndefined();
  });

  it('replaceState rejects with UncloneableMessageError: its function cannot cross', async () => {
    const server = await startKv(1);
    const error = await rejection(GenServer.replaceState(server, (state) => state));
    expect(error).toBeInstanceOf(UncloneableMessageError);
  });
});
