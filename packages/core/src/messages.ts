import { isInstance } from './internal/describe.js';
import type { Pid } from './pid.js';
import type { Ref } from './ref.js';

/**
 * The message a process that traps exits receives instead of dying when a linked
 * process exits, or when someone calls `exit(pid, reason)` on it: Erlang's
 * `{'EXIT', From, Reason}`.
 */
export class Exit {
  constructor(
    /** The process the signal came from (the runtime's init PID for `runtime.exit` and `stop`). */
    readonly from: Pid<any>,
    readonly reason: unknown,
  ) {}

  get type(): 'EXIT' {
    return 'EXIT';
  }
}

/**
 * The message a monitor delivers, once, when the monitored process exits (or at once,
 * with reason `'noproc'`, if it was already dead): Erlang's `{'DOWN', Ref, process, Pid, Reason}`.
 */
export class Down {
  constructor(
    readonly ref: Ref,
    readonly pid: Pid<any>,
    readonly reason: unknown,
  ) {}

  get type(): 'DOWN' {
    return 'DOWN';
  }
}

/** The messages the runtime itself puts in mailboxes. */
export type SystemMessage = Exit | Down;

/** What a process with message type `M` can find in its mailbox. */
export type Inbox<M> = M | SystemMessage;

/** True for an `EXIT` message (see {@link Exit}). Never throws, whatever the message. */
export function isExit(message: unknown): message is Exit {
  return isInstance(message, Exit);
}

/** True for a `DOWN` message (see {@link Down}). Never throws, whatever the message. */
export function isDown(message: unknown): message is Down {
  return isInstance(message, Down);
}

/** What `receive` resolves to when its timeout passes first (Erlang's `after`). */
export const TIMEOUT: unique symbol = Symbol('actorkit.timeout');
/** The type of {@link TIMEOUT}. */
export type Timeout = typeof TIMEOUT;
