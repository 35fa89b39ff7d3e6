// Deadlines (`addDeadline`/`removeDeadline` from `@actorkit/core/internal`): what a
// GenServer.call's timeout runs on. Nodes of one timeout length form a FIFO with one
// weak timer; the clock alarm is held only while some node is pending.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Report, Runtime, VirtualClock } from '../src/index.js';
import { addDeadline, type DeadlineNode, removeDeadline } from '../src/internal.js';
import { CountingClock, stopRuntimesAfterEach, trackedRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

const DAY = 24 * 60 * 60 * 1000;

/** A virtual clock that also records whether the runtime holds its alarm (as `RealClock` refs its Node timer). */
class HoldClock extends VirtualClock {
  held = false;

  holdAlarm(hold: boolean): void {
    this.held = hold;
  }
}

/** A deadline node that logs `[name, clock time]` when it expires, then runs `then`. */
class TestNode implements DeadlineNode {
  deadline = 0;
  deadlineQueue: object | null = null;
  prevDeadline: DeadlineNode | null = null;
  nextDeadline: DeadlineNode | null = null;

  constructor(
    readonly name: string,
    private readonly log: [string, number][],
    private readonly clock: VirtualClock,
    private readonly then?: () => void,
  ) {}

  expire(): void {
    this.log.push([this.name, this.clock.now()]);
    this.then?.();
  }
}

function world() {
  const clock = new HoldClock();
  const runtime = trackedRuntime({ clock });
  const expired: [string, number][] = [];
  const reports: Report[] = [];
  runtime.events.on('report', (report) => reports.push(report));
  return {
    runtime,
    clock,
    expired,
    reports,
    node: (name: string, then?: () => void) => new TestNode(name, expired, clock, then),
    add: (node: DeadlineNode, ms: number) => addDeadline(runtime, node, ms),
    remove: (node: DeadlineNode) => removeDeadline(runtime, node),
    /** Advances to clock time `at`. */
    advanceTo: (at: number) => clock.advance(at - clock.now()),
  };
}

/** The number of timeout lengths the runtime's deadlines keep a queue for (private state). */
function queueCount(runtime: Runtime): number {
  return (runtime.deadlines as unknown as { queues: Map<number, unknown> }).queues.size;
}

describe('addDeadline()', () => {
  it('calls expire() exactly at the deadline, not a millisecond before', async () => {
    const { clock, expired, node, add } = world();
    await clock.advance(37);
    add(node('a'), 100);
    await clock.advance(99);
    expect(expired).toEqual([]);
    await clock.advance(1);
    expect(expired).toEqual([['a', 137]]);
  });

  it('calls expire() once, however far the clock moves on', async () => {
    const { clock, expired, node, add } = world();
    add(node('a'), 100);
    await clock.advance(100);
    await clock.advance(10_000);
    expect(expired).toEqual([['a', 100]]);
  });

  it('expires a 0 ms deadline when the timers next run, at the time it was added', async () => {
    const { clock, expired, node, add } = world();
    await clock.advance(5);
    add(node('a'), 0);
    expect(expired).toEqual([]);
    await clock.advance(0);
    expect(expired).toEqual([['a', 5]]);
  });

  it('expires nodes of one length in the order they were added, each at its own deadline', async () => {
    const { expired, node, add, advanceTo } = world();
    add(node('a'), 100);
    add(node('b'), 100);
    await advanceTo(10);
    add(node('c'), 100);
    await advanceTo(25);
    add(node('d'), 100);
    add(node('e'), 100);
    await advanceTo(109);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 100],
    ]);
    await advanceTo(1000);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 110],
      ['d', 125],
      ['e', 125],
    ]);
  });

  it('does not expire a node added 1 ms after the head together with it', async () => {
    const { expired, node, add, advanceTo } = world();
    add(node('a'), 100);
    await advanceTo(1);
    add(node('b'), 100);
    await advanceTo(100);
    expect(expired).toEqual([['a', 100]]);
    await advanceTo(101);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 101],
    ]);
  });

  it('interleaves nodes of different lengths by deadline', async () => {
    const { expired, node, add, advanceTo } = world();
    add(node('a'), 300);
    add(node('b'), 100);
    await advanceTo(10);
    add(node('d'), 250);
    await advanceTo(20);
    add(node('c'), 50);
    await advanceTo(40);
    add(node('e'), 100);
    await advanceTo(1000);
    expect(expired).toEqual([
      ['c', 70],
      ['b', 100],
      ['e', 140],
      ['d', 260],
      ['a', 300],
    ]);
  });

  it('does not let a long-pending node delay shorter ones added after it', async () => {
    const { expired, node, add, advanceTo } = world();
    // 60 s is past the timer wheel's 4 s span: its timer waits in the far heap.
    add(node('long'), 60_000);
    await advanceTo(50);
    add(node('short'), 100);
    await advanceTo(5000);
    add(node('medium'), 4500);
    await advanceTo(59_999);
    expect(expired).toEqual([
      ['short', 150],
      ['medium', 9500],
    ]);
    await advanceTo(60_000);
    expect(expired.at(-1)).toEqual(['long', 60_000]);
  });

  // Issue #12 item 3: a call timeout past Node's longest timer (2^31 − 1 ms) made the node
  // wake up about 850 times a second until it was due.
  it("expires a node of 30 days exactly at its deadline, stepping over Node's timer limit", async () => {
    const { clock, expired, node, add, advanceTo } = world();
    const alarms: [number, number][] = [];
    const setAlarm = clock.setAlarm.bind(clock);
    clock.setAlarm = (at, onAlarm) => {
      alarms.push([clock.now(), at]);
      setAlarm(at, onAlarm);
    };
    add(node('month'), 30 * DAY);
    await advanceTo(30 * DAY - 1);
    expect(expired).toEqual([]);
    expect(clock.held).toBe(true);
    await advanceTo(30 * DAY);
    expect(expired).toEqual([['month', 30 * DAY]]);
    expect(clock.held).toBe(false);
    for (const [now, at] of alarms) expect(at - now).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(alarms.length).toBeLessThan(10);
  });

  it('expires a node re-added after it expired again, at its new deadline', async () => {
    const { expired, node, add, advanceTo } = world();
    const a = node('a');
    add(a, 100);
    await advanceTo(100);
    add(a, 50);
    await advanceTo(120);
    add(node('b'), 100);
    await advanceTo(1000);
    add(a, 100);
    await advanceTo(2000);
    expect(expired).toEqual([
      ['a', 100],
      ['a', 150],
      ['b', 220],
      ['a', 1100],
    ]);
  });

  it('expires a node that expire() re-adds to its own length at its new deadline', async () => {
    const { clock, expired, node, add } = world();
    let left = 3;
    const a = node('a', () => {
      if (--left > 0) add(a, 100);
    });
    add(a, 100);
    await clock.advance(1000);
    expect(expired).toEqual([
      ['a', 100],
      ['a', 200],
      ['a', 300],
    ]);
    expect(clock.held).toBe(false);
  });

  // Pins a bug: fire() re-arms the queue's timer when nodes are left, even if an add()
  // from inside expire() has armed one already, so every such cycle leaves one more weak
  // timer running for as long as the queue has nodes.
  it('keeps one timer for a length when expire() re-adds a node of that length', async () => {
    const { runtime, clock, node, add } = world();
    const a = node('a', () => add(a, 100));
    add(a, 100);
    for (let i = 0; i < 5; i++) {
      await clock.advance(100);
      expect(runtime.timers.pending).toBe(1);
    }
  });
});

describe('removeDeadline()', () => {
  it('keeps expire() from ever being called for a node removed before its deadline', async () => {
    const { clock, expired, node, add, remove, advanceTo } = world();
    const a = node('a');
    add(a, 100);
    await advanceTo(99);
    remove(a);
    await clock.advance(10_000);
    expect(expired).toEqual([]);
  });

  it('does nothing for a node never added, already removed, or already expired', async () => {
    const { clock, expired, node, add, remove, advanceTo } = world();
    const never = node('never');
    remove(never);
    const a = node('a');
    const b = node('b');
    add(a, 100);
    add(b, 100);
    await advanceTo(100);
    remove(a);
    remove(a);
    const c = node('c');
    add(c, 100);
    remove(b);
    remove(b);
    expect(clock.held).toBe(true);
    await advanceTo(1000);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 200],
    ]);
  });

  it('moves expiry to the next node’s own deadline when the head is removed', async () => {
    const { expired, node, add, remove, advanceTo } = world();
    const a = node('a');
    add(a, 100);
    await advanceTo(40);
    add(node('b'), 100);
    await advanceTo(50);
    remove(a);
    await advanceTo(139);
    expect(expired).toEqual([]);
    await advanceTo(140);
    expect(expired).toEqual([['b', 140]]);
  });

  it('keeps the others in order when nodes are removed from the middle and the tail', async () => {
    const { expired, node, add, remove, advanceTo } = world();
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((name) => node(name));
    for (const [i, n] of nodes.entries()) {
      add(n, 100);
      await advanceTo(i + 1);
    }
    remove(nodes[1]!);
    remove(nodes[4]!);
    remove(nodes[2]!);
    add(node('f'), 100);
    await advanceTo(1000);
    expect(expired).toEqual([
      ['a', 100],
      ['d', 103],
      ['f', 105],
    ]);
  });

  it('lets a removed node be added again, expiring only at its new deadline', async () => {
    const { expired, node, add, remove, advanceTo } = world();
    const a = node('a');
    add(a, 100);
    await advanceTo(50);
    remove(a);
    add(a, 100);
    await advanceTo(149);
    expect(expired).toEqual([]);
    await advanceTo(1000);
    expect(expired).toEqual([['a', 150]]);
  });
});

describe('expire() that throws', () => {
  it('becomes a watcher_error report, and the other nodes still expire', async () => {
    const { runtime, expired, reports, node, add, advanceTo } = world();
    const boom = new Error('expire failed');
    add(node('a'), 100);
    add(
      node('b', () => {
        throw boom;
      }),
      100,
    );
    add(node('c'), 100);
    add(node('other length'), 101);
    await advanceTo(50);
    add(node('later'), 100);
    await advanceTo(1000);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 100],
      ['other length', 101],
      ['later', 150],
    ]);
    expect(reports).toEqual([
      { type: 'watcher_error', node: runtime.node, error: boom, reason: 'timeout' },
    ]);
  });

  it('throws nowhere when nobody listens for reports', async () => {
    const clock = new VirtualClock();
    const runtime = trackedRuntime({ clock });
    const expired: [string, number][] = [];
    addDeadline(
      runtime,
      new TestNode('a', expired, clock, () => {
        throw new Error('unheard');
      }),
      10,
    );
    addDeadline(runtime, new TestNode('b', expired, clock), 10);
    await clock.advance(10);
    expect(expired).toEqual([
      ['a', 10],
      ['b', 10],
    ]);
  });
});

describe('stamping deadlines', () => {
  it('never reads the clock for nodes removed before the run that added them ends', async () => {
    const clock = new CountingClock();
    const runtime = trackedRuntime({ clock });
    const log: [string, number][] = [];
    const first = new TestNode('first', log, clock);
    addDeadline(runtime, first, 100); // arms the length's timer
    removeDeadline(runtime, first);
    await clock.settle();
    clock.reads = 0;
    for (let i = 0; i < 100; i++) {
      const node = new TestNode(`n${i}`, log, clock);
      addDeadline(runtime, node, 100);
      removeDeadline(runtime, node);
    }
    await clock.settle();
    expect(clock.reads).toBe(0);
  });

  it('stamps the nodes still pending when the run ends, with one clock reading', async () => {
    const clock = new CountingClock();
    const runtime = trackedRuntime({ clock });
    const log: [string, number][] = [];
    await clock.advance(5);
    const nodes = [0, 1, 2].map((i) => new TestNode(`n${i}`, log, clock));
    for (const node of nodes) addDeadline(runtime, node, 100);
    expect(nodes.map((node) => node.deadline)).toEqual([Infinity, Infinity, Infinity]);
    clock.reads = 0;
    await clock.settle();
    expect(nodes.map((node) => node.deadline)).toEqual([105, 105, 105]);
    expect(clock.reads).toBe(1);
    await clock.advance(100);
    expect(log).toEqual([
      ['n0', 105],
      ['n1', 105],
      ['n2', 105],
    ]);
  });

  it('does not expire a node that the same alarm added, before it is stamped', async () => {
    const { clock, expired, node, add } = world();
    // The 10 ms queue fires first; its expiry adds `c` to the 5 ms queue, which fires
    // next in the same alarm and must leave `c` for its own deadline.
    add(
      node('a', () => add(node('c'), 5)),
      10,
    );
    await clock.advance(5);
    add(node('b'), 5);
    await clock.advance(5);
    expect(expired).toEqual([
      ['a', 10],
      ['b', 10],
    ]);
    await clock.advance(4);
    expect(expired).toHaveLength(2);
    await clock.advance(1);
    expect(expired.at(-1)).toEqual(['c', 15]);
  });
});

describe('deadline timers and the host process', () => {
  it('holds the clock alarm exactly while some node is pending', async () => {
    const { clock, node, add, remove } = world();
    expect(clock.held).toBe(false);
    const a = node('a');
    const b = node('b');
    const c = node('c');
    add(a, 100);
    expect(clock.held).toBe(true);
    add(b, 100);
    add(c, 200);
    remove(a);
    remove(b);
    expect(clock.held).toBe(true);
    remove(c);
    expect(clock.held).toBe(false);
    add(a, 100);
    expect(clock.held).toBe(true);
    await clock.advance(99);
    expect(clock.held).toBe(true);
    await clock.advance(1);
    expect(clock.held).toBe(false);
  });

  it('keeps the alarm held for a sendAfter timer after the last node is removed', async () => {
    const { runtime, clock, node, add, remove } = world();
    const pid = runtime.spawn({ handle() {} });
    runtime.sendAfter(pid, 'tick', 500);
    const a = node('a');
    add(a, 100);
    remove(a);
    expect(clock.held).toBe(true);
    await clock.advance(500);
    expect(clock.held).toBe(false);
  });

  it('sets one timer per length, however many nodes are added and removed', () => {
    const { runtime, node, add, remove } = world();
    for (let i = 0; i < 1000; i++) {
      const n = node(`sequential ${i}`);
      add(n, 5000);
      remove(n);
    }
    for (let i = 0; i < 1000; i++) add(node(`a ${i}`), 100);
    for (let i = 0; i < 1000; i++) add(node(`b ${i}`), 200);
    expect(runtime.timers.pending).toBe(3);
    expect(queueCount(runtime)).toBe(3);
  });

  it('forgets a length once its queue has been idle for a whole timeout', async () => {
    const { runtime, clock, node, add, remove } = world();
    const a = node('a');
    add(a, 100);
    await clock.advance(30);
    remove(a);
    expect(queueCount(runtime)).toBe(1);
    expect(runtime.timers.pending).toBe(1);
    expect(clock.held).toBe(false);
    await clock.advance(70);
    expect(queueCount(runtime)).toBe(0);
    expect(runtime.timers.pending).toBe(0);
  });

  it('forgets a length once its last node expired', async () => {
    const { runtime, clock, node, add } = world();
    add(node('a'), 100);
    await clock.advance(100);
    expect(queueCount(runtime)).toBe(0);
    expect(runtime.timers.pending).toBe(0);
    // A fresh queue for the same length works as the first did.
    add(node('b'), 100);
    expect(runtime.timers.pending).toBe(1);
  });
});

describe('deadlines against a simple model', () => {
  const LENGTHS = [0, 1, 7, 100, 250, 5000];
  type Op =
    | { op: 'add'; length: number; reuse: number }
    | { op: 'remove'; pick: number }
    | { op: 'advance'; ms: number };
  const ops = fc.array(
    fc.oneof(
      fc.record({
        op: fc.constant('add' as const),
        length: fc.integer({ min: 0, max: LENGTHS.length - 1 }),
        reuse: fc.nat(),
      }),
      fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
      // Steps of a millisecond or two, so nodes of one length land 1 ms apart.
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 6000 }) }),
    ),
    { maxLength: 60, size: 'max' },
  );

  class ModelNode extends TestNode {
    /** Order of the add that made it pending. */
    seq = 0;
    ms = 0;
  }

  it('expires exactly the pending nodes whose deadline passed, each at its deadline, FIFO per length (property)', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (script: Op[]) => {
        const clock = new HoldClock();
        const runtime = new Runtime({ clock });
        try {
          const log: [string, number][] = [];
          const nodes: ModelNode[] = [];
          const pending = new Map<ModelNode, number>(); // node → its deadline
          let seq = 0;
          const check = (target: number) => {
            const due = [...pending].filter(([, deadline]) => deadline <= target);
            const got = log.splice(0).map(([name, at]) => ({ node: nodes[Number(name)]!, at }));
            // Exactly the due nodes, each once and at its own deadline …
            const key = (n: ModelNode, at: number) => `${at}:${n.name}`;
            expect(got.map((g) => key(g.node, g.at)).sort()).toEqual(
              due.map(([n, deadline]) => key(n, deadline)).sort(),
            );
            // … in deadline order, and in add order among nodes of one length.
            for (let i = 1; i < got.length; i++) {
              const [before, after] = [got[i - 1]!, got[i]!];
              expect(after.at).toBeGreaterThanOrEqual(before.at);
              if (after.node.ms === before.node.ms) {
                expect(after.node.seq).toBeGreaterThan(before.node.seq);
              }
            }
            for (const [n] of due) pending.delete(n);
          };
          const advance = async (ms: number) => {
            const target = clock.now() + ms;
            await clock.advance(ms);
            check(target);
          };
          for (const step of script) {
            if (step.op === 'add') {
              const idle = nodes.filter((n) => !pending.has(n));
              let n = idle[step.reuse % (idle.length + 1)];
              if (n === undefined) {
                n = new ModelNode(String(nodes.length), log, clock);
                nodes.push(n);
              }
              n.ms = LENGTHS[step.length]!;
              n.seq = seq++;
              addDeadline(runtime, n, n.ms);
              pending.set(n, clock.now() + n.ms);
            } else if (step.op === 'remove') {
              if (nodes.length === 0) continue;
              const n = nodes[step.pick % nodes.length]!;
              removeDeadline(runtime, n);
              pending.delete(n);
            } else {
              await advance(step.ms);
            }
            expect(clock.held).toBe(pending.size > 0);
          }
          await advance(5000);
          expect(pending.size).toBe(0);
          expect(clock.held).toBe(false);
          // Every queue is idle for a whole timeout now: all forgotten, no timer left.
          await advance(5000);
          expect(runtime.timers.pending).toBe(0);
          expect(queueCount(runtime)).toBe(0);
        } finally {
          await runtime.stop();
        }
      }),
      { numRuns: 200 },
    );
  });
});
