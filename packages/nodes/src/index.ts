export {
  NodeDownError,
  NodeStartError,
  RemoteSpawnError,
  UncloneableMessageError,
} from './errors.js';
export { PortTransport } from './port-transport.js';
export type { Frame, Transport, TransportHandler } from './transport.js';
