/**
 * @internal The node names live in this OS process, per store. Two producers of one
 * process under one name would take each other's lease in turn, each rescuing the other's
 * jobs: the second is refused at start.
 */
import { InvalidArgumentError, type Pid, runtimeOf } from '@actorkit/core';
import type { Store } from './store.js';

/** The node names live in this OS process, per store: two live producers must not share one. */
const liveNodes = new WeakMap<Store, Map<string, Pid<any>>>();

/**
 * Takes `config.node` for the producer `self` until it exits. Two producers of one process
 * under one name would take each other's lease in turn, each rescuing the other's jobs:
 * refused here, with the fix in the message.
 */
export function claimNodeName(config: { store: Store; node: string }, self: Pid<any>): void {
  let names = liveNodes.get(config.store);
  if (names === undefined) liveNodes.set(config.store, (names = new Map()));
  const holder = names.get(config.node);
  const runtime = runtimeOf(self)!;
  if (holder !== undefined && runtime.isAlive(holder)) {
    throw new InvalidArgumentError(
      'Queue options.node',
      `a node name no other running queue of this process uses on ${config.store.description} (${holder} runs ${JSON.stringify(config.node)}); give each queue of the same name its own \`node\``,
      config.node,
    );
  }
  names.set(config.node, self);
  runtime.watch(self, () => {
    if (names.get(config.node) === self) names.delete(config.node);
  });
}

/**
 * @internal The producers of this OS process running on `store`, by node name: how the
 * Jobs view finds the PIDs of the attempts running here.
 */
export function liveProducers(store: Store): ReadonlyMap<string, Pid<any>> {
  return liveNodes.get(store) ?? new Map();
}
