import type { MessagePort } from 'node:worker_threads';
import { PortTransport } from './port-transport.js';
import { createRing } from './ring.js';
import { RingTransport } from './ring-transport.js';

/** Which transport a system of nodes runs on (`StartNodesOptions.transport`). */
export type TransportKind = 'ring' | 'port';

/** Data bytes of each ring (one per direction per pair of nodes): 256 KiB, about 10,000 small frames. */
export const RING_BYTES = 1 << 18;

/** One node's two rings to a peer: `out` it writes, `in` the peer writes. */
export interface RingPair {
  out: SharedArrayBuffer;
  in: SharedArrayBuffer;
}

/** A transport a node's links are added to, whichever kind. */
export type MeshTransport = PortTransport | RingTransport;

/** For each node, its rings to every other node (two per pair), or undefined for `'port'`. */
export function meshRings(
  nodes: number[],
  kind: TransportKind,
): Map<number, Map<number, RingPair>> | undefined {
  if (kind === 'port') return undefined;
  const rings = new Map(nodes.map((n) => [n, new Map<number, RingPair>()]));
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const ab = createRing(RING_BYTES);
      const ba = createRing(RING_BYTES);
      rings.get(nodes[i]!)!.set(nodes[j]!, { out: ab, in: ba });
      rings.get(nodes[j]!)!.set(nodes[i]!, { out: ba, in: ab });
    }
  }
  return rings;
}

/**
 * The transport of node `node`: rings when its links come with them, else ports only.
 * `spinMs` is the ring transport's (unset: its default).
 */
export function meshTransport(node: number, kind: TransportKind, spinMs?: number): MeshTransport {
  if (kind !== 'ring') return new PortTransport(node);
  return new RingTransport(node, spinMs === undefined ? {} : { spinMs });
}

/** Adds `peer` to `transport`, through `port` and, for a ring transport, `rings`. */
export function addMeshPeer(
  transport: MeshTransport,
  peer: number,
  port: MessagePort,
  rings: RingPair | undefined,
): void {
  if (transport instanceof RingTransport) {
    if (rings === undefined) throw new Error(`No rings to node ${peer} for a ring transport.`);
    transport.addPeer(peer, port, rings.out, rings.in);
  } else {
    transport.addPeer(peer, port);
  }
}
