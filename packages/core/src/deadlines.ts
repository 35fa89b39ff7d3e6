import type { Clock } from './clock.js';
import type { TimerRef, TimerService } from './timers.js';

/**
 * Something that expires `ms` after it was added to the runtime's deadlines (see
 * `@actorkit/core/internal`), unless removed first: an intrusive list node, so adding
 * and removing allocate nothing.
 */
export interface DeadlineNode {
  /** When it expires on the runtime's clock; Infinity until it is stamped. */
  deadline: number;
  /** The queue holding it (internal), or null. */
  deadlineQueue: object | null;
  prevDeadline: DeadlineNode | null;
  nextDeadline: DeadlineNode | null;
  /** Runs once, from the runtime's timers, when the deadline passes. */
  expire(): void;
}

/** @internal The nodes added with one timeout length, in deadline order. */
export class DeadlineQueue {
  head: DeadlineNode | null = null;
  tail: DeadlineNode | null = null;
  /** The first node not yet stamped; every node after it is unstamped too. */
  unstamped: DeadlineNode | null = null;
  /** True while it is on the list of queues to stamp. */
  listed = false;
  timer: TimerRef | null = null;

  constructor(readonly ms: number) {}
}

/**
 * @internal Timeouts for request/reply (a `GenServer.call` waiting for its reply). Nodes
 * added with the same timeout expire in the order they were added, so each length
 * keeps a FIFO with a single timer, armed for its oldest node. Removing a node is O(1)
 * and touches no timer: a million sequential calls arm about one timer every `ms`
 * instead of setting and cancelling one per call. The timer is weak; the queue keeps
 * the host process alive only while it has nodes.
 *
 * Adding a node reads no clock: the scheduler's run stamps every node still pending at
 * its end, with one clock reading (see `stamp`). A call answered within the run that
 * made it, the usual case, never reads the clock. A deadline therefore counts from the
 * end of that run: never early, at most a slice late (plus the timer queue's slack while
 * it is busy, see `TimerService`), and exact on a `VirtualClock`. A timeout longer than a
 * Node timer can wait (2^31 − 1 ms) is reached in steps, as every timer is.
 */
export class Deadlines {
  private readonly queues = new Map<number, DeadlineQueue>();
  private last: DeadlineQueue | null = null;
  /** Queues with unstamped nodes, or that had some since the last `stamp`. */
  private readonly toStamp: DeadlineQueue[] = [];
  private unstampedCount = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timers: TimerService,
    private readonly wake: () => void,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** True when nodes wait for `stamp`. */
  get hasUnstamped(): boolean {
    return this.unstampedCount > 0;
  }

  add(node: DeadlineNode, ms: number): void {
    let queue = this.last;
    if (queue === null || queue.ms !== ms) {
      queue = this.queues.get(ms) ?? this.open(ms);
      this.last = queue;
    }
    node.deadline = Number.POSITIVE_INFINITY;
    node.deadlineQueue = queue;
    node.nextDeadline = null;
    node.prevDeadline = queue.tail;
    if (queue.tail === null) {
      queue.head = node;
      this.timers.hold();
      if (queue.timer === null) this.arm(queue, ms);
    } else {
      queue.tail.nextDeadline = node;
    }
    queue.tail = node;
    if (queue.unstamped === null) queue.unstamped = node;
    if (!queue.listed) {
      queue.listed = true;
      this.toStamp.push(queue);
    }
    if (this.unstampedCount++ === 0) this.wake();
  }

  /** Stamps every node added since the last call: each expires its queue's `ms` after `now`. */
  stamp(now: number): void {
    for (const queue of this.toStamp) {
      for (let node = queue.unstamped; node !== null; node = node.nextDeadline) {
        node.deadline = now + queue.ms;
      }
      queue.unstamped = null;
      queue.listed = false;
    }
    this.toStamp.length = 0;
    this.unstampedCount = 0;
  }

  remove(node: DeadlineNode): void {
    const queue = node.deadlineQueue as DeadlineQueue | null;
    if (queue === null) return;
    const { prevDeadline, nextDeadline } = node;
    // A queue emptied of its unstamped nodes stays listed until the next `stamp`.
    if (node.deadline === Number.POSITIVE_INFINITY) {
      this.unstampedCount--;
      if (queue.unstamped === node) queue.unstamped = nextDeadline;
    }
    if (prevDeadline === null) queue.head = nextDeadline;
    else prevDeadline.nextDeadline = nextDeadline;
    if (nextDeadline === null) queue.tail = prevDeadline;
    else nextDeadline.prevDeadline = prevDeadline;
    node.deadlineQueue = node.prevDeadline = node.nextDeadline = null;
    if (queue.head === null) this.timers.release();
  }

  private open(ms: number): DeadlineQueue {
    const queue = new DeadlineQueue(ms);
    this.queues.set(ms, queue);
    return queue;
  }

  private arm(queue: DeadlineQueue, delay: number): void {
    queue.timer = this.timers.add(delay, undefined, undefined, () => this.fire(queue), null, true);
  }

  private fire(queue: DeadlineQueue): void {
    queue.timer = null;
    const now = this.clock.now();
    for (let node = queue.head; node !== null && node.deadline <= now; node = queue.head) {
      this.remove(node);
      try {
        node.expire();
      } catch (error) {
        this.reportError(error);
      }
    }
    if (queue.head !== null) {
      // An `expire` that added a node of this length may have armed the timer already.
      // An unstamped head expires at least `ms` from now.
      const next = queue.head === queue.unstamped ? queue.ms : queue.head.deadline - now;
      if (queue.timer === null) this.arm(queue, next);
    } else {
      // Idle for a whole timeout: forget the queue, so one-off lengths do not pile up.
      this.queues.delete(queue.ms);
      if (this.last === queue) this.last = null;
    }
  }
}
