/**
 * The entry module of a worker node (loaded by `worker/boot.mjs`): a runtime with the
 * node number the main thread gave it, a transport to every other node, and its
 * `NodeAgent`. Says 'ready' to the main thread once it is attached; on the main node's
 * `STOP` it stops its runtime and closes its ports, and the thread ends.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { Runtime } from '@actorkit/core';
import { setDefaultRuntime } from '@actorkit/core/internal';
import { NodeAgent } from './agent.js';
import { addMeshPeer, meshTransport, type RingPair, type TransportKind } from './ring-mesh.js';

const {
  node,
  ports,
  rings,
  transport: kind,
  spinMs,
} = workerData.data as {
  node: number;
  ports: Map<number, MessagePort>;
  rings: Map<number, RingPair> | undefined;
  transport: TransportKind;
  spinMs: number | undefined;
};
const runtime = new Runtime({ node });
// Code on this thread that uses defaultRuntime() (send, spawn, whereis) runs on the node.
setDefaultRuntime(runtime);
const transport = meshTransport(node, kind, spinMs);
const agent = new NodeAgent(runtime, transport);
agent.onStop = () => {
  // Once the runtime is stopped and the ports closed, nothing holds the thread: it ends
  // by itself (so profilers and exit hooks run), or is terminated after `stopTimeout`.
  runtime.stop().finally(() => agent.detach());
};
for (const [peer, port] of ports) addMeshPeer(transport, peer, port, rings?.get(peer));
parentPort!.postMessage('ready');
