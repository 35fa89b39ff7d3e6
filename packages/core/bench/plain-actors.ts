/**
 * The plain-Node baseline both benchmarks compare against (core.bench.ts and
 * packages/bench): what a careful programmer writes without a library, the ceiling for
 * JavaScript on one thread. A ring-buffer mailbox per actor, plain function calls, and a
 * run loop that, like actorkit's scheduler, handles in an actor's turn only the messages
 * that were queued when it began, at most `BUDGET` of them (what an actor sends itself
 * waits for its next turn, so a self-continuing producer cannot outrun its consumer), and
 * yields to the event loop with `setImmediate` every `SLICE_MS`, so the comparison is
 * fair. Unlike actorkit's reductions, a send costs nothing against the budget.
 *
 * Two body actors (async functions awaiting `receive()`): `PlainBodyActor` takes one
 * message per turn (all ping-pong needs), and `PlainTurnBodyActor` has actorkit's turns
 * for bodies, for the producer → body consumer shapes: a `receive()` that finds a
 * message queued when the turn began settles at once, up to `BUDGET` per turn, and the
 * run loop waits for those microtasks before it runs the next actor.
 */
import { performance } from 'node:perf_hooks';

const resolved = Promise.resolve();

/** The run loop's settings, the same as actorkit's defaults. */
export const BUDGET = 2000;
export const SLICE_MS = 3;

/** The baseline's run loop: a ring buffer of actors with messages, in FIFO order. */
export class RunLoop {
  private queue: (PlainActor | undefined)[] = new Array(1024);
  private head = 0;
  private length = 0;
  private armed = false;
  private sliceStart = Number.NEGATIVE_INFINITY;
  /** The body actor whose turn goes on in the microtasks after its run, or null. */
  private holder: PlainTurnBodyActor | null = null;
  /** True when the holder took another message since the last look at it. */
  private wentOn = false;
  /** Looks in a row at a holder that took nothing (it awaits something else). */
  private idleLooks = 0;
  /** Turns and holder looks since the clock was last read. */
  private sinceClock = 0;
  /** Called with an actor whose handler threw, and the error (a supervisor's hook). */
  onCrash: (actor: PlainActor, error: unknown) => void = (_actor, error) => {
    throw error;
  };

  schedule(actor: PlainActor): void {
    if (this.length === this.queue.length) this.grow();
    this.queue[(this.head + this.length++) & (this.queue.length - 1)] = actor;
    if (this.armed) return;
    this.armed = true;
    // A resolved promise's `then`, as actorkit's scheduler: a third of queueMicrotask's cost.
    if (performance.now() - this.sliceStart < SLICE_MS) void resolved.then(this.flush);
    else setImmediate(this.startSlice);
  }

  private readonly startSlice = (): void => {
    this.sliceStart = performance.now();
    this.flush();
  };

  /** `actor` took a message at the start of its turn, which goes on in the next microtasks. */
  hold(actor: PlainTurnBodyActor): void {
    this.holder = actor;
    this.wentOn = false;
    this.idleLooks = 0;
  }

  /** The holder took another message at once. */
  goOn(): void {
    this.wentOn = true;
  }

  /** `actor`'s receive waits: its turn is over. */
  release(actor: PlainTurnBodyActor): void {
    if (this.holder === actor) this.holder = null;
  }

  private readonly flush = (): void => {
    if (this.holder !== null && this.awaitHolder()) return;
    while (this.length > 0) {
      const actor = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) & (this.queue.length - 1);
      this.length--;
      try {
        actor.run();
      } catch (error) {
        this.onCrash(actor, error);
      }
      if ((++this.sinceClock & 31) === 0 && this.sliceOver()) {
        this.endHold();
        break;
      }
      if (this.holder !== null) {
        void resolved.then(this.flush);
        return;
      }
    }
    this.armed = this.length > 0;
    if (this.armed) setImmediate(this.startSlice);
  };

  /** True while the holder's turn goes on: the loop looks again after the next microtask. */
  private awaitHolder(): boolean {
    if (this.wentOn) {
      this.wentOn = false;
      this.idleLooks = 0;
      if ((++this.sinceClock & 31) !== 0 || !this.sliceOver()) {
        void resolved.then(this.flush);
        return true;
      }
      this.endHold();
      setImmediate(this.startSlice);
      return true;
    }
    if (++this.idleLooks < 8) {
      void resolved.then(this.flush);
      return true;
    }
    this.endHold();
    return false;
  }

  private endHold(): void {
    if (this.holder !== null) this.holder.credit = 0;
    this.holder = null;
  }

  private sliceOver(): boolean {
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  private grow(): void {
    const old = this.queue;
    const bigger = new Array(old.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = old[(this.head + i) & (old.length - 1)];
    this.queue = bigger;
    this.head = 0;
  }
}

/**
 * A plain actor: a lazily allocated ring buffer, and `idle` set while it waits for a
 * message (the next `send` puts it on the run loop).
 */
export abstract class PlainActor {
  idle = true;
  length = 0;
  private buffer: unknown[] | null = null;
  private head = 0;

  constructor(readonly loop: RunLoop) {}

  abstract run(): void;

  send(message: unknown): void {
    let buffer = this.buffer;
    if (buffer === null) buffer = this.buffer = new Array(8);
    else if (this.length === buffer.length) buffer = this.grow(buffer);
    buffer[(this.head + this.length) & (buffer.length - 1)] = message;
    this.length++;
    if (this.idle) {
      this.idle = false;
      this.loop.schedule(this);
    }
  }

  protected shift(): unknown {
    const buffer = this.buffer!;
    const message = buffer[this.head];
    buffer[this.head] = undefined;
    this.head = (this.head + 1) & (buffer.length - 1);
    this.length--;
    return message;
  }

  private grow(buffer: unknown[]): unknown[] {
    const bigger = new Array(buffer.length * 2);
    for (let i = 0; i < this.length; i++) bigger[i] = buffer[(this.head + i) & (buffer.length - 1)];
    this.head = 0;
    this.buffer = bigger;
    return bigger;
  }
}

/**
 * A plain actor whose function is called once per message, for the messages queued when
 * its turn began, `BUDGET` at most; `init`, if given, runs on its first turn.
 */
export class PlainHandlerActor extends PlainActor {
  /** The next actor, for the ring; the partner, for ping-pong. */
  next: PlainHandlerActor | null = null;
  /** A counter's state. */
  state = 0;

  constructor(
    loop: RunLoop,
    readonly handle: (message: any, self: PlainHandlerActor) => void,
    private init: ((self: PlainHandlerActor) => void) | null = null,
  ) {
    super(loop);
    if (init !== null) {
      this.idle = false;
      loop.schedule(this);
    }
  }

  run(): void {
    let n = Math.min(this.length, BUDGET);
    const init = this.init;
    if (init !== null) {
      this.init = null;
      init(this);
    }
    for (; n > 0; n--) this.handle(this.shift(), this);
    if (this.length > 0) this.loop.schedule(this);
    else this.idle = true;
  }
}

/** A plain actor running an async function that awaits `receive()`. */
export class PlainBodyActor extends PlainActor {
  private waiter: ((message: unknown) => void) | null = null;

  receive(): Promise<unknown> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.length > 0) this.loop.schedule(this);
      else this.idle = true;
    });
  }

  run(): void {
    const waiter = this.waiter;
    if (waiter === null || this.length === 0) return;
    this.waiter = null;
    waiter(this.shift());
  }
}

export function spawnPlainBody(
  loop: RunLoop,
  body: (self: PlainBodyActor) => Promise<unknown>,
): PlainBodyActor {
  const actor = new PlainBodyActor(loop);
  // Until the body first calls receive(), messages only queue.
  actor.idle = false;
  queueMicrotask(() => void body(actor));
  return actor;
}

/**
 * A plain actor running an async function that awaits `receive()`, in turns: the run
 * loop settles a waiting receive, and the turn goes on while each next `receive()` finds
 * a message that was queued when it began (settled at once), up to `BUDGET` messages;
 * the loop runs nothing else meanwhile. What arrives during the turn waits for the next.
 */
export class PlainTurnBodyActor extends PlainActor {
  /** Messages the running turn may still take at once; 0 outside it. */
  credit = 0;
  private waiter: ((message: unknown) => void) | null = null;
  /** Messages at the front of the buffer that were queued when the turn began. */
  private turnQueued = 0;

  receive(): Promise<unknown> {
    if (this.credit > 0 && this.turnQueued > 0) {
      this.credit--;
      this.turnQueued--;
      this.loop.goOn();
      return Promise.resolve(this.shift());
    }
    this.credit = 0;
    this.loop.release(this);
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.length > 0) this.loop.schedule(this);
      else this.idle = true;
    });
  }

  run(): void {
    const waiter = this.waiter;
    if (waiter === null || this.length === 0) return;
    this.waiter = null;
    waiter(this.shift());
    this.credit = BUDGET - 1;
    this.turnQueued = this.length;
    this.loop.hold(this);
  }
}

export function spawnPlainTurnBody(
  loop: RunLoop,
  body: (self: PlainTurnBodyActor) => Promise<unknown>,
): PlainTurnBodyActor {
  const actor = new PlainTurnBodyActor(loop);
  actor.idle = false;
  queueMicrotask(() => void body(actor));
  return actor;
}
