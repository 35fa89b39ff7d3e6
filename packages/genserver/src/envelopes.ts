import type { Runtime, TimerRef } from '@actorkit/core';

/**
 * Where a call came from, passed to `handleCall`: reply through it with
 * `GenServer.reply(from, value)` when `handleCall` returned `noreply`. A reply after
 * the caller gave up (timeout, or the server restarted) is dropped: it never lands in
 * anyone's mailbox.
 */
export class From<R = unknown> {
  /** @internal */
  unwatch: (() => boolean) | null = null;
  /** @internal */
  timer: TimerRef | null = null;
  private settled = false;

  /** @internal */
  constructor(
    private readonly onReply: (value: R) => void,
    private readonly onFail: (error: unknown) => void,
    private readonly runtime: Runtime,
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

  /** @internal Fails the call (timeout, server exit). */
  fail(error: unknown): void {
    if (this.settle()) this.onFail(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.unwatch?.();
    if (this.timer !== null) this.runtime.cancelTimer(this.timer, { info: false });
    return true;
  }
}

/** @internal A `GenServer.call` in the server's mailbox. */
export class CallEnvelope {
  constructor(
    readonly request: unknown,
    readonly from: From<any>,
  ) {}
}

/** @internal A `GenServer.cast` in the server's mailbox. */
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
