import { MessageChannel, type Worker } from 'node:worker_threads';
import { PortTransport } from '../src/port-transport.js';
import type { Frame, TransportHandler } from '../src/transport.js';
import { launchWorker } from '../src/worker-launch.js';

/** A handler that records what a transport reports, and resolves waits on it. */
export class Recorder implements TransportHandler {
  readonly frames: Frame[] = [];
  readonly up: number[] = [];
  readonly down: Array<{ peer: number; reason: unknown }> = [];
  private waiters: Array<() => void> = [];

  frame(_peer: number, frame: Frame): void {
    this.frames.push(frame);
    this.poke();
  }

  peerUp(peer: number): void {
    this.up.push(peer);
    this.poke();
  }

  peerDown(peer: number, reason: unknown): void {
    this.down.push({ peer, reason });
    this.poke();
  }

  /** Resolves once `check()` is true, re-checked on every report. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => {
      const retry = () => (check() ? resolve() : this.waiters.push(retry));
      this.waiters.push(retry);
    });
  }

  private poke(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Node 0 here, node 1 in a real worker thread running the echo fixture. */
export function startEchoWorker(): {
  transport: PortTransport;
  recorder: Recorder;
  worker: Worker;
} {
  const { port1, port2 } = new MessageChannel();
  const worker = launchWorker({
    entry: new URL('./fixtures/echo-transport.ts', import.meta.url),
    data: { port: port2 },
    transferList: [port2],
  });
  const transport = new PortTransport(0);
  const recorder = new Recorder();
  transport.start(recorder);
  transport.addPeer(1, port1);
  worker.on('error', (error) => transport.disconnect(1, error));
  worker.on('exit', (code) => transport.disconnect(1, { exit: code }));
  return { transport, recorder, worker };
}
