/** Node totals at one moment: one point of each dashboard chart. */
export interface NodeTotals {
  /** Ms since the epoch. */
  at: number;
  /**
   * When the walk over every process that gave `queued` and `messagesPerSec` (and the
   * busiest rows) ended: `at` itself on a small node; on a big one, walks take longer
   * than the sample interval and the samples between them carry the last walk's figures.
   */
  walkedAt: number;
  processes: number;
  /** Messages waiting in all mailboxes (at `walkedAt`). */
  queued: number;
  /** Messages handled per second, summed over the processes' rates (at `walkedAt`; null before a second walk). */
  messagesPerSec: number | null;
  /** Supervisor restarts per second since the previous sample (null for the first). */
  restartsPerSec: number | null;
  /** Mean event-loop delay since the previous sample, in ms. */
  eventLoopLagMs: number | null;
  /** The longest event-loop delay since the previous sample, in ms. */
  eventLoopLagMaxMs: number | null;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

/** A fixed-size ring of samples, oldest first when read. */
export class History {
  private readonly items: NodeTotals[] = [];

  constructor(private readonly size: number) {}

  push(totals: NodeTotals): void {
    this.items.push(totals);
    if (this.items.length > this.size) this.items.shift();
  }

  toArray(): NodeTotals[] {
    return [...this.items];
  }

  get latest(): NodeTotals | undefined {
    return this.items.at(-1);
  }
}
