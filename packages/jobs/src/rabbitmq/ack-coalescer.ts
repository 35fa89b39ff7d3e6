/**
 * @internal The acks of one consumer channel, coalesced: a settled delivery is acked at
 * the end of the current microtask, together with every other delivery settled by then,
 * as one `basic.ack` with `multiple` ("every delivery up to this tag") for the longest run
 * of settled deliveries at the front of the channel's outstanding ones. Each ack frame is
 * a socket write for the client and a settle command through the quorum queue's Raft log
 * for the broker, so a batch of completions costs one instead of one per job.
 *
 * It never acks a delivery that has not settled: a settled delivery behind an unsettled
 * one (jobs finish out of order) is acked on its own at the same flush, not held back,
 * since an unacked delivery also holds one of the channel's prefetch slots; the multiple
 * ack never reaches past the first unsettled delivery. A delivery given back (nacked) by
 * the caller is `release`d: the broker no longer counts it as outstanding. One coalescer
 * serves one channel (delivery tags are per channel) and is `close`d with it, after which
 * it sends nothing: what it held went back to the broker with the channel.
 */

/** @internal What the coalescer needs of a delivery: its tag on its channel. */
export interface Tagged {
  readonly fields: { readonly deliveryTag: number };
}

/** @internal */
export class AckCoalescer<M extends Tagged> {
  /** Deliveries neither acked nor released, in delivery (tag) order. */
  private outstanding: M[] = [];
  private readonly settled = new Set<M>();
  private scheduled = false;
  private closed = false;

  /**
   * @param send writes one ack frame: `message`'s tag, and whether it covers every
   * outstanding delivery up to it (`multiple`).
   * @param schedule runs the flush later; the end of the current microtask by default.
   */
  constructor(
    private readonly send: (message: M, multiple: boolean) => void,
    private readonly schedule: (flush: () => void) => void = queueMicrotask,
  ) {}

  /** Deliveries neither acked nor released. */
  get size(): number {
    return this.outstanding.length;
  }

  /** Records a delivery of the channel; tags arrive in increasing order. */
  delivered(message: M): void {
    if (!this.closed) this.outstanding.push(message);
  }

  /** Marks `message` settled: it is acked at the next flush. Ignored once closed. */
  settle(message: M): void {
    if (this.closed || this.settled.has(message)) return;
    this.settled.add(message);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Forgets `message`: the caller gave it back to the broker (nack, reject). */
  release(message: M): void {
    const at = this.outstanding.indexOf(message);
    if (at >= 0) this.outstanding.splice(at, 1);
    this.settled.delete(message);
  }

  /** Sends the acks of every settled delivery now. */
  flush(): void {
    const settled = this.settled;
    if (this.closed || settled.size === 0) return;
    const outstanding = this.outstanding;
    let run = 0;
    while (run < outstanding.length && settled.has(outstanding[run]!)) run++;
    const last = run > 0 ? outstanding[run - 1] : undefined;
    // The usual case: every settled delivery is in the run at the front.
    if (run === settled.size) {
      outstanding.splice(0, run);
      settled.clear();
      this.send(last!, run > 1);
      return;
    }
    const rest: M[] = [];
    const singles: M[] = [];
    for (let i = run; i < outstanding.length; i++) {
      const message = outstanding[i]!;
      if (settled.has(message)) singles.push(message);
      else rest.push(message);
    }
    this.outstanding = rest;
    settled.clear();
    if (last !== undefined) this.send(last, run > 1);
    for (const message of singles) this.send(message, false);
  }

  /** The channel is gone: its deliveries went back to the broker; nothing more is sent. */
  close(): void {
    this.closed = true;
    this.outstanding = [];
    this.settled.clear();
  }
}
