/** Node totals at one moment: one point of each dashboard chart. */
export interface NodeTotals {
  /** Ms since the epoch. */
  at: number;
  processes: number;
  /** Messages waiting in all mailboxes. */
  queued: number;
  /** Messages handled per second since the previous sample (null for the first). */
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
