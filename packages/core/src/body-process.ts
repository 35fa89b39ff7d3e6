import type { ProcessBody, ReceiveContext, ReceiveOptions } from './context.js';
import { ActorkitError, InvalidArgumentError } from './errors.js';
import { assertOptions } from './internal/options.js';
import type { MailboxOptions } from './mailbox.js';
import { TIMEOUT } from './messages.js';
import type { Pid } from './pid.js';
import { Process } from './process.js';
import type { Runtime } from './runtime.js';
import { type Holder, turn } from './scheduler.js';
import type { TimerRef } from './timers.js';

const RECEIVE_KEYS = ['timeout'];

/**
 * False for a thenable (a promise, or anything with a `then` method) and for what
 * cannot be read at all (a revoked proxy): `receive`'s promise would adopt the one,
 * running its `then` (and hanging forever if it never calls back), and reject with a
 * `TypeError` for the other.
 */
function receivable(message: object): boolean {
  try {
    return typeof (message as { then?: unknown }).then !== 'function';
  } catch {
    return false;
  }
}

/** `message` as `receive` resolves to it at once, or its rejection if it cannot be (see `receivable`). */
function resolvedWith(message: unknown, pid: Pid<any>): Promise<unknown> {
  if ((typeof message === 'object' && message !== null) || typeof message === 'function') {
    if (!receivable(message)) return Promise.reject(unreceivable(pid));
  }
  return Promise.resolve(message);
}

function unreceivable(pid: Pid<any>): ActorkitError {
  return new ActorkitError(
    'UNRECEIVABLE_MESSAGE',
    `${pid} took a message that receive() cannot resolve to: a promise or other thenable (its promise would adopt it), or a value that cannot be read (a revoked proxy). The message is dropped. Wrap such values ({ value }) before sending them to a body process, or use a handler process, which takes messages as they are.`,
  );
}

type Match = (message: unknown) => boolean;

/**
 * The `timeout` of `receive`'s options: Infinity when not given. Throws
 * `InvalidArgumentError` for an unknown key or a timeout that is not a number >= 0.
 */
function timeoutOf(options: unknown): number {
  assertOptions(options, 'options', 'receive', RECEIVE_KEYS);
  const timeout = (options as ReceiveOptions).timeout ?? Number.POSITIVE_INFINITY;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError('timeout', 'a number >= 0 or Infinity', timeout);
  }
  return timeout;
}

interface PendingReceive {
  match: Match | undefined;
  /** Messages before this index were already tested against `match`. */
  scanned: number;
  /** `timeout: 0`: give up after one look at the mailbox. */
  once: boolean;
  timer: TimerRef | null;
  resolve: (message: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * @internal A process that runs an async function and takes messages with `receive`.
 *
 * Its turns are measured in reductions, as a handler process's are. The scheduler
 * begins a turn by settling a waiting receive (or by starting the function), then holds
 * still while the turn goes on in the microtasks that follow (`Scheduler.hold`): each
 * `receive` that finds a match among the messages queued when the turn began settles at
 * once, charged one reduction per message it looked at plus what the process did since
 * its last receive (`turn.charged`). When the budget is spent or no such message
 * matches, the receive waits through the run queue and the turn ends. So a receive loop
 * takes up to a budget of messages per turn, and what the process sends itself waits
 * for its next turn, behind every other runnable process.
 */
export class BodyProcess<M> extends Process<M> implements ReceiveContext<M>, Holder {
  get kind(): 'body' {
    return 'body';
  }
  private pending: PendingReceive | null = null;
  private body: ProcessBody<M> | null;
  /** Reductions left in the running turn for receives that settle at once; <= 0 outside it. */
  private credit = 0;
  /**
   * How many messages at the front of the mailbox were queued when the running turn
   * began: only those can be received at once. Messages arrive at the back, so they stay
   * in front; each that leaves from among them counts down.
   */
  private turnQueued = 0;

  constructor(
    runtime: Runtime,
    id: number,
    parent: Pid<any>,
    initialCall: string,
    mailbox: MailboxOptions | undefined,
    body: ProcessBody<M>,
  ) {
    super(runtime, id, parent, initialCall, mailbox);
    this.body = body;
  }

  /**
   * Begins a turn: starts the function on the first, else settles the waiting receive
   * with its first match (or `TIMEOUT` for `timeout: 0`). The turn goes on after this
   * returns, while the function receives messages queued now (see the class doc).
   */
  run(budget: number): number {
    if (!this.started) return this.startTurn(budget);
    const pending = this.pending;
    if (pending === null) return 0;
    if (this.cutBudget > 0) return this.continueCut(pending);
    const index =
      pending.match === undefined
        ? this.length > 0
          ? 0
          : -1
        : this.findIndex(pending.match, pending.scanned);
    if (index === -1) {
      pending.scanned = this.length;
      if (!pending.once) {
        this.idle = true;
        this.status = 'waiting';
        return 0;
      }
      this.beginTurn(budget - 1, this.length);
      this.settle(pending, TIMEOUT);
    } else {
      this.handled++;
      const message = this.take(index);
      this.beginTurn(budget - 1, this.length);
      this.settle(pending, message);
    }
    return 1;
  }

  /**
   * Goes on with a turn the slice's end cut short, as if it had not been: the waiting
   * receive takes its first match among that turn's messages, with the credit left, and
   * the turn goes on; with no match among them, the turn is over, as it would have been.
   */
  private continueCut(pending: PendingReceive): number {
    const credit = this.cutBudget;
    const queued = Math.min(this.cutQueued, this.length);
    this.cutBudget = this.cutQueued = 0;
    const index = this.matchQueued(pending.match, queued);
    if (index !== -1) {
      this.handled++;
      const message = this.take(index);
      this.beginTurn(credit - index - 1, queued - 1);
      this.settle(pending, message);
      return index + 1;
    }
    if (pending.once && queued === this.length) {
      this.beginTurn(credit - queued - 1, queued);
      this.settle(pending, TIMEOUT);
      return queued + 1;
    }
    pending.scanned = queued;
    if (this.length > queued || pending.once) this.runtime.scheduler.schedule(this);
    else {
      this.idle = true;
      this.status = 'waiting';
    }
    return queued;
  }

  /**
   * @internal See `Holder.endTurn`: its next receive waits through the run queue. When
   * the slice's end cut the turn, that receive goes on first with what was left of it.
   */
  endTurn(cut: boolean): void {
    if (cut && this.credit > 0) {
      this.cutBudget = this.credit;
      this.cutQueued = this.turnQueued;
    }
    this.credit = 0;
  }

  /**
   * The first turn: the function runs until its first await, and on if that was a
   * receive that settled at once. Starting costs nothing, as a handler's `init`.
   */
  private startTurn(budget: number): number {
    this.credit = budget;
    this.turnQueued = this.length;
    this.start();
    // It received (its credit went down) and its last receive did not wait.
    if (this.alive && this.pending === null && this.credit < budget) {
      this.runtime.scheduler.hold(this);
    }
    return 1 + turn.charged;
  }

  /**
   * The first `queued` messages are this turn's, up to `credit` reductions of them; the
   * turn goes on after `run` returns, so the scheduler holds still for it.
   */
  private beginTurn(credit: number, queued: number): void {
    this.credit = credit;
    this.turnQueued = queued;
    this.runtime.scheduler.hold(this);
  }

  receive(first?: unknown, second?: unknown): Promise<any> {
    if (!this.alive || this.pending !== null) return Promise.reject(this.refusal());
    const match = typeof first === 'function' ? (first as Match) : undefined;
    const options = match === undefined && first !== undefined ? first : second;
    let timeout = Number.POSITIVE_INFINITY;
    if (options !== undefined) {
      try {
        timeout = timeoutOf(options);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // What the process did since its last receive is charged to its turn.
    const charged = turn.charged;
    turn.charged = 0;
    let scanned = 0;
    // Nothing queued when the turn began is left (a reply awaited, say): wait at once.
    if ((this.turnQueued > 0 || timeout === 0) && (this.credit -= charged) > 0) {
      const now = this.receiveNow(match, timeout, charged);
      if (now !== null) return now;
      scanned = this.turnQueued;
    }
    // The receive waits: the turn, if one was running, is over (or the slice's end cut it,
    // and what the process did since its last receive is charged to the rest of it).
    this.credit = 0;
    if (this.cutBudget > 0) this.cutBudget -= charged;
    this.runtime.scheduler.release(this, charged);
    return this.wait(match, scanned, timeout);
  }

  /** Why a receive cannot even begin: the process has exited, or another receive waits. */
  private refusal(): Error {
    if (!this.alive) return this.exitError();
    return new ActorkitError(
      'RECEIVE_PENDING',
      `${this.pid} called receive() while another receive() was still waiting. Await each receive before the next.`,
    );
  }

  /**
   * In the running turn: the receive settled at once with the first match among the
   * messages queued when the turn began (or `TIMEOUT`, for `timeout: 0` when nothing in
   * the mailbox matches); null when it must wait, and the turn is over.
   */
  private receiveNow(
    match: Match | undefined,
    timeout: number,
    charged: number,
  ): Promise<unknown> | null {
    const limit = this.turnQueued;
    let index: number;
    try {
      index = this.matchQueued(match, limit);
    } catch (error) {
      // As a match that throws in the scheduler's run: the process fails with it.
      this.fail(error);
      return Promise.reject(this.exitError());
    }
    if (index !== -1) return this.receiveAt(index, charged);
    if (timeout === 0 && limit === this.length) return this.timedOut(limit, charged);
    return null;
  }

  /**
   * Index of the first of the first `limit` messages `match` accepts (the first of them
   * without a `match`), or -1.
   */
  private matchQueued(match: Match | undefined, limit: number): number {
    if (match === undefined) return limit > 0 ? 0 : -1;
    for (let i = 0; i < limit; i++) if (match(this.at(i))) return i;
    return -1;
  }

  /** Takes the message at `index` at once, in the running turn. */
  private receiveAt(index: number, charged: number): Promise<unknown> {
    const message = this.take(index);
    this.turnQueued--;
    this.handled++;
    // The receive and each message its pattern looked at.
    this.credit -= index + 1;
    this.runtime.scheduler.goOn(charged + index + 1);
    return resolvedWith(message, this.pid);
  }

  /** `timeout: 0` with no match in the whole mailbox, in the running turn: `TIMEOUT` at once. */
  private timedOut(scanned: number, charged: number): Promise<unknown> {
    this.credit -= scanned + 1;
    this.runtime.scheduler.goOn(charged + scanned + 1);
    return Promise.resolve(TIMEOUT);
  }

  /** Waits through the run queue for a match from `scanned` on (all before it failed to match). */
  private wait(match: Match | undefined, scanned: number, timeout: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: PendingReceive = {
        match,
        scanned,
        once: timeout === 0,
        timer: null,
        resolve,
        reject,
      };
      this.pending = pending;
      if (timeout > 0 && timeout !== Number.POSITIVE_INFINITY) {
        pending.timer = this.runtime.addTimer(timeout, () => this.settle(pending, TIMEOUT), this);
      }
      if (this.length > scanned || pending.once) {
        if (!this.scheduled) this.scheduleReceive();
      } else {
        this.cutBudget = 0;
        this.idle = true;
        this.status = 'waiting';
      }
    });
  }

  /**
   * Queues the waiting receive's turn: first, when it goes on with a turn the slice's end
   * cut short in this very run of the scheduler; else at the back.
   */
  private scheduleReceive(): void {
    const scheduler = this.runtime.scheduler;
    if (this.cutBudget > 0 && scheduler.cutShort(this)) scheduler.continueFirst(this);
    else {
      this.cutBudget = 0;
      scheduler.schedule(this);
    }
  }

  /** Removes the message at `index`: the oldest is shifted, the cheaper way. */
  private take(index: number): unknown {
    // A body process reads no tags: its messages are queued wrapped, so shift's is the message.
    return index === 0 ? this.shift() : this.removeAt(index);
  }

  /** Removes every message `match` accepts (`demonitor` with `flush`), keeping the counts right. */
  override removeAll(match: (message: unknown) => boolean): number {
    let removed = 0;
    for (let i = this.findIndex(match, 0); i !== -1; i = this.findIndex(match, i)) {
      this.removeAt(i);
      this.leftAt(i);
      removed++;
    }
    return removed;
  }

  protected override onEvicted(index: number): void {
    this.leftAt(index);
  }

  /** The message at `index` left the mailbox from the middle: the ones behind it moved forward. */
  private leftAt(index: number): void {
    if (index < this.turnQueued) this.turnQueued--;
    if (this.pending !== null && index < this.pending.scanned) this.pending.scanned--;
  }

  protected onExit(): void {
    const pending = this.pending;
    this.pending = null;
    this.body = null;
    this.credit = 0;
    this.runtime.scheduler.release(this, 0);
    pending?.reject(this.exitError());
  }

  private start(): void {
    this.started = true;
    this.status = 'running';
    const body = this.body!;
    let result: unknown;
    try {
      result = body(this);
    } catch (error) {
      this.fail(error);
      return;
    }
    Promise.resolve(result).then(
      () => {
        if (this.alive) this.runtime.terminate(this, 'normal');
      },
      (error: unknown) => this.fail(error),
    );
  }

  private settle(pending: PendingReceive, value: unknown): void {
    if (this.pending !== pending) return;
    this.pending = null;
    this.idle = false;
    this.status = 'running';
    if (pending.timer !== null) this.runtime.cancelTimer(pending.timer, { info: false });
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      if (!receivable(value)) {
        pending.reject(unreceivable(this.pid));
        return;
      }
    }
    pending.resolve(value);
  }
}
