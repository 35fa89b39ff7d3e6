import type { MessagePort } from 'node:worker_threads';
import { InvalidArgumentError } from '@actorkit/core';
import type { Frame, Transport, TransportHandler } from './transport.js';

/** One peer's end: its port and the frames queued for it since the last flush. */
interface PeerLink {
  readonly port: MessagePort;
  outbox: Frame[];
  queued: boolean;
}

/**
 * The worker-thread transport: one `MessagePort` per peer node (a full mesh, so two
 * workers talk without going through the main thread). Frames queued during one
 * scheduler turn leave as one `postMessage` of an array, flushed in a microtask after
 * the turn: a process sending 1,000 messages to another node costs one structured
 * clone and one wake-up of the receiving thread, not 1,000.
 *
 * A peer is down, once, when its port closes (the thread behind it exited, crashed or
 * was terminated: Node closes its ports), when a batch from it cannot be deserialized,
 * or when the owner calls `disconnect` (the main thread does on a worker's `exit` and
 * `error` events, which may come before the port's `close`).
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * const a = new PortTransport(0);
 * const b = new PortTransport(1);
 * a.start(handlerA); b.start(handlerB);
 * a.addPeer(1, port1); b.addPeer(0, port2);
 * a.send(1, ['hello']); // handlerB.frame(0, ['hello']) after this turn
 */
export class PortTransport implements Transport {
  private handler: TransportHandler | null = null;
  private readonly links = new Map<number, PeerLink>();
  private readonly dirty: PeerLink[] = [];
  private flushing = false;
  private closed = false;

  constructor(readonly node: number) {}

  start(handler: TransportHandler): void {
    if (this.handler !== null) throw new Error(`PortTransport ${this.node} was already started.`);
    this.handler = handler;
    for (const peer of this.links.keys()) handler.peerUp(peer);
  }

  /**
   * Adds `peer`, reached through `port` (the other end of a `MessageChannel` whose far
   * end the peer holds). Reports `peerUp` once started. A peer already up is an error:
   * a node that came back must first be reported down.
   */
  addPeer(peer: number, port: MessagePort): void {
    if (this.closed) return;
    if (this.links.has(peer)) {
      throw new InvalidArgumentError('peer', `a node not yet linked to node ${this.node}`, peer);
    }
    const link: PeerLink = { port, outbox: [], queued: false };
    this.links.set(peer, link);
    port.on('message', (batch: Frame[]) => this.receive(peer, link, batch));
    port.on('messageerror', (error) => this.disconnect(peer, error));
    port.on('close', () => this.disconnect(peer, 'noconnection'));
    this.handler?.peerUp(peer);
  }

  send(peer: number, frame: Frame): boolean {
    const link = this.links.get(peer);
    if (link === undefined) return false;
    link.outbox.push(frame);
    if (!link.queued) {
      link.queued = true;
      this.dirty.push(link);
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(this.flush);
      }
    }
    return true;
  }

  peers(): number[] {
    return [...this.links.keys()];
  }

  /**
   * Reports `peer` down with `reason` and closes its port; frames still queued for it
   * are dropped. Does nothing for a peer that is not up.
   */
  disconnect(peer: number, reason: unknown): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    this.links.delete(peer);
    link.outbox = [];
    link.port.close();
    this.handler?.peerDown(peer, reason);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const link of this.links.values()) link.port.close();
    this.links.clear();
  }

  /** Posts every peer's queued frames, one array per peer. */
  readonly flush = (): void => {
    this.flushing = false;
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const link = dirty[i]!;
      const batch = link.outbox;
      link.outbox = [];
      link.queued = false;
      if (batch.length === 0) continue;
      try {
        link.port.postMessage(batch);
      } catch (error) {
        // The codec lets only clonable frames through; a batch that still fails to clone
        // is a broken link, reported as the peer's loss rather than thrown out of a microtask.
        this.disconnect(this.peerOf(link), error);
      }
    }
    dirty.length = 0;
  };

  private peerOf(link: PeerLink): number {
    for (const [peer, candidate] of this.links) if (candidate === link) return peer;
    return -1;
  }

  private receive(peer: number, link: PeerLink, batch: Frame[]): void {
    const handler = this.handler;
    for (let i = 0; i < batch.length; i++) {
      // A peer disconnected by a frame of this batch delivers nothing more.
      if (handler === null || this.links.get(peer) !== link) return;
      handler.frame(peer, batch[i]);
    }
  }
}
