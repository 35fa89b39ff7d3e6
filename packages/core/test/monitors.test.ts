import { describe, expect, it, vi } from 'vitest';
import { Crash, Down, isDown, type Pid, type Ref, type Runtime, TIMEOUT } from '../src/index.js';
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
