export { NodeAgent } from './agent.js';
export {
  NodeDownError,
  NodeStartError,
  RemoteSpawnError,
  UncloneableMessageError,
} from './errors.js';
export { isNodeDown, NodeDown, type NodeListener } from './node-watchers.js';
export { Nodes, type StartNodesOptions, startNodes } from './nodes.js';
export { PortTransport } from './port-transport.js';
export type { Frame, Transport, TransportHandler } from './transport.js';
