import { InvalidArgumentError } from '@actorkit/core';
import { UncloneableMessageError } from './errors.js';
import type { Frame } from './transport.js';

/** The messages marked by {@link transfer}, with the buffers each moves. */
const marked = new WeakMap<object, readonly ArrayBuffer[]>();
/** False until the first {@link transfer}: a send skips the lookup until then. */
let anyMarked = false;

/**
 * Marks `message` so that, sent to a process on **another node**, the ArrayBuffers in
 * `buffers` move there instead of being copied (`postMessage`'s transfer list): zero
 * copy, however large. Returns `message` itself, so it reads as a wrapper:
 * `ctx.send(pid, transfer(msg, [msg.data.buffer]))`.
 *
 * - **The sender's buffers are detached** when the send returns (`byteLength` 0, their
 *   views empty), as after `postMessage`: the receiver owns the bytes now. Everything
 *   else in the message is copied as for any send.
 * - **To a process of this node** the message is delivered as it is, the same object:
 *   nothing is detached or copied (a local send never copies).
 * - The mark stays with the message object: each send of it to another node transfers
 *   `buffers`; once they are detached, sending it again throws
 *   `UncloneableMessageError` (a detached buffer cannot cross).
 * - A send to a node that is not up is a dead letter and detaches nothing.
 * - Applies to `runtime.send`, `ctx.send` and `sendAfter` to a PID (not to a tagged
 *   message, a call or a send by name, which copy their buffers).
 *
 * Throws `InvalidArgumentError` if `message` is not an object, or if `buffers` is not an
 * array of distinct ArrayBuffers (a typed array: list its `.buffer`; a
 * SharedArrayBuffer is shared, never moved).
 *
 * @example
 * const pixels = new Uint8Array(1 << 24);
 * ctx.send(remotePid, transfer({ frame: 7, pixels }, [pixels.buffer]));
 * pixels.byteLength; // 0: the bytes are on the other node now
 */
export function transfer<T extends object>(message: T, buffers: readonly ArrayBufferLike[]): T {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidArgumentError(
      'message',
      'an object (the message whose buffers move; a primitive holds no buffer)',
      message,
    );
  }
  if (!Array.isArray(buffers)) {
    throw new InvalidArgumentError('buffers', 'an array of ArrayBuffers', buffers);
  }
  const seen = new Set<ArrayBuffer>();
  for (let i = 0; i < buffers.length; i++) {
    const buffer: unknown = buffers[i];
    if (!(buffer instanceof ArrayBuffer)) {
      throw new InvalidArgumentError(`buffers[${i}]`, transferableHint(buffer), buffer);
    }
    if (seen.has(buffer)) {
      throw new InvalidArgumentError(
        `buffers[${i}]`,
        'each ArrayBuffer listed once (this one is listed twice)',
        buffer,
      );
    }
    seen.add(buffer);
  }
  marked.set(message, buffers.slice() as ArrayBuffer[]);
  anyMarked = true;
  return message;
}

function transferableHint(value: unknown): string {
  if (ArrayBuffer.isView(value)) {
    return `an ArrayBuffer, not a view on one (list its .buffer: ${value.constructor.name}.buffer)`;
  }
  if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) {
    return 'an ArrayBuffer (a SharedArrayBuffer is shared between threads, never moved: send it as it is)';
  }
  return 'an ArrayBuffer';
}

/** @internal The buffers `message` moves (see {@link transfer}), or undefined. */
export function transferListOf(message: object): readonly ArrayBuffer[] | undefined {
  return anyMarked ? marked.get(message) : undefined;
}

/**
 * @internal Detaches `buffers` now and returns `frame` with the moved copies, and the
 * list to post it with: a structured clone whose transfer list moves the bytes (zero
 * copy). Throws `UncloneableMessageError` if a buffer is already detached.
 */
export function moveBuffers(
  frame: Frame,
  buffers: readonly ArrayBuffer[],
): { frame: Frame; transfer: ArrayBuffer[] } {
  let moved: [Frame, ArrayBuffer[]];
  try {
    moved = structuredClone([frame, buffers as ArrayBuffer[]], {
      transfer: buffers as ArrayBuffer[],
    });
  } catch (error) {
    throw new UncloneableMessageError(
      'message',
      `a message whose transfer list cannot be moved (${(error as Error).message}; a buffer moves once: after a send to another node it is detached, and a new transfer() must list a fresh one)`,
    );
  }
  return { frame: moved[0], transfer: moved[1] };
}

/**
 * @internal The buffers to post with `batch`: those its frames were sent with (taken out
 * of `lists`, where a transport keeps them by frame until it posts).
 */
export function batchTransfer(
  batch: readonly Frame[],
  lists: Map<Frame, ArrayBuffer[]>,
): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  for (let i = 0; i < batch.length; i++) {
    const list = lists.get(batch[i]);
    if (list === undefined) continue;
    lists.delete(batch[i]);
    for (const buffer of list) transfer.push(buffer);
  }
  return transfer;
}
