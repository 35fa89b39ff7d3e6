// The process the transfer benchmark spawns on its worker node.
import type { Pid, ReceiveContext } from '@actorkit/core';

/** Reads one byte of each `{ bytes }` it gets; answers `{ from, done }` with the count when `done`. */
export async function sink(ctx: ReceiveContext<any>): Promise<void> {
  let count = 0;
  let sum = 0;
  for (;;) {
    const message = (await ctx.receive()) as { from?: Pid; bytes?: Uint8Array; done?: boolean };
    if (message.bytes !== undefined) {
      count++;
      sum += message.bytes[message.bytes.length - 1]!;
    }
    if (message.done === true) ctx.send(message.from!, { count, sum });
  }
}
