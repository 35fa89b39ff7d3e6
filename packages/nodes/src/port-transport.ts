import type { MessagePort } from 'node:worker_threads';
import { InvalidArgumentError } from '@actorkit/core';
import { batchTransfer } from './transfer.js';
import type { Frame, Transport, TransportHandler } from './transport.js';

/** Frames in one posted batch at most: a flood leaves in pieces the receiver takes in turns. */
const CHUNK = 4096;
/** Frames posted to a peer and not yet acknowledged, at most (one chunk more may be out). */
const WINDOW = 16384;

/** One peer's end: its port, and the frames queued for it. */
interface PeerLink {
  readonly peer: number;
  readonly port: MessagePort;
  /** Frames of this turn, not yet a batch. */
  outbox: Frame[];
  /** Batches waiting for room in the window, oldest first. */
  waiting: Frame[][];
  /** True while the link is on the list to flush. */
  queued: boolean;
  /** Frames posted and not yet acknowledged. */
  inFlight: number;
  /** Frames received and not yet acknowledged. */
  toAck: number;
  ackQueued: boolean;
  /** The buffers to move with queued frames, by frame (see `transfer()`): empty mostly. */
  transfers: Map<Frame, ArrayBuffer[]>;
}

/** What is queued for one peer (see {@link PortTransport.backlog}). */
export interface PeerBacklog {
  /** Frames posted to the peer that it has not acknowledged yet. */
  inFlight: number;
  /** Frames waiting here for room in the window. */
  waiting: number;
}

/**
 * The worker-thread transport: one `MessagePort` per peer node (a full mesh, so two
 * workers talk without going through the main thread). Frames queued during one
 * scheduler turn leave as one `postMessage` of an array, flushed in a microtask after
 * the turn: a process sending 1,000 messages to another node costs one structured
 * clone and one wake-up of the receiving thread, not 1,000.
 *
 * Flow control: at most `WINDOW` frames (16,384) are posted to a peer and not yet
 * acknowledged; the peer acknowledges once per turn of its event loop, after its
 * processes have had their run. What is sent beyond waits here, in batches of at most
 * 4,096. Without it, a producer faster than a remote consumer fills the consumer's
 * heap, and its garbage collector then takes most of its time (a flood measured at a
 * fifth of the rate); with it, the backlog stays on the producer's side, where Erlang's
 * distribution keeps it too (its dist buffer).
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
    const link: PeerLink = {
      peer,
      port,
      outbox: [],
      waiting: [],
      queued: false,
      inFlight: 0,
      toAck: 0,
      ackQueued: false,
      transfers: new Map(),
    };
    this.links.set(peer, link);
    port.on('message', (data: Frame[] | number) => {
      if (typeof data === 'number') this.acknowledged(link, data);
      else this.receive(peer, link, data);
    });
    port.on('messageerror', (error) => this.disconnect(peer, error));
    port.on('close', () => this.disconnect(peer, 'noconnection'));
    this.handler?.peerUp(peer);
  }

  send(peer: number, frame: Frame, transfer?: ArrayBuffer[]): boolean {
    const link = this.links.get(peer);
    if (link === undefined) return false;
    if (transfer !== undefined && transfer.length > 0) link.transfers.set(frame, transfer);
    const outbox = link.outbox;
    outbox.push(frame);
    if (outbox.length === CHUNK) {
      link.waiting.push(outbox);
      link.outbox = [];
    }
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
    link.waiting = [];
    link.port.close();
    this.handler?.peerDown(peer, reason);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const link of this.links.values()) {
      // Closing: what waits for the window goes now, or never.
      this.pump(link, true);
      link.port.close();
    }
    this.links.clear();
  }

  /** What is queued for `peer`: posted and unacknowledged, and waiting for the window. */
  backlog(peer: number): PeerBacklog {
    const link = this.links.get(peer);
    if (link === undefined) return { inFlight: 0, waiting: 0 };
    let waiting = link.outbox.length;
    for (const batch of link.waiting) waiting += batch.length;
    return { inFlight: link.inFlight, waiting };
  }

  /** Posts every peer's queued frames, as far as its window allows. */
  readonly flush = (): void => {
    this.flushing = false;
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const link = dirty[i]!;
      link.queued = false;
      if (link.outbox.length > 0) {
        link.waiting.push(link.outbox);
        link.outbox = [];
      }
      this.pump(link, false);
    }
    dirty.length = 0;
  };

  /** Posts waiting batches while the window has room (all of them when `force`). */
  private pump(link: PeerLink, force: boolean): void {
    const waiting = link.waiting;
    while (waiting.length > 0 && (force || link.inFlight < WINDOW)) {
      const batch = waiting.shift()!;
      link.inFlight += batch.length;
      try {
        if (link.transfers.size === 0) link.port.postMessage(batch);
        else link.port.postMessage(batch, batchTransfer(batch, link.transfers));
      } catch (error) {
        // The codec lets only clonable frames through; a batch that still fails to clone
        // is a broken link, reported as the peer's loss rather than thrown out of a microtask.
        this.disconnect(link.peer, error);
        return;
      }
    }
  }

  private acknowledged(link: PeerLink, frames: number): void {
    link.inFlight -= frames;
    if (this.links.get(link.peer) === link) this.pump(link, false);
  }

  /**
   * Acknowledges what arrived once this turn of the event loop is over (a macrotask: the
   * receiving runtime's processes run in the microtasks before it), so the sender's
   * window follows what this thread keeps up with.
   */
  private acknowledge(link: PeerLink, frames: number): void {
    link.toAck += frames;
    if (link.ackQueued) return;
    link.ackQueued = true;
    setImmediate(() => {
      link.ackQueued = false;
      if (this.links.get(link.peer) !== link || this.closed) return;
      link.port.postMessage(link.toAck);
      link.toAck = 0;
    });
  }

  private receive(peer: number, link: PeerLink, batch: Frame[]): void {
    this.acknowledge(link, batch.length);
    const handler = this.handler;
    for (let i = 0; i < batch.length; i++) {
      // A peer disconnected by a frame of this batch delivers nothing more.
      if (handler === null || this.links.get(peer) !== link) return;
      handler.frame(peer, batch[i]);
    }
  }
}
