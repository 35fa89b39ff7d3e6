import { ExitError, type Pid, type Runtime, TimeoutError } from '@actorkit/core';
import {
  type DeadlineNode,
  detachWatch,
  removeDeadline,
  type WatchNode,
} from '@actorkit/core/internal';

/**
 * Where a call came from, passed to `handleCall`: reply through it with
 * `GenServer.reply(from, value)` when `handleCall` returned `noreply`. A reply after
 * the caller gave up (timeout, or the server restarted) is dropped: it never lands in
 * anyone's mailbox.
 */
export class From<R = unknown> {
  // One object per call: it is the message a call puts in the server's mailbox, the
  // caller's watch on the server, and the call's place in the runtime's timeout queue.
  /** @internal */
  watched: object | null = null;
  /** @internal */
  prevWatch: WatchNode | null = null;
  /** @internal */
  nextWatch: WatchNode | null = null;
  /** @internal */
  deadline = 0;
  /** @internal */
  deadlineQueue: object | null = null;
  /** @internal */
  prevDeadline: DeadlineNode | null = null;
  /** @internal */
  nextDeadline: DeadlineNode | null = null;
  private settled = false;

  /** @internal */
  constructor(
    /** @internal What `handleCall` gets. */
    readonly request: unknown,
    private readonly onReply: (value: R) => void,
    private readonly onFail: (error: unknown) => void,
    private readonly runtime: Runtime,
    private readonly server: Pid<any>,
    private readonly what: string,
    private readonly timeout: number,
  ) {}

  /** True until the caller got its reply or gave up. */
  get pending(): boolean {
    return !this.settled;
  }

  /** @internal Delivers the reply; false if the caller is no longer waiting. */
  resolve(value: R): boolean {
    if (!this.settle()) return false;
    this.onReply(value);
    return true;
  }

  /** @internal Fails the call (server exit, a failed send). */
  fail(error: unknown): void {
    if (this.settle()) this.onFail(error);
  }

  /** @internal The server exited before replying. */
  down(reason: unknown): void {
    this.fail(new ExitError(reason, this.server));
  }

  /** @internal No reply within the timeout. */
  expire(): void {
    this.fail(new TimeoutError(`${this.what} to ${this.server}`, this.timeout));
  }

  /** @internal Marks the call settled and stops watching; false if it was already. */
  protected settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    detachWatch(this);
    removeDeadline(this.runtime, this);
    return true;
  }
}

/**
 * @internal A `GenServer.cast`: casts travel as the bare request tagged with this class
 * (`Runtime.sendTagged`); a process that does not read tags gets it wrapped in one.
 */
export class CastEnvelope {
  constructor(readonly request: unknown) {}
}

/** @internal `:sys`-style requests, handled by the server loop itself. */
export class SystemEnvelope {
  constructor(
    readonly kind: 'getState' | 'replaceState' | 'getStatus' | 'stop',
    readonly from: From<any> | null,
    readonly payload?: unknown,
  ) {}
}

/** @internal The message an idle `{ timeout }` sends; stale ones are ignored. */
export class IdleTimeout {}
