import { InvalidArgumentError, type Runtime } from '@actorkit/core';
import type { NodeAgent } from './agent.js';

/**
 * The node agents attached on this thread, first attached first: how `globalNames()` and
 * `processGroups()` find this thread's node when no runtime is named (on a worker there
 * is one; on the main thread, one per `startNodes` system).
 */
const agents = new Set<NodeAgent>();

/** Adds `agent` to this thread's agents (its constructor does). */
export function addAgent(agent: NodeAgent): void {
  agents.add(agent);
}

/** Removes `agent` from this thread's agents (its `detach` does). */
export function removeAgent(agent: NodeAgent): void {
  agents.delete(agent);
}

/**
 * The node agent of `runtime`, or with none given, the one of this thread (the first
 * attached when there are several: pass the runtime then). Throws
 * `InvalidArgumentError` when there is none: nodes are not started.
 */
export function agentOf(runtime: Runtime | undefined): NodeAgent {
  for (const agent of agents) if (runtime === undefined || agent.runtime === runtime) return agent;
  throw new InvalidArgumentError(
    'runtime',
    runtime === undefined
      ? 'a thread with nodes: call startNodes() first (on a worker node, its runtime has them)'
      : 'a runtime with nodes attached (startNodes made it, or was given it)',
    runtime,
  );
}
