import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Crash, Down, isDown, type Pid, type Ref, type Runtime, TIMEOUT } from '../src/index.js';
import { demonitorFlushing } from '../src/internal.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

function world() {
  const { runtime, clock } = virtualRuntime();
  const idle = () => runtime.spawn({ handle() {} });
  return { runtime, clock, settle: () => clock.settle(), idle };
}

/**
 * A process that monitors `target` on 'monitor', demonitors on 'demonitor'/'flush',
 * and keeps every message it receives.
 */
function watcher(runtime: Runtime, target: Pid<any>) {
  const inbox: unknown[] = [];
  const refs: Ref[] = [];
  const results: boolean[] = [];
  const pid = runtime.spawn<string>({
    handle(message, ctx) {
      if (message === 'monitor') refs.push(ctx.monitor(target));
      else if (message === 'demonitor') results.push(ctx.demonitor(refs[0]!));
      else if (message === 'flush') results.push(ctx.demonitor(refs[0]!, { flush: true }));
      else inbox.push(message);
    },
  });
  return { pid, inbox, refs, results };
}

describe('ctx.monitor()', () => {
  it('delivers one Down with the ref, the PID and the exit reason', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.exit(target, { custom: 1 });
    await settle();
    expect(w.inbox).toHaveLength(1);
    const down = w.inbox[0] as Down;
    expect(isDown(down)).toBe(true);
    expect(down.type).toBe('DOWN');
    expect(down.ref).toBe(w.refs[0]);
    expect(down.pid).toBe(target);
    expect(down.reason).toEqual({ custom: 1 });
  });

  it('delivers one Down per monitor when the same target is monitored twice', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.exit(target, 'kill');
    await settle();
    expect(w.inbox).toEqual([
      new Down(w.refs[0]!, target, 'killed'),
      new Down(w.refs[1]!, target, 'killed'),
    ]);
    expect(w.refs[0]).not.toBe(w.refs[1]);
  });

  it.each([
    ['normal', 'normal'],
    ['shutdown', 'shutdown'],
    ['kill', 'killed'],
  ])("reports an exit signal '%s' as Down reason '%s'", async (sent, reason) => {
    const { runtime, settle } = world();
    const target = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    if (sent === 'normal') runtime.send(target, 'finish');
    else runtime.exit(target, sent);
    await settle();
    expect(w.inbox).toEqual([new Down(w.refs[0]!, target, reason)]);
  });

  it('reports a crash as a Down carrying the Crash', async () => {
    const { runtime, settle } = world();
    const error = new Error('boom');
    const target = runtime.spawn(async (ctx) => {
      await ctx.receive();
      throw error;
    });
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.send(target, 'crash');
    await settle();
    const down = w.inbox[0] as Down;
    expect(down.reason).toBeInstanceOf(Crash);
    expect((down.reason as Crash).error).toBe(error);
  });

  it("delivers Down 'noproc' at once for a dead PID", async () => {
    const { runtime, settle, idle } = world();
    const dead = idle();
    runtime.exit(dead, 'kill');
    let seen: unknown;
    let ref: Ref | undefined;
    runtime.spawn(async (ctx) => {
      ref = ctx.monitor(dead);
      // timeout 0 looks at the mailbox once: the Down must already be there.
      seen = await ctx.receive({ timeout: 0 });
    });
    await settle();
    expect(seen).toEqual(new Down(ref!, dead, 'noproc'));
    expect((seen as Down).ref).toBe(ref);
  });

  it('does not kill or link the watcher', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    expect(runtime.processInfo(w.pid)?.links).toEqual([]);
    runtime.exit(target, 'boom');
    await settle();
    expect(runtime.isAlive(w.pid)).toBe(true);
  });

  it('shows in processInfo on both sides while active', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    expect(runtime.processInfo(w.pid)?.monitors).toEqual([target]);
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([w.pid]);
  });
});

describe('ctx.spawnMonitor()', () => {
  it('returns the PID and a ref whose Down arrives when the child exits', async () => {
    const { runtime, settle } = world();
    let got: unknown;
    let pair: [Pid<any>, Ref] | undefined;
    runtime.spawn(async (ctx) => {
      pair = ctx.spawnMonitor(async () => {
        throw new Error('child');
      });
      got = await ctx.receive(isDown);
    });
    await settle();
    expect(got).toBeInstanceOf(Down);
    expect((got as Down).ref).toBe(pair![1]);
    expect((got as Down).pid).toBe(pair![0]);
  });
});

describe('ctx.demonitor()', () => {
  it('stops delivery and returns true for an active monitor', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    runtime.send(w.pid, 'demonitor');
    await settle();
    expect(w.results).toEqual([true]);
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([]);
    runtime.exit(target, 'boom');
    await settle();
    expect(w.inbox).toEqual([]);
  });

  it('returns false once the monitor has fired', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.exit(target, 'boom');
    await settle();
    runtime.send(w.pid, 'demonitor');
    await settle();
    expect(w.results).toEqual([false]);
  });

  it('with { flush: true } removes a Down that already arrived', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    let after: unknown;
    let result: boolean | undefined;
    const other = idle();
    const watcherPid = runtime.spawn(async (ctx) => {
      const ref = ctx.monitor(target);
      ctx.monitor(other);
      ctx.send(ctx.self, 'before');
      await ctx.receive((m) => m === 'go');
      // The Down for `ref` is in the mailbox now, behind 'before'.
      result = ctx.demonitor(ref, { flush: true });
      after = [await ctx.receive({ timeout: 0 }), await ctx.receive({ timeout: 0 })];
    });
    await settle();
    runtime.exit(target, 'boom');
    expect(runtime.processInfo(watcherPid)?.mailboxLength).toBe(2);
    runtime.send(watcherPid, 'go');
    await settle();
    expect(result).toBe(false);
    expect(after).toEqual(['before', TIMEOUT]);
  });

  it('without flush leaves a Down that already arrived', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    let after: unknown;
    const pid = runtime.spawn(async (ctx) => {
      const ref = ctx.monitor(target);
      await ctx.receive((m) => m === 'go');
      ctx.demonitor(ref);
      after = await ctx.receive({ timeout: 0 });
    });
    await settle();
    runtime.exit(target, 'boom');
    runtime.send(pid, 'go');
    await settle();
    expect(after).toBeInstanceOf(Down);
  });

  it('with { flush: true } removes only that monitor’s Down', async () => {
    const { runtime, settle, idle } = world();
    const a = idle();
    const b = idle();
    let after: unknown;
    let refB: Ref | undefined;
    const pid = runtime.spawn(async (ctx) => {
      const refA = ctx.monitor(a);
      refB = ctx.monitor(b);
      await ctx.receive((m) => m === 'go');
      ctx.demonitor(refA, { flush: true });
      after = [await ctx.receive({ timeout: 0 }), await ctx.receive({ timeout: 0 })];
    });
    await settle();
    runtime.exit(a, 'boom');
    runtime.exit(b, 'boom');
    runtime.send(pid, 'go');
    await settle();
    expect(after).toEqual([new Down(refB!, b, 'boom'), TIMEOUT]);
  });

  it('once it has returned, no Down of that monitor arrives, even when it ran during the target’s exit', async () => {
    // Erlang's guarantee. Code can run in the middle of an exit (a watch callback, such as a
    // Task's, that takes the task's outcome for the process monitoring it): the monitor it
    // removes there was already listed for a Down.
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    let removed = false;
    runtime.watch(target, () => {
      demonitorFlushing(w.pid, w.refs[0]!, () => false);
      removed = true;
    });
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.exit(target, 'boom');
    await settle();
    expect(removed).toBe(true);
    expect(w.inbox).toEqual([]);
  });
});

describe('monitor ownership', () => {
  it('monitors die with the watcher: the target no longer lists it in monitoredBy', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    runtime.send(w.pid, 'monitor');
    await settle();
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([w.pid, w.pid]);
    runtime.exit(w.pid, 'kill');
    await settle();
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([]);
  });

  it('a dead watcher gets no Down and produces no dead letter', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const w = watcher(runtime, target);
    runtime.send(w.pid, 'monitor');
    await settle();
    runtime.exit(w.pid, 'kill');
    const deadLetters = runtime.stats.deadLetters;
    runtime.exit(target, 'boom');
    await settle();
    expect(w.inbox).toEqual([]);
    expect(runtime.stats.deadLetters).toBe(deadLetters);
  });
});

describe('runtime.watch()', () => {
  it('calls the callback once, synchronously, with the exit reason', async () => {
    const { runtime, idle } = world();
    const target = idle();
    const onDown = vi.fn();
    runtime.watch(target, onDown);
    expect(onDown).not.toHaveBeenCalled();
    runtime.exit(target, { shutdown: 'bye' });
    expect(onDown).toHaveBeenCalledTimes(1);
    expect(onDown).toHaveBeenCalledWith({ shutdown: 'bye' });
    runtime.exit(target, 'kill');
    expect(onDown).toHaveBeenCalledTimes(1);
  });

  it("calls the callback with 'noproc' before returning for a dead PID", async () => {
    const { runtime, idle } = world();
    const dead = idle();
    runtime.exit(dead, 'kill');
    const onDown = vi.fn();
    const cancel = runtime.watch(dead, onDown);
    expect(onDown).toHaveBeenCalledExactlyOnceWith('noproc');
    expect(cancel()).toBe(false);
  });

  it('returns a cancel function that stops the callback and reports whether it was active', async () => {
    const { runtime, idle } = world();
    const target = idle();
    const onDown = vi.fn();
    const cancel = runtime.watch(target, onDown);
    expect(cancel()).toBe(true);
    expect(cancel()).toBe(false);
    runtime.exit(target, 'boom');
    expect(onDown).not.toHaveBeenCalled();
  });

  it('is not listed in processInfo().monitoredBy', async () => {
    const { runtime, idle } = world();
    const target = idle();
    runtime.watch(target, () => {});
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([]);
  });

  it("turns a throwing callback into a 'watcher_error' report, not an uncaught exception", async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    const reports: unknown[] = [];
    runtime.events.on('report', (report) => reports.push(report));
    const error = new Error('callback failed');
    const second = vi.fn();
    runtime.watch(target, () => {
      throw error;
    });
    runtime.watch(target, second);
    expect(() => runtime.exit(target, 'boom')).not.toThrow();
    await settle();
    expect(reports).toEqual([{ type: 'watcher_error', node: runtime.node, error, reason: 'boom' }]);
    // The failing callback does not keep the others from running, and the exit completes.
    expect(second).toHaveBeenCalledWith('boom');
    expect(runtime.isAlive(target)).toBe(false);
  });

  it('does not let a throwing callback crash the process whose exit triggered it', async () => {
    const { runtime, settle, idle } = world();
    const target = idle();
    runtime.watch(target, () => {
      throw new Error('callback failed');
    });
    const killer = runtime.spawn(async (ctx) => {
      ctx.exit(target, 'boom');
      await ctx.receive();
    });
    await settle();
    expect(runtime.isAlive(target)).toBe(false);
    expect(runtime.isAlive(killer)).toBe(true);
  });
});

describe('the monitors of each process', () => {
  type Op =
    | { kind: 'monitor' | 'demonitor'; from: number; to: number }
    | { kind: 'watch' | 'cancel' | 'kill'; from: number; to: number };
  const scenario = fc.integer({ min: 2, max: 6 }).chain((count) =>
    fc.tuple(
      fc.constant(count),
      fc.array(
        fc.record({
          kind: fc.constantFrom<Op['kind']>(
            'monitor',
            'monitor',
            'demonitor',
            'watch',
            'cancel',
            'kill',
          ),
          from: fc.integer({ min: 0, max: count - 1 }),
          to: fc.integer({ min: 0, max: 12 }),
        }),
        { maxLength: 60, size: 'max' },
      ),
    ),
  );

  it('are those made and not undone, in the order made, each Down and callback once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([count, ops]) => {
        const { runtime, settle } = world();
        const pids: Pid<Op>[] = [];
        const refs: Ref[][] = [];
        const downs: string[][] = [];
        const results: boolean[][] = [];
        for (let i = 0; i < count; i++) {
          refs.push([]);
          downs.push([]);
          results.push([]);
          pids.push(
            runtime.spawn<Op>({
              handle(m, ctx) {
                if (isDown(m)) return void downs[i]!.push(`${refs[i]!.indexOf(m.ref)} ${m.reason}`);
                const { kind, to } = m as Op;
                if (kind === 'monitor') refs[i]!.push(ctx.monitor(pids[to % count]!));
                else if (refs[i]!.length > 0) {
                  results[i]!.push(ctx.demonitor(refs[i]![to % refs[i]!.length]!));
                }
              },
            }),
          );
        }
        // The model: each monitor made (watcher, target, live), and what each must see.
        const made: { from: number; to: number; live: boolean; seq: number }[][] = pids.map(
          () => [],
        );
        const watches: { to: number; live: boolean; cancel: () => boolean }[] = [];
        const called: string[] = [];
        const expectedCalls: string[] = [];
        const expectedDowns = pids.map(() => [] as string[]);
        const expectedResults = pids.map(() => [] as boolean[]);
        const alive = pids.map(() => true);
        let seq = 0;
        for (const { kind, from, to } of ops) {
          const target = to % count;
          if (kind === 'watch') {
            const n = watches.length;
            const cancel = runtime.watch(
              pids[target]!,
              (reason) => void called.push(`${n} ${reason}`),
            );
            watches.push({ to: target, live: alive[target]!, cancel });
            if (!alive[target]) expectedCalls.push(`${n} noproc`);
          } else if (kind === 'cancel') {
            const w = watches[to % Math.max(1, watches.length)];
            if (w !== undefined) {
              expect(w.cancel()).toBe(w.live);
              w.live = false;
            }
          } else if (!alive[from]) {
            continue;
          } else if (kind === 'kill') {
            runtime.exit(pids[from]!, 'kill');
            alive[from] = false;
            for (const m of made[from]!) m.live = false;
            made.forEach((list, watcher) => {
              list.forEach((m, index) => {
                if (m.live && m.to === from) {
                  m.live = false;
                  expectedDowns[watcher]!.push(`${index} killed`);
                }
              });
            });
            watches.forEach((w, n) => {
              if (w.live && w.to === from) {
                w.live = false;
                expectedCalls.push(`${n} killed`);
              }
            });
          } else {
            runtime.send(pids[from]!, { kind, from, to });
            if (kind === 'monitor') {
              made[from]!.push({ from, to: target, live: alive[target]!, seq: seq++ });
              if (!alive[target]) expectedDowns[from]!.push(`${made[from]!.length - 1} noproc`);
            } else if (made[from]!.length > 0) {
              const m = made[from]![to % made[from]!.length]!;
              expectedResults[from]!.push(m.live);
              m.live = false;
            }
          }
          await settle();
        }
        pids.forEach((pid, i) => {
          if (!alive[i]) {
            expect(runtime.processInfo(pid)).toBeUndefined();
            return;
          }
          const info = runtime.processInfo(pid)!;
          expect(info.monitors).toEqual(made[i]!.filter((m) => m.live).map((m) => pids[m.to]));
          const on = made
            .flatMap((list) => list.filter((m) => m.live && m.to === i))
            .sort((a, b) => a.seq - b.seq);
          expect(info.monitoredBy).toEqual(on.map((m) => pids[m.from]));
          expect(downs[i]).toEqual(expectedDowns[i]);
          expect(results[i]).toEqual(expectedResults[i]);
        });
        expect(called).toEqual(expectedCalls);
        await runtime.stop({ timeout: 0 });
      }),
      { numRuns: 150 },
    );
  });
});
