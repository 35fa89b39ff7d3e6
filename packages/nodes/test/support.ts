import type { Pid, Runtime } from '@actorkit/core';

/** The fixtures module, as the worker nodes import it. */
export const fixtures = new URL('./fixtures/processes.ts', import.meta.url);

/**
 * A process on `runtime` that collects every message it gets, and `next(match)`, which
 * resolves with the first collected message `match` accepts (waiting for it if need be).
 */
export function inbox(runtime: Runtime): {
  pid: Pid<any>;
  messages: unknown[];
  next<T = any>(match?: (message: any) => boolean): Promise<T>;
} {
  const messages: unknown[] = [];
  let waiters: Array<() => void> = [];
  const pid = runtime.spawn({
    handle(message: unknown) {
      messages.push(message);
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  });
  const next = <T>(match: (message: any) => boolean = () => true): Promise<T> =>
    new Promise<T>((resolve) => {
      const look = () => {
        const index = messages.findIndex(match);
        if (index === -1) {
          waiters.push(look);
          return;
        }
        resolve(messages.splice(index, 1)[0] as T);
      };
      look();
    });
  return { pid, messages, next };
}
