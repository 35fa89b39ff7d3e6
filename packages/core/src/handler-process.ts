import type { Handler } from './context.js';
import type { MailboxOptions } from './mailbox.js';
import type { Pid } from './pid.js';
import { Process } from './process.js';
import type { Runtime } from './runtime.js';
import { turn } from './scheduler.js';

/**
 * @internal A process whose handler is called once per message, with no promise per
 * message unless the handler returns one. When it does, the process takes its next
 * message only after that promise settles: one message at a time, even when async.
 */
export class HandlerProcess<M> extends Process<M> {
  get kind(): 'handler' {
    return 'handler';
  }

  constructor(
    runtime: Runtime,
    id: number,
    parent: Pid<any>,
    initialCall: string,
    mailbox: MailboxOptions | undefined,
    handler: Handler<M>,
  ) {
    super(runtime, id, parent, initialCall, mailbox);
    this.handler = handler;
    this.readsTags = handler.handleTagged !== undefined;
  }

  /**
   * One turn: `init` on the first, then the messages that were queued when the turn
   * began, until `budget` reductions are spent (one per message handled, plus what
   * `turn.charged` counts) or the slice runs out. What arrives meanwhile waits for the
   * next turn, at the back of the run queue. A turn the slice's end cut short goes on
   * first in the next slice, with what was left of its messages and budget (`cutTurn`),
   * so the event loop's turn in between does not change the order of processes.
   *
   * Everything but the loop is out of line (`start`, `failed`, `settle`, `yieldTurn`):
   * V8 inlines a function of up to 460 bytes of bytecode into its caller, and this one
   * belongs inside the scheduler's loop (a ping-pong turn ran ~25% slower when it grew
   * past that).
   */
  run(budget: number): number {
    const handler = this.handler;
    if (handler === null) return 0;
    this.idle = false;
    this.statusCode = 1; // Status.Running: a literal, for the bytecode size (see `run`)
    let queued = this.length;
    if (this.cutQueued !== 0) {
      queued = this.cutQueued;
      budget = this.cutBudget;
      this.cutQueued = 0;
    }
    if (!this.started && !this.start(handler)) return 1 + turn.charged;
    let handled = 0;
    // The next look at the clock, for a turn that goes on past its slice's end.
    let look = this.runtime.scheduler.lookEvery;
    // `length` too: the process may have taken queued messages out (demonitor with flush).
    while (handled < queued && this.length > 0) {
      if (handled + turn.charged >= budget) return this.yieldTurn(handled);
      if (handled === look) {
        if (this.runtime.scheduler.sliceOver()) return this.cutTurn(handled, queued, budget);
        look += this.runtime.scheduler.lookEvery;
      }
      const message = this.shift();
      const tag = this.shiftedTag;
      handled++;
      this.handled++;
      let result: unknown;
      try {
        result =
          tag === undefined
            ? handler.handle(message as never, this)
            : handler.handleTagged!(message, tag, this);
      } catch (error) {
        return this.failed(error, handled);
      }
      if (this.alive === false || (result !== undefined && this.settle(result))) {
        return handled + turn.charged;
      }
    }
    if (this.length > 0) this.runtime.scheduler.schedule(this);
    else {
      this.idle = true;
      this.statusCode = 2; // Status.Waiting
    }
    return handled + turn.charged;
  }

  /** Runs `init` on the first turn; returns false if the turn ends there. */
  private start(handler: Handler<M>): boolean {
    this.started = true;
    return handler.init === undefined || this.invoke(() => handler.init!(this));
  }

  /** A handler threw: the process fails with it and the turn ends. */
  private failed(error: unknown, handled: number): number {
    this.fail(error);
    return handled + turn.charged;
  }

  /**
   * Looks at what a handler returned: a promise ends the turn, and the process takes its
   * next message only once it settled. Returns true when the turn must end.
   */
  private settle(result: unknown): boolean {
    if (!isPromiseLike(result)) return false;
    this.awaitResult(result);
    return true;
  }

  /**
   * The slice ran out in the middle of the turn: the rest of it (its messages not yet
   * handled, its budget not yet spent) goes on first in the next slice.
   */
  private cutTurn(handled: number, queued: number, budget: number): number {
    const spent = handled + turn.charged;
    this.cutQueued = queued - handled;
    this.cutBudget = budget - spent;
    this.runtime.scheduler.continueFirst(this);
    return spent;
  }

  /** Ends the turn with messages left: back to the end of the run queue. */
  private yieldTurn(handled: number): number {
    this.runtime.scheduler.schedule(this);
    return handled + turn.charged;
  }

  protected onExit(): void {
    this.handler = null;
  }

  /** Runs `step`; returns false if it must be awaited (or failed) before going on. */
  private invoke(step: () => unknown): boolean {
    let result: unknown;
    try {
      result = step();
    } catch (error) {
      this.fail(error);
      return false;
    }
    if (!this.alive) return false;
    if (isPromiseLike(result)) {
      this.awaitResult(result);
      return false;
    }
    return true;
  }

  private awaitResult(result: PromiseLike<unknown>): void {
    result.then(
      () => this.resume(),
      (error: unknown) => this.fail(error),
    );
  }

  private resume(): void {
    if (!this.alive) return;
    if (this.length > 0) {
      if (!this.scheduled) this.runtime.scheduler.schedule(this);
    } else {
      this.idle = true;
      this.statusCode = 2; // Status.Waiting
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== undefined &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
