// The worker side of `transport-floor.ts`: node 1 of a RingTransport whose one peer is
// node 0, echoing each frame back as it came. Its handler says it is idle (it runs
// nothing else), so it waits for the next frame right after echoing, as a node does.
import { type MessagePort, workerData } from 'node:worker_threads';
import { RingTransport } from '../src/ring-transport.js';
import { spinOptions } from './spin-options.js';

const { port, out, inn } = workerData.data as {
  port: MessagePort;
  out: SharedArrayBuffer;
  inn: SharedArrayBuffer;
};
const transport = new RingTransport(1, spinOptions());
transport.start({
  frame(peer, frame) {
    transport.send(peer, frame);
  },
  peerUp() {},
  peerDown() {},
  idle: () => true,
});
transport.addPeer(0, port, out, inn);
