import { describe, expect, it } from 'vitest';
import {
  comparePids,
  InvalidArgumentError,
  isPid,
  isRef,
  makeRef,
  type Pid,
  type Runtime,
  type VirtualClock,
} from '../src/index.js';
import { hostileValues } from './hostile-values.js';
import { stopRuntimesAfterEach, virtualRuntime } from './support.js';

function newRuntime(node?: number): { runtime: Runtime; clock: VirtualClock } {
  return virtualRuntime(node === undefined ? {} : { node });
}

function idle(): { handle(): void } {
  return { handle() {} };
}

stopRuntimesAfterEach();

describe('Pid', () => {
  it('prints as #PID<node.id.0>', () => {
    const { runtime } = newRuntime(7);
    const first = runtime.spawn(idle());
    const second = runtime.spawn(idle());
    expect(String(first)).toBe(`#PID<7.${first.id}.0>`);
    expect(`${second}`).toBe(`#PID<7.${second.id}.0>`);
    expect(second.id).toBe(first.id + 1);
    expect(JSON.stringify({ pid: first })).toBe(`{"pid":"#PID<7.${first.id}.0>"}`);
  });

  it('prints the runtime init PID as #PID<node.0.0>', () => {
    const { runtime } = newRuntime(3);
    expect(String(runtime.initPid)).toBe('#PID<3.0.0>');
  });

  it('is recognised by isPid and nothing else is', () => {
    const { runtime } = newRuntime();
    const pid = runtime.spawn(idle());
    expect(isPid(pid)).toBe(true);
    expect(isPid(String(pid))).toBe(false);
    expect(isPid({ node: pid.node, id: pid.id, serial: 0 })).toBe(false);
    expect(isPid(null)).toBe(false);
  });

  // Regression: isPid was a plain instanceof, which throws for a revoked proxy, so a
  // check meant to reject a bad argument threw a TypeError of its own instead.
  it('is false, never a throw, for every hostile value (revoked proxies, throwing traps)', () => {
    const { runtime } = newRuntime();
    const pid = runtime.spawn(idle());
    for (const { label, value } of hostileValues()) {
      expect(isPid(value), label).toBe(false);
      expect(pid.equals(value), label).toBe(false);
    }
  });

  it('stays the same object for the whole life of its process', async () => {
    const { runtime, clock } = newRuntime();
    const seen: Pid<any>[] = [];
    const pid = runtime.spawn({
      handle(_message, ctx) {
        seen.push(ctx.self);
      },
    });
    runtime.send(pid, 'a');
    runtime.send(pid, 'b');
    await clock.settle();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(pid);
    expect(seen[1]).toBe(pid);
    expect(runtime.processes()).toContain(pid);
  });
});

describe('Pid.equals()', () => {
  it('is true for the same process and false for another', () => {
    const { runtime } = newRuntime();
    const a = runtime.spawn(idle());
    const b = runtime.spawn(idle());
    expect(a.equals(a)).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(String(a))).toBe(false);
    expect(a.equals(undefined)).toBe(false);
  });

  it('is true for a parsed copy of a dead PID and false across nodes', async () => {
    const { runtime, clock } = newRuntime(11);
    const { runtime: other } = newRuntime(12);
    const pid = runtime.spawn(idle());
    runtime.exit(pid, 'kill');
    await clock.settle();
    const copy = runtime.parsePid(String(pid));
    expect(copy).not.toBe(pid);
    expect(copy.equals(pid)).toBe(true);
    expect(pid.equals(copy)).toBe(true);
    const sameIdOtherNode = other.parsePid(`#PID<12.${pid.id}.0>`);
    expect(sameIdOtherNode.equals(pid)).toBe(false);
  });
});

describe('comparePids()', () => {
  it('orders PIDs by node, then id, then serial', () => {
    const { runtime: a } = newRuntime(1);
    const { runtime: b } = newRuntime(2);
    const a1 = a.spawn(idle());
    const a2 = a.spawn(idle());
    const b1 = b.spawn(idle());
    expect(comparePids(a1, a2)).toBeLessThan(0);
    expect(comparePids(a2, a1)).toBeGreaterThan(0);
    expect(comparePids(a1, a1)).toBe(0);
    expect(comparePids(a2, b1)).toBeLessThan(0);
    const serialOne = a.parsePid(`#PID<1.${a1.id}.1>`);
    expect(comparePids(a1, serialOne)).toBeLessThan(0);
    expect([b1, a2, serialOne, a1].sort(comparePids)).toEqual([a1, serialOne, a2, b1]);
  });
});

describe('Pid as a Map key', () => {
  it('finds the entry of each process by its PID', async () => {
    const { runtime, clock } = newRuntime();
    const pids = Array.from({ length: 100 }, () => runtime.spawn(idle()));
    const byPid = new Map<Pid<any>, number>(pids.map((pid, i) => [pid, i]));
    expect(byPid.size).toBe(100);
    const fromInside: Pid<any>[] = [];
    const reporter = runtime.spawn({
      handle(_message, ctx) {
        fromInside.push(ctx.self);
      },
    });
    byPid.set(reporter, 100);
    runtime.send(reporter, 'who');
    await clock.settle();
    expect(byPid.get(fromInside[0]!)).toBe(100);
    pids.forEach((pid, i) => {
      expect(byPid.get(pid)).toBe(i);
      expect(byPid.get(runtime.parsePid(String(pid)))).toBe(i);
    });
  });
});

describe('Runtime.parsePid()', () => {
  it('returns the same PID object for a live process', () => {
    const { runtime } = newRuntime();
    const pids = Array.from({ length: 20 }, () => runtime.spawn(idle()));
    for (const pid of pids) {
      expect(runtime.parsePid(String(pid))).toBe(pid);
      expect(runtime.parsePid(`<${pid.node}.${pid.id}.0>`)).toBe(pid);
    }
  });

  it('round-trips through JSON for a live process', () => {
    const { runtime } = newRuntime();
    const pid = runtime.spawn(idle());
    const text = JSON.parse(JSON.stringify({ pid })).pid as string;
    expect(runtime.parsePid(text)).toBe(pid);
  });

  it('returns a PID of nobody for a process that has exited, and sends to it are dead letters', async () => {
    const { runtime, clock } = newRuntime();
    const pid = runtime.spawn(idle());
    runtime.exit(pid, 'kill');
    await clock.settle();
    const parsed = runtime.parsePid(String(pid));
    expect(parsed).not.toBe(pid);
    expect(String(parsed)).toBe(String(pid));
    expect(runtime.isAlive(parsed)).toBe(false);
    const before = runtime.stats.deadLetters;
    expect(runtime.send(parsed, 'hello')).toBe(false);
    expect(runtime.stats.deadLetters).toBe(before + 1);
  });

  it('does not resolve a PID of another runtime to a local process', () => {
    const { runtime: a } = newRuntime(21);
    const { runtime: b } = newRuntime(22);
    const inA = a.spawn(idle());
    const parsedInB = b.parsePid(String(inA));
    expect(parsedInB).not.toBe(inA);
    expect(b.isAlive(parsedInB)).toBe(false);
    expect(parsedInB.node).toBe(21);
  });

  it.each([
    '',
    'PID<0.1.0>',
    '#PID<0.1>',
    '#PID<a.b.c>',
    '#PID<0.1.0',
    '#PID<-1.2.0>',
    '#Reference<0.0.0.1>',
  ])('throws InvalidArgumentError for the text %j', (text) => {
    const { runtime } = newRuntime();
    expect(() => runtime.parsePid(text)).toThrow(InvalidArgumentError);
    try {
      runtime.parsePid(text);
    } catch (error) {
      expect((error as InvalidArgumentError).argument).toBe('text');
      expect((error as Error).message).toContain('#PID<0.42.0>');
    }
  });

  it('throws InvalidArgumentError for a value that is not a string', () => {
    const { runtime } = newRuntime();
    expect(() => runtime.parsePid(42 as unknown as string)).toThrow(InvalidArgumentError);
    expect(() => runtime.parsePid(undefined as unknown as string)).toThrow(InvalidArgumentError);
  });
});

describe('makeRef()', () => {
  it('gives a new, distinct reference on every call', () => {
    const refs = Array.from({ length: 10_000 }, () => makeRef());
    expect(new Set(refs).size).toBe(10_000);
    expect(new Set(refs.map(String)).size).toBe(10_000);
    expect(refs.every(isRef)).toBe(true);
    expect(refs[0]).not.toBe(refs[1]);
  });

  it('prints like #Reference<0.0.0.n>', () => {
    const ref = makeRef();
    expect(String(ref)).toMatch(/^#Reference<0\.0\.0\.\d+>$/);
    expect(JSON.stringify(ref)).toBe(JSON.stringify(String(ref)));
  });

  it('never repeats a monitor ref or a timer ref', async () => {
    const { runtime, clock } = newRuntime();
    const target = runtime.spawn(idle());
    const refs: unknown[] = [makeRef()];
    runtime.spawn(async (ctx) => {
      refs.push(ctx.monitor(target), ctx.sendAfter('tick', 1000), ctx.monitor(target));
    });
    refs.push(runtime.sendAfter(target, 'tick', 1000), makeRef());
    await clock.settle();
    expect(refs).toHaveLength(6);
    expect(new Set(refs).size).toBe(6);
    expect(new Set(refs.map(String)).size).toBe(6);
    expect(refs.every(isRef)).toBe(true);
  });

  it('is not recognised as a PID, and a PID is not a ref', () => {
    const { runtime } = newRuntime();
    expect(isPid(makeRef())).toBe(false);
    expect(isRef(runtime.spawn(idle()))).toBe(false);
  });
});
