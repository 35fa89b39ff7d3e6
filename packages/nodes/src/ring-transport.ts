import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { InvalidArgumentError } from '@actorkit/core';
import { DATA_WAIT, FULL, PORT_MARKER, RingReader, RingWriter, ROOM_WAIT, WROTE } from './ring.js';
import { batchTransfer } from './transfer.js';
import type { Frame, Transport, TransportHandler } from './transport.js';

/** Frames read from one peer's ring per poll: the processes they wake run between polls. */
const CHUNK = 4096;
/** The longest, in ms, a poll spins on the rings for a frame before this side sleeps. */
const SPIN_MS = 0.05;
/**
 * The least a spin shrinks to after misses, in ms. Spins happen only after this side
 * sent or was woken, so an idle node still spins not at all; this floor lets a
 * ping-pong whose sides fell asleep (a miss each, a GC, a preempted thread) get back to
 * answering within spins: at 0 it could never find out that spinning pays again.
 */
const MIN_SPIN_MS = 0.01;
/**
 * The longest, in ms, a chain of turns answered within `endTurn` spins goes on without
 * the event loop: then the answer is left to the next poll (a macrotask), so timers and
 * I/O on this thread wait at most about this long for a ping-pong, not a whole slice.
 */
const CHAIN_MS = 0.5;
/** How often, in ms, a side looks at the machine's load to decide whether spinning may pay. */
const LOAD_EVERY_MS = 100;
/** Cores; spinning pays only while the load leaves a core for each spinning thread. */
const CORES = availableParallelism();

/** When the load was last read, and whether it left room to spin (one answer per thread). */
const machine = { readAt: Number.NEGATIVE_INFINITY, roomToSpin: true, proc: true };

/**
 * True while the threads running or ready to run on the machine, this one included, are
 * fewer than its cores plus one: on a loaded machine two spinning nodes take the cores
 * their peers need to answer, and a ping-pong gets slower than with no spin at all
 * (measured at load 16 on 2 cores). Where Linux tells (`/proc/loadavg`'s running count)
 * that is the count now, read every `LOAD_EVERY_MS`: the 1-minute load average lags by
 * a minute and counts the spinning nodes' own threads, so a ping-pong's own spin, or a
 * build that ended, held spinning back for minutes while the cores were free. Elsewhere,
 * the 1-minute load average; where there is none (Windows: zeros), spinning is allowed.
 */
function roomToSpin(now: number): boolean {
  if (now - machine.readAt >= LOAD_EVERY_MS) {
    machine.readAt = now;
    machine.roomToSpin = runnable() < CORES + 1;
  }
  return machine.roomToSpin;
}

/** Threads running or ready to run now (Linux), else the 1-minute load average. */
function runnable(): number {
  if (machine.proc) {
    try {
      // "0.52 0.58 0.59 2/114 16724": the fourth field is running/total.
      const text = readFileSync('/proc/loadavg', 'latin1');
      const running = Number.parseInt(text.split(' ')[3]!, 10);
      if (Number.isInteger(running)) return running;
    } catch {
      // Not Linux: the load average it is, from now on.
    }
    machine.proc = false;
  }
  return loadavg()[0]!;
}

/** One peer: the two rings, the port beside them, and what waits for room. */
interface RingLink {
  readonly peer: number;
  readonly port: MessagePort;
  readonly out: RingWriter;
  readonly in: RingReader;
  /** True while the link is on the list to flush. */
  queued: boolean;
  /** Frames that go by the port, whose marker is in the ring: posted at the flush. */
  portOut: Frame[] | null;
  /** Batches of port frames to post at the flush, in order. */
  portReady: Frame[][];
  /** Batches that came by the port, waiting for their marker in the ring. */
  portIn: Frame[][];
  /** Frames waiting for room in the ring, in order: while any wait, the link is busy. */
  overflow: Frame[];
  /** Frames of `overflow` already moved to the ring. */
  overflowAt: number;
  /** True once `busy` said so and `drained` has not been reported since. */
  busy: boolean;
  /** True while an `Atomics.waitAsync` on the ring in (`DATA_WAIT`) is pending. */
  dataWaiter: boolean;
  /** True while an `Atomics.waitAsync` on the ring out (`ROOM_WAIT`) is pending. */
  roomWaiter: boolean;
  /** The buffers to move with port frames, by frame (see `transfer()`): empty mostly. */
  transfers: Map<Frame, ArrayBuffer[]>;
}

/** Options for {@link RingTransport}. */
export interface RingTransportOptions {
  /**
   * The longest a side spins (ms) on its rings for a frame once it has nothing else to
   * do, before it sleeps until woken: a ping-pong's next frame usually comes within
   * microseconds, sooner than a sleeping thread wakes. The spin adapts within this
   * bound: it doubles each time it paid and while frames come soon after this side went
   * to sleep, and halves each time a spin ends without one, down to 10 µs. Spins only
   * follow this side's sends and wake-ups: an idle node spins not at all.
   * With the default, no side spins while the threads running or ready to run on the
   * machine are at least its cores plus one (on Linux, counted every 100 ms; elsewhere,
   * the 1-minute load average): spinning threads would take the cores their peers need.
   * A value given here spins whatever the load. 0 never spins.
   * @default 0.05
   */
  spinMs?: number;
}

/**
 * The fast worker-thread transport: per pair of nodes two `SharedArrayBuffer` rings (one
 * each way, single producer and single consumer, see `ring.ts`) beside a `MessagePort`.
 *
 * - **Compact frames** (arrays of primitives: the flat records of `records.ts`, a PID as
 *   two numbers, a number or string message) are written straight into the ring, with
 *   no structured clone and no allocation on the sending side, and published once per
 *   scheduler turn (in a microtask after it) with one atomic store; the peer is woken
 *   (`Atomics.notify`) only if it sleeps.
 * - **Everything else** (nested objects, PIDs inside them, calls, control frames, a
 *   frame over a quarter of the ring) goes by the port, as `PortTransport` sends it; a
 *   marker in the ring holds its place, and the receiver reads the ring only up to a
 *   marker whose batch has arrived, so frames stay in the order they were sent across
 *   both paths.
 * - **Receiving**: while frames flow, each side polls its rings from `setImmediate`;
 *   when a poll finds nothing, it spins a little (adaptive, at most `spinMs`) and then
 *   sleeps on `Atomics.waitAsync` until a producer wakes it. An idle node costs no CPU;
 *   a ping-pong whose answers come within the spin skips a thread wake-up (tens of µs)
 *   per hop. Right after publishing, a side whose handler says it is `idle` (nothing
 *   else to run) spins for the answer there and then, within the same bound, and
 *   delivers it at once: the processes it wakes run in the microtasks that follow, with
 *   no trip through the event loop between a frame's arrival and its receiver's turn.
 *   Such a chain of turns still ends when the scheduler's slice does (it then continues
 *   from `setImmediate`, and is no longer idle), so timers and I/O keep their turn.
 * - **Flow control**: when a peer's ring is full, frames wait here in order and the link
 *   is `busy`: the node layer suspends the sending process (as the BEAM suspends a sender
 *   to a busy distribution port), so a fast producer stops taking turns instead of
 *   filling its heap. `drained` comes once what waited is in the ring and the ring is at
 *   most half full.
 *
 * A peer is down, once, when its port closes (its thread exited, crashed or was
 * terminated), when a port batch cannot be deserialized, or on `disconnect`; what it had
 * published before is delivered first.
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * const ab = createRing(1 << 18), ba = createRing(1 << 18);
 * const a = new RingTransport(0);
 * const b = new RingTransport(1);
 * a.start(handlerA); b.start(handlerB);
 * a.addPeer(1, port1, ab, ba); b.addPeer(0, port2, ba, ab);
 * a.send(1, [11, 7, 0, 'hello']); // handlerB.frame(0, [11, 7, 0, 'hello']) soon after this turn
 */
export class RingTransport implements Transport {
  private handler: TransportHandler | null = null;
  private readonly links = new Map<number, RingLink>();
  private list: RingLink[] = [];
  private readonly dirty: RingLink[] = [];
  private flushing = false;
  private closed = false;
  /** 'poll' while polling from setImmediate, 'sleep' while waiting to be woken. */
  private state: 'poll' | 'sleep' = 'sleep';
  private readonly spinMs: number;
  /** True when `spinMs` was given: the load average does not hold the spin back. */
  private readonly spinAlways: boolean;
  /** How long the next spin may last (ms): adapts between `minSpin` and `spinMs`. */
  private spin: number;
  /** The least a spin shrinks to (ms): `MIN_SPIN_MS`, or `spinMs` when smaller. */
  private readonly minSpin: number;
  /** When the current chain of `endTurn` spins began (see `CHAIN_MS`), or -1 after a poll. */
  private chainedSince = -1;
  /** When this side last went to sleep (performance.now()). */
  private sleptAt = 0;

  constructor(
    readonly node: number,
    options: RingTransportOptions = {},
  ) {
    for (const key of Object.keys(options)) {
      if (key !== 'spinMs') {
        throw new InvalidArgumentError(`options.${key}`, 'spinMs (RingTransport)', key);
      }
    }
    this.spinMs = nonNegative(options.spinMs, 'spinMs', SPIN_MS);
    this.spinAlways = options.spinMs !== undefined;
    this.spin = this.spinMs;
    this.minSpin = Math.min(this.spinMs, MIN_SPIN_MS);
  }

  start(handler: TransportHandler): void {
    if (this.handler !== null) throw new Error(`RingTransport ${this.node} was already started.`);
    this.handler = handler;
    for (const peer of this.links.keys()) handler.peerUp(peer);
    this.wake();
  }

  /**
   * Adds `peer`, reached through `port` and the rings `out` (this node writes) and `in`
   * (the peer writes), whose other ends the peer holds. Reports `peerUp` once started.
   */
  addPeer(peer: number, port: MessagePort, out: SharedArrayBuffer, inn: SharedArrayBuffer): void {
    if (this.closed) return;
    if (this.links.has(peer)) {
      throw new InvalidArgumentError('peer', `a node not yet linked to node ${this.node}`, peer);
    }
    const link: RingLink = {
      peer,
      port,
      out: new RingWriter(out),
      in: new RingReader(inn),
      queued: false,
      portOut: null,
      portReady: [],
      portIn: [],
      overflow: [],
      overflowAt: 0,
      busy: false,
      dataWaiter: false,
      roomWaiter: false,
      transfers: new Map(),
    };
    this.links.set(peer, link);
    this.list = [...this.links.values()];
    port.on('message', (batch: Frame[]) => {
      link.portIn.push(batch);
      this.wake(true);
    });
    port.on('messageerror', (error) => this.disconnect(peer, error));
    port.on('close', () => this.disconnect(peer, 'noconnection'));
    this.handler?.peerUp(peer);
    if (this.handler !== null) this.wake();
  }

  send(peer: number, frame: Frame, transfer?: ArrayBuffer[]): boolean {
    const link = this.links.get(peer);
    if (link === undefined) return false;
    // A frame with buffers to move holds an object: never compact, it goes by the port.
    if (transfer !== undefined && transfer.length > 0) link.transfers.set(frame, transfer);
    if (link.overflow.length > 0 || !this.place(link, frame as unknown[])) {
      link.overflow.push(frame);
      link.busy = true;
    }
    if (!link.queued) {
      link.queued = true;
      this.dirty.push(link);
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(this.endTurn);
      }
    }
    return true;
  }

  /**
   * True while frames for `peer` wait for room in its ring: the node layer suspends the
   * process that sent. `drained(peer)` follows once they are in the ring and it is at
   * most half full.
   */
  busy(peer: number): boolean {
    return this.links.get(peer)?.busy === true;
  }

  peers(): number[] {
    return [...this.links.keys()];
  }

  /**
   * Reports `peer` down with `reason` and closes its port, after delivering what it had
   * published; frames still waiting for it are dropped. Does nothing for a peer not up.
   */
  disconnect(peer: number, reason: unknown): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    this.receive(link, Number.POSITIVE_INFINITY);
    this.links.delete(peer);
    this.list = [...this.links.values()];
    link.overflow = [];
    link.portOut = null;
    link.portReady = [];
    link.port.close();
    this.handler?.peerDown(peer, reason);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const link of this.links.values()) {
      // Closing: what still waits for room goes now if it fits, or never.
      this.pump(link);
      this.publish(link);
      link.port.close();
    }
    this.links.clear();
    this.list = [];
  }

  /** Publishes every peer's frames of this turn and posts its port batches. */
  readonly flush = (): void => {
    this.flushing = false;
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const link = dirty[i]!;
      link.queued = false;
      if (link.overflow.length > 0) this.pump(link);
      this.publish(link);
    }
    dirty.length = 0;
    // An answer may come soon: look for it (spinning, if that has paid lately).
    if (this.state === 'sleep') this.wake();
  };

  /**
   * The microtask after a turn that sent: publishes (`flush`), then, with nothing else
   * to run on this node, waits here for the answer, which is most likely microseconds
   * away, sooner than this thread could go back to the event loop and be woken (bounded
   * and adaptive, see `spinMs`). What comes is delivered at once, and the processes it
   * wakes run in the microtasks right after. A `flush` called directly (at `close`, or
   * by the node layer) never waits. A chain of such turns gives the event loop its turn
   * every `CHAIN_MS`.
   */
  private readonly endTurn = (): void => {
    this.flush();
    if (this.closed || this.spin === 0 || this.handler?.idle?.() !== true) return;
    const now = performance.now();
    if (this.chainedSince < 0) this.chainedSince = now;
    // The event loop's turn: the poll it runs (one is due whenever this side is not
    // asleep) takes the answer, and a new chain begins.
    else if (now - this.chainedSince >= CHAIN_MS) return;
    if (this.maySpin()) this.spun();
  };

  /** True when this side may spin now: always with an explicit `spinMs`, else while the load leaves room. */
  private maySpin(): boolean {
    return this.spinAlways || roomToSpin(performance.now());
  }

  /** Writes `frame` to the ring, or its marker with the frame for the port: false when full. */
  private place(link: RingLink, frame: unknown[]): boolean {
    const wrote = link.out.write(frame);
    if (wrote === WROTE) {
      if (link.portOut !== null) {
        link.portReady.push(link.portOut);
        link.portOut = null;
      }
      return true;
    }
    if (wrote === FULL) return false;
    if (link.portOut === null) {
      if (!link.out.writeMarker()) return false;
      link.portOut = [];
    }
    link.portOut.push(frame);
    return true;
  }

  /** Moves what waits for room into the ring, as far as it goes. */
  private pump(link: RingLink): void {
    const overflow = link.overflow;
    let at = link.overflowAt;
    while (at < overflow.length && this.place(link, overflow[at] as unknown[])) at++;
    if (at === overflow.length) {
      link.overflow = [];
      link.overflowAt = 0;
    } else {
      link.overflowAt = at;
    }
  }

  private publish(link: RingLink): void {
    if (link.portOut !== null) {
      link.portReady.push(link.portOut);
      link.portOut = null;
    }
    const ready = link.portReady;
    if (ready.length > 0) {
      link.portReady = [];
      for (const batch of ready) {
        try {
          if (link.transfers.size === 0) link.port.postMessage(batch);
          else link.port.postMessage(batch, batchTransfer(batch, link.transfers));
        } catch (error) {
          // The codec lets only clonable frames through; one that still fails is a broken
          // link, reported as the peer's loss rather than thrown out of a microtask.
          this.disconnect(link.peer, error);
          return;
        }
      }
    }
    if (link.out.unpublished > 0) link.out.publish();
  }

  /**
   * Starts polling (idempotent): traffic may be coming. `now` polls at once (a peer's
   * wake-up or a port batch is a macrotask of its own), else from `setImmediate`.
   */
  private wake(now = false): void {
    if (this.state === 'poll' || this.closed || this.handler === null) return;
    this.state = 'poll';
    if (now) this.poll();
    else setImmediate(this.poll);
  }

  /**
   * One poll: reads every ring and moves waiting frames into rings that made room; polls
   * again from `setImmediate` while frames move, else spins (see `spinMs`) and sleeps.
   */
  private readonly poll = (): void => {
    if (this.closed) return;
    this.chainedSince = -1;
    if (this.pollOnce() > 0 || (this.spin > 0 && this.maySpin() && this.spun())) {
      setImmediate(this.poll);
      return;
    }
    this.sleep();
  };

  /** Spins up to `spin` ms for a frame: true when one came (and was read). */
  private spun(): boolean {
    const until = performance.now() + this.spin;
    let looks = 0;
    do {
      if (this.anyReadable() && this.pollOnce() > 0) {
        // It paid: spin longer next time, up to the bound.
        this.spin = Math.min(this.spinMs, this.spin * 2);
        return true;
      }
      // The clock costs more than a look at the rings: read it every 16 looks.
    } while ((++looks & 15) !== 0 || performance.now() < until);
    // Spinning did not pay this time: spin less next time, down to `minSpin`.
    this.spin = Math.max(this.minSpin, this.spin / 2);
    return false;
  }

  /** Woken by a peer `ms` after going to sleep: had spinning lasted that long, it would have paid. */
  private adapt(ms: number): void {
    if (ms >= this.spinMs) return;
    this.spin = Math.min(this.spinMs, Math.max(this.spin * 2, ms * 2));
  }

  private anyReadable(): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const link = list[i]!;
      if (link.in.readable() || (link.busy && link.out.free() >= link.out.capacity >>> 1)) {
        return true;
      }
    }
    return false;
  }

  /** Reads every ring once and serves links waiting for room; returns the frames moved. */
  private pollOnce(): number {
    let moved = 0;
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const link = list[i]!;
      if (this.links.get(link.peer) !== link) continue;
      moved += this.receive(link, CHUNK);
      if (link.busy) moved += this.room(link);
    }
    return moved;
  }

  /** A busy link: moves waiting frames into the ring; reports `drained` once all are in and half the ring is free. */
  private room(link: RingLink): number {
    const before = link.overflow.length - link.overflowAt;
    if (before > 0) {
      this.pump(link);
      this.publish(link);
    }
    const left = link.overflow.length - link.overflowAt;
    if (left === 0 && link.out.free() >= link.out.capacity >>> 1) {
      link.busy = false;
      this.handler?.drained?.(link.peer);
    }
    return before - left;
  }

  /** Delivers what `link`'s ring holds, at most `max` frames; stops at a marker whose batch has not come. */
  private receive(link: RingLink, max: number): number {
    const handler = this.handler;
    if (handler === null) return 0;
    const peer = link.peer;
    return link.in.read((frame) => {
      if (frame !== PORT_MARKER) {
        // A peer disconnected by an earlier frame delivers nothing more.
        if (this.links.get(peer) === link) handler.frame(peer, frame);
        return true;
      }
      const batch = link.portIn.shift();
      if (batch === undefined) return false;
      for (let i = 0; i < batch.length; i++) {
        if (this.links.get(peer) !== link) break;
        handler.frame(peer, batch[i]);
      }
      return true;
    }, max);
  }

  /** Nothing moved: sleep until a peer publishes, makes room, or a port batch comes. */
  private sleep(): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const link = list[i]!;
      if (!link.in.askForData()) return void setImmediate(this.poll);
      if (link.busy && !link.out.askForRoom()) return void setImmediate(this.poll);
    }
    this.state = 'sleep';
    this.sleptAt = performance.now();
    for (let i = 0; i < list.length; i++) {
      const link = list[i]!;
      // One waiter per cell at most: an earlier one still pending wakes this side as well.
      if (!link.dataWaiter) this.waitOn(link, link.in.cells, DATA_WAIT);
      if (link.busy && !link.roomWaiter) this.waitOn(link, link.out.cells, ROOM_WAIT);
    }
  }

  private waitOn(link: RingLink, cells: Int32Array, index: number): void {
    const result = waitAsync(cells, index, 1);
    if (!result.async) {
      this.wake();
      return;
    }
    if (index === DATA_WAIT) link.dataWaiter = true;
    else link.roomWaiter = true;
    void result.value.then(() => {
      if (index === DATA_WAIT) link.dataWaiter = false;
      else link.roomWaiter = false;
      if (this.state === 'sleep') this.adapt(performance.now() - this.sleptAt);
      this.wake(true);
    });
  }
}

/** `Atomics.waitAsync` (Node 16+; TypeScript's lib declares it from es2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`options.${name}`, 'a finite number of ms >= 0', value);
  }
  return value;
}
