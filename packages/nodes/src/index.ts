export { NodeAgent } from './agent.js';
export {
  NodeDownError,
  NodeStartError,
  NoNodeError,
  RemoteSpawnError,
  UncloneableMessageError,
} from './errors.js';
export {
  type GlobalNameConflict,
  GlobalNames,
  globalName,
  globalNames,
  isGlobalNameConflict,
} from './global-names.js';
export { isNodeDown, NodeDown, type NodeListener } from './node-watchers.js';
export { Nodes, type StartNodesOptions, startNodes } from './nodes.js';
export {
  type CustomPlacementOptions,
  isPlacement,
  type LeastLoadedOptions,
  leastLoaded,
  Placement,
  type PlacementChoice,
  type PlacementNodes,
  type PlacementOptions,
  type PlacementPolicy,
  placement,
  roundRobin,
} from './placement.js';
export { PortTransport } from './port-transport.js';
export { GroupChange, isGroupChange, ProcessGroups, processGroups } from './process-groups.js';
export { type RemoteChildOptions, remoteChild } from './remote-child.js';
export { type RemoteAsyncOptions, remoteAsync } from './remote-task.js';
export { createRing } from './ring.js';
export type { TransportKind } from './ring-mesh.js';
export { RingTransport, type RingTransportOptions } from './ring-transport.js';
export { transfer } from './transfer.js';
export type { Frame, Transport, TransportHandler } from './transport.js';
