// `suspendRunning` / `resumeSuspended` (from `@actorkit/core/internal`): the node layer's
// flow control suspends a process that sends to a busy peer, as the BEAM suspends a
// sender to a busy distribution port, and resumes it once the peer's buffer drained.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pid, ProcessContext, ReceiveContext } from '../src/index.js';
import {
  isSuspended,
  resumeSuspended,
  type SuspendedProcess,
  suspendRunning,
} from '../src/internal.js';
import { exitOf, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

describe('suspendRunning()', () => {
  it('ends the running turn at the next message and takes no more turns until resumed, while other processes run', async () => {
    const { runtime, clock } = virtualRuntime();
    const handled: number[] = [];
    let suspended: SuspendedProcess | null = null;
    const sender = runtime.spawn<number>({
      handle(n) {
        handled.push(n as number);
        if (n === 2) suspended = suspendRunning(runtime);
      },
    });
    let other = 0;
    const busy = runtime.spawn<'go'>({
      handle(_m, ctx) {
        if (++other < 50) ctx.send(ctx.self, 'go');
      },
    });
    for (let n = 1; n <= 5; n++) runtime.send(sender, n);
    runtime.send(busy, 'go');
    await clock.settle();
    expect(handled).toEqual([1, 2]);
    expect(isSuspended(sender)).toBe(true);
    expect(other).toBe(50);
    runtime.send(sender, 6);
    await clock.settle();
    expect(handled).toEqual([1, 2]);
    expect(runtime.processInfo(sender)?.mailboxLength).toBe(4);
    expect(resumeSuspended(runtime, suspended!)).toBe(true);
    await clock.settle();
    expect(handled).toEqual([1, 2, 3, 4, 5, 6]);
    expect(isSuspended(sender)).toBe(false);
  });

  it('returns null outside any turn: there is nobody to suspend', () => {
    const { runtime } = virtualRuntime();
    expect(suspendRunning(runtime)).toBeNull();
  });

  it('suspends a body process at its next receive', async () => {
    const { runtime, clock } = virtualRuntime();
    const got: number[] = [];
    let suspended: SuspendedProcess | null = null;
    const body = runtime.spawn(async (ctx: ReceiveContext<number>) => {
      for (;;) {
        const n = await ctx.receive();
        got.push(n as number);
        if (n === 1) suspended = suspendRunning(runtime);
      }
    });
    for (let n = 1; n <= 3; n++) runtime.send(body, n);
    await clock.settle();
    expect(got).toEqual([1]);
    expect(suspended).not.toBeNull();
    resumeSuspended(runtime, suspended!);
    await clock.settle();
    expect(got).toEqual([1, 2, 3]);
  });

  it('leaves a suspended process open to exit signals, and a later resume harmless', async () => {
    const { runtime, clock } = virtualRuntime();
    let suspended: SuspendedProcess | null = null;
    const pid = runtime.spawn<string>({
      handle() {
        suspended = suspendRunning(runtime);
      },
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await clock.settle();
    const exited = exitOf(runtime, pid);
    runtime.exit(pid, 'kill');
    expect(await exited).toBe('killed');
    expect(resumeSuspended(runtime, suspended!)).toBe(true);
    await clock.settle();
    expect(resumeSuspended(runtime, suspended!)).toBe(false);
  });

  it('lets the runtime stop with processes suspended', async () => {
    const { runtime, clock } = virtualRuntime();
    const pid = runtime.spawn<string>({
      handle() {
        suspendRunning(runtime);
      },
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await clock.settle();
    const exited = exitOf(runtime, pid);
    await runtime.stop({ timeout: 0 });
    expect(await exited).toBe('shutdown');
  });

  it('keeps every process its messages in order, and every message handled once, whoever is suspended and resumed when', async () => {
    // Processes send one another numbered messages; some suspend themselves at random
    // points and a driver resumes them at random points. Resumed, each has handled what
    // it got, in the order sent per sender.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 60 }),
        async (steps) => {
          const { runtime, clock } = virtualRuntime({ budget: 3 });
          const got = new Map<number, [number, number][]>();
          const suspended = new Set<SuspendedProcess>();
          const pids: Pid<[number, number, boolean]>[] = [];
          for (let p = 0; p < 4; p++) {
            got.set(p, []);
            pids.push(
              runtime.spawn({
                handle([from, seq, suspend]: [number, number, boolean], _ctx: ProcessContext) {
                  got.get(p)!.push([from, seq]);
                  if (suspend) {
                    const s = suspendRunning(runtime);
                    if (s !== null) suspended.add(s);
                  }
                },
              }),
            );
          }
          const seq = [0, 0, 0, 0];
          for (const [from, to, suspend] of steps) {
            runtime.send(pids[to]!, [from, seq[from]!++, suspend]);
            if (!suspend) {
              await clock.settle();
              for (const s of suspended) resumeSuspended(runtime, s);
              suspended.clear();
            }
          }
          for (;;) {
            await clock.settle();
            if (suspended.size === 0) break;
            for (const s of [...suspended]) {
              suspended.delete(s);
              resumeSuspended(runtime, s);
            }
          }
          let total = 0;
          for (const list of got.values()) {
            total += list.length;
            for (let from = 0; from < 4; from++) {
              const mine = list.filter(([f]) => f === from).map(([, s]) => s);
              expect(mine).toEqual([...mine].sort((a, b) => a - b));
            }
          }
          expect(total).toBe(steps.length);
          await runtime.stop({ timeout: 0 });
        },
      ),
      { numRuns: 60 },
    );
  });
});
