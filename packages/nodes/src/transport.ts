/**
 * What carries frames between nodes. A transport knows nothing of processes or PIDs: it
 * moves opaque frames (structured-clonable values the node layer builds) from this node
 * to a peer node, in order, and says when a peer comes up and when it goes down. The
 * node layer (`NodeAgent`) turns frames into sends, monitors and links, and a peer going
 * down into `noconnection` for every monitor and link across it.
 *
 * Built: {@link RingTransport} (SharedArrayBuffer rings beside MessagePorts, the default)
 * and {@link PortTransport} (MessagePorts only), for worker threads. The README's design note
 * shows how a RabbitMQ transport (one queue per node, the broker connection's liveness as
 * the node's) fits the same interface.
 *
 * What a transport must guarantee, and the node layer relies on:
 * - **Order**: frames from this node to one peer arrive in the order `send` was called
 *   (Erlang's ordering between a pair of processes follows from it).
 * - **Down is final**: after `peerDown(peer)` no frame from that peer is delivered, and
 *   `send` to it returns false. A node that comes back is a new peer (`peerUp` again).
 * - **No throw into the caller for a lost peer**: a peer that vanished is a `peerDown`,
 *   never an exception out of `send`.
 */

/** A frame: a value the transport carries as it is (for worker threads, a structured clone). */
export type Frame = unknown;

/** What the node layer gives a transport to call back: frames in, peers up and down. */
export interface TransportHandler {
  /** A frame arrived from `peer`, in the order `peer` sent it. */
  frame(peer: number, frame: Frame): void;
  /** `peer` is reachable: frames sent to it from now on are delivered. */
  peerUp(peer: number): void;
  /** `peer` is gone (its thread exited, crashed or was terminated; its connection closed). Called once per peer. */
  peerDown(peer: number, reason: unknown): void;
  /**
   * What waited for `peer` after `busy(peer)` said true has gone out, and there is room
   * again: processes suspended for sending to it may go on. Only transports with
   * `busy` call it.
   */
  drained?(peer: number): void;
  /**
   * True when this node has nothing else to run now (its scheduler's queue is empty): a
   * transport may then wait a few microseconds for a peer's answer within the current
   * task instead of going back to the event loop. Transports that never wait ignore it.
   */
  idle?(): boolean;
}

/**
 * Frames out, frames in, peers up and down: the interface every transport implements.
 *
 * @example
 * const transport: Transport = new PortTransport(1);
 * transport.start({ frame: (peer, f) => {}, peerUp: () => {}, peerDown: () => {} });
 * transport.send(0, ['hello']);
 */
export interface Transport {
  /** The node number of this end. */
  readonly node: number;
  /** Starts delivering to `handler`. Called once, before any `send`. */
  start(handler: TransportHandler): void;
  /**
   * Queues `frame` for `peer`; returns false (and drops it) if `peer` is not up. A
   * transport may batch: frames queued in one scheduler turn leave together.
   * `transfer`, when given, lists ArrayBuffers inside `frame` to move rather than copy
   * (a `postMessage` transfer list; see `transfer()`): a transport that cannot move them
   * copies them.
   */
  send(peer: number, frame: Frame, transfer?: ArrayBuffer[]): boolean;
  /**
   * Flow control, optional: true while frames for `peer` wait beyond what the transport
   * has room for (Erlang's busy distribution port). The node layer then suspends the
   * process that sent until `handler.drained(peer)`, so a producer faster than the link
   * is slowed down instead of piling frames up in its heap. A transport without it never
   * slows a sender.
   */
  busy?(peer: number): boolean;
  /** The peers that are up now. */
  peers(): number[];
  /** Flushes what is queued, closes every peer link, and reports nothing more. */
  close(): void;
}
