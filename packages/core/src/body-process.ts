import type { ProcessBody, ReceiveContext, ReceiveOptions } from './context.js';
import { ActorkitError, InvalidArgumentError } from './errors.js';
import { assertOptions } from './internal/options.js';
import type { MailboxOptions } from './mailbox.js';
import { TIMEOUT } from './messages.js';
import type { Pid } from './pid.js';
import { Process } from './process.js';
import type { Runtime } from './runtime.js';
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

function unreceivable(pid: Pid<any>): ActorkitError {
  return new ActorkitError(
    'UNRECEIVABLE_MESSAGE',
    `${pid} took a message that receive() cannot resolve to: a promise or other thenable (its promise would adopt it), or a value that cannot be read (a revoked proxy). The message is dropped. Wrap such values ({ value }) before sending them to a body process, or use a handler process, which takes messages as they are.`,
  );
}

interface PendingReceive {
  match: ((message: unknown) => boolean) | undefined;
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
 * Each receive goes through the run queue, so even a loop over a full mailbox yields
 * to the event loop between slices.
 */
export class BodyProcess<M> extends Process<M> implements ReceiveContext<M> {
  get kind(): 'body' {
    return 'body';
  }
  private pending: PendingReceive | null = null;
  private body: ProcessBody<M> | null;

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

  run(): number {
    if (!this.started) {
      this.start();
      return 1;
    }
    const pending = this.pending;
    if (pending === null) return 0;
    const index =
      pending.match === undefined
        ? this.length > 0
          ? 0
          : -1
        : this.findIndex(pending.match, pending.scanned);
    if (index === -1) {
      pending.scanned = this.length;
      if (pending.once) this.settle(pending, TIMEOUT);
      else {
        this.idle = true;
        this.status = 'waiting';
      }
      return 0;
    }
    this.handled++;
    this.settle(pending, this.removeAt(index));
    return 1;
  }

  receive(...args: unknown[]): Promise<any> {
    if (!this.alive) return Promise.reject(this.exitError());
    if (this.pending !== null) {
      return Promise.reject(
        new ActorkitError(
          'RECEIVE_PENDING',
          `${this.pid} called receive() while another receive() was still waiting. Await each receive before the next.`,
        ),
      );
    }
    let match = args[0] as ((message: unknown) => boolean) | ReceiveOptions | undefined;
    let options = args[1] as ReceiveOptions | undefined;
    if (match !== undefined && typeof match !== 'function') {
      options = match;
      match = undefined;
    }
    if (options !== undefined) {
      try {
        assertOptions(options, 'options', 'receive', RECEIVE_KEYS);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const timeout = options?.timeout ?? Number.POSITIVE_INFINITY;
    if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
      return Promise.reject(
        new InvalidArgumentError('timeout', 'a number >= 0 or Infinity', options?.timeout),
      );
    }
    return new Promise((resolve, reject) => {
      const pending: PendingReceive = {
        match,
        scanned: 0,
        once: timeout === 0,
        timer: null,
        resolve,
        reject,
      };
      this.pending = pending;
      if (timeout > 0 && timeout !== Number.POSITIVE_INFINITY) {
        pending.timer = this.runtime.addTimer(timeout, () => this.settle(pending, TIMEOUT), this);
      }
      if (this.length > 0 || pending.once) {
        if (!this.scheduled) this.runtime.scheduler.schedule(this);
      } else {
        this.idle = true;
        this.status = 'waiting';
      }
    });
  }

  protected override onEvicted(index: number): void {
    // Every message queued behind it moved one place forward, scanned ones included.
    if (this.pending !== null && index < this.pending.scanned) this.pending.scanned--;
  }

  protected onExit(): void {
    const pending = this.pending;
    this.pending = null;
    this.body = null;
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
