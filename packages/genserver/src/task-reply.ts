import type { Ref } from '@actorkit/core';
import { isInstance } from '@actorkit/core/internal';

/**
 * The message a task started with `replyTo` sends that process when its function
 * returns: Elixir's `{ref, result}`. `ref` is the task's `ref`, also the ref of the
 * `Down` that follows when the task exits (`'normal'` after a reply, the reason without
 * one), so a GenServer that runs tasks without waiting for them handles both in
 * `handleInfo`, as Elixir's does, and drops the `Down` with
 * `ctx.demonitor(ref, { flush: true })` once it has the reply.
 *
 * @example
 * override handleInfo(message: unknown, state: State) {
 *   if (isTaskReply(message) && message.ref === state.ref) {
 *     this.ctx.demonitor(message.ref, { flush: true });
 *     return noreply({ ...state, ref: null, result: message.value });
 *   }
 *   if (isDown(message) && message.ref === state.ref) {
 *     return noreply({ ...state, ref: null, failed: message.reason });
 *   }
 *   return noreply(state);
 * }
 */
export class TaskReply<R = unknown> {
  constructor(
    /** The task's `ref`. */
    readonly ref: Ref,
    /** What the task's function returned (or resolved to). */
    readonly value: R,
  ) {}

  get type(): 'TASK_REPLY' {
    return 'TASK_REPLY';
  }
}

/** True for a {@link TaskReply}. Never throws, whatever the message. */
export function isTaskReply(message: unknown): message is TaskReply {
  return isInstance(message, TaskReply);
}
