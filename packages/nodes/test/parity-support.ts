import type { Pid } from '@actorkit/core';
import { type Nodes, startNodes } from '../src/nodes.js';
import { inbox } from './support.js';

/** The parity scenarios, as every node imports them. */
export const parity = new URL('./fixtures/parity.ts', import.meta.url);

/**
 * Where a parity scenario's two processes run: the scenario on node `self`, the process
 * it works on (and an echo beside it) on node `peer`. The suites run every scenario on
 * each placement and expect the same outcome: what one runtime does is what two nodes do.
 */
export interface Placement {
  name: string;
  self: number;
  peer: number;
}

/** One runtime (a worker's), the main node and a worker both ways, and two workers. */
export const placements: Placement[] = [
  { name: 'in one runtime', self: 1, peer: 1 },
  { name: 'from the main node to a worker', self: 0, peer: 1 },
  { name: 'from a worker to the main node', self: 1, peer: 0 },
  { name: 'between two worker nodes', self: 1, peer: 2 },
];

/** Nodes shared by a file's tests: `start()` in `beforeAll`, `stop()` in `afterAll`. */
export function sharedNodes(): {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly nodes: Nodes;
} {
  let nodes: Nodes | undefined;
  return {
    async start() {
      nodes = await startNodes({ workers: 2 });
    },
    async stop() {
      await nodes?.stop();
    },
    get nodes() {
      if (nodes === undefined) throw new Error('nodes not started');
      return nodes;
    },
  };
}

/**
 * Runs `scenario` on `placement.self` against a fresh `peerFn(...peerArgs)` on
 * `placement.peer` (with an echo beside it), and resolves with the scenario's result.
 * `peerFn` may be a starter (`startKv`, `startLog`, `startNamedKv`), called with
 * `(reportTo, ...peerArgs)`, that reports `{ server }`: the server is then the peer.
 */
export async function runScenario<T = any>(
  nodes: Nodes,
  placement: Placement,
  scenario: string,
  args: unknown[] = [],
  peerFn = 'peer',
  peerArgs: unknown[] = [false],
): Promise<T> {
  const me = inbox(nodes.runtime);
  let peer: Pid;
  if (peerFn.startsWith('start')) {
    await nodes.spawn(placement.peer, parity, peerFn, [me.pid, ...peerArgs]);
    peer = (await me.next<{ server: Pid }>((m) => 'server' in m)).server;
  } else peer = await nodes.spawn(placement.peer, parity, peerFn, peerArgs);
  const echo = await nodes.spawn(placement.peer, parity, 'echo');
  const driver = await nodes.spawn(placement.self, parity, scenario, [peer, echo, me.pid, ...args]);
  const { result } = await me.next<{ result: T }>((m) => 'result' in m);
  // The scenario is done: nothing of it is left running on the shared nodes.
  for (const pid of [driver, echo, peer]) nodes.runtime.exit(pid, 'kill');
  return result;
}
