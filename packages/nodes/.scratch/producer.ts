import { MessageChannel } from 'node:worker_threads';
import { type Pid, Runtime } from '@actorkit/core';
import { NodeAgent } from '../src/agent.js';
import { PortTransport } from '../src/port-transport.js';
import type { Transport, TransportHandler } from '../src/transport.js';

const N = 1_000_000;
const mode = process.env.MODE ?? 'fake';
let handler!: TransportHandler;
let transport: Transport;
let other: MessageChannel | undefined;
if (mode === 'micro') {
  let q = false;
  transport = {
    node: 0,
    start(h) {
      handler = h;
    },
    send() {
      if (!q) {
        q = true;
        queueMicrotask(() => {
          q = false;
        });
      }
      return true;
    },
    peers() {
      return [1];
    },
    close() {},
  };
} else if (mode === 'imm') {
  let q = false;
  transport = {
    node: 0,
    start(h) {
      handler = h;
    },
    send() {
      if (!q) {
        q = true;
        setImmediate(() => {
          q = false;
        });
      }
      return true;
    },
    peers() {
      return [1];
    },
    close() {},
  };
} else if (mode === 'fake') {
  transport = {
    node: 0,
    start(h) {
      handler = h;
    },
    send() {
      return true;
    },
    peers() {
      return [1];
    },
    close() {},
  };
} else {
  other = new MessageChannel();
  const t = new PortTransport(0);
  transport = t;
  // The far end: a port in this same thread that drops what it gets (no acks: window fills).
  other.port2.on('message', () => {});
  setTimeout(() => {}, 0);
  (t as any).__add = () => t.addPeer(1, other!.port1);
}
const runtime = new Runtime({ node: 0 });
new NodeAgent(runtime, transport);
if (mode !== 'port') handler.peerUp(1);
else (transport as any).__add();
const to = runtime.parsePid('<1.5.0>');
let sent = 0;
let resolve!: () => void;
const done = new Promise<void>((r) => (resolve = r));
const start = performance.now();
const self: Pid<'go'> = runtime.spawn<'go'>({
  handle(_m, ctx) {
    const end = Math.min(N, sent + 1000);
    for (; sent < end; sent++) ctx.send(to, { i: sent, text: 'hello' });
    if (sent < N) ctx.send(self, 'go');
    else resolve();
  },
});
runtime.send(self, 'go');
await done;
console.log(mode, (N / ((performance.now() - start) / 1000) / 1e6).toFixed(2), 'M/s');
process.exit(0);
