// Watch nodes (`attachWatch`/`detachWatch` from `@actorkit/core/internal`): intrusive
// watchers linked into the watched process, told once, synchronously, when it exits.
// A pending GenServer.call is one.
import { describe, expect, it } from 'vitest';
import {
  Crash,
  type Down,
  InvalidArgumentError,
  isDown,
  type Pid,
  type Report,
  type Runtime,
} from '../src/index.js';
import { attachWatch, detachWatch, type WatchNode } from '../src/internal.js';
import { stopRuntimes, stopRuntimesAfterEach, virtualRuntime } from './support.js';

stopRuntimesAfterEach({ timeout: 0 });

/** A watch node that logs `[name, reason]` when told, then runs `then`. */
class TestNode implements WatchNode {
  watched: object | null = null;
  prevWatch: WatchNode | null = null;
  nextWatch: WatchNode | null = null;

  constructor(
    readonly name: string,
    private readonly log: [string, unknown][],
    private readonly then?: (reason: unknown) => void,
  ) {}

  down(reason: unknown): void {
    this.log.push([this.name, reason]);
    this.then?.(reason);
  }
}

function world() {
  const { runtime, clock } = virtualRuntime();
  const told: [string, unknown][] = [];
  const reports: Report[] = [];
  runtime.events.on('report', (report) => reports.push(report));
  return {
    runtime,
    clock,
    told,
    reports,
    node: (name: string, then?: (reason: unknown) => void) => new TestNode(name, told, then),
    idle: () => runtime.spawn<unknown>({ handle() {} }),
  };
}

/** Sorted, so tests do not depend on the order nodes are told in (not part of the contract). */
function sorted(told: [string, unknown][]): [string, unknown][] {
  return [...told].sort((a, b) => a[0].localeCompare(b[0]));
}

/** A process that monitors `target` and keeps every message it gets. */
function monitorOf(runtime: Runtime, target: Pid<any>) {
  const inbox: unknown[] = [];
  const pid = runtime.spawn<unknown>({
    init: (ctx) => void ctx.monitor(target),
    handle: (message) => void inbox.push(message),
  });
  return { pid, inbox };
}

describe('attachWatch()', () => {
  it('calls down(reason) once when the process exits, synchronously during the exit', async () => {
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    const a = node('a');
    expect(attachWatch(target, a)).toBe(true);
    runtime.exit(target, 'kill');
    expect(told).toEqual([['a', 'killed']]);
    await clock.advance(1000);
    expect(told).toEqual([['a', 'killed']]);
    expect(a.watched).toBeNull();
  });

  it.each([
    ['normal', 'normal'],
    ['shutdown', 'shutdown'],
    [{ custom: 1 }, { custom: 1 }],
  ])('passes the exit reason %j as it is', async (sent, reason) => {
    const { runtime, clock, told, node } = world();
    const target = runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    await clock.settle();
    attachWatch(target, node('a'));
    if (sent === 'normal') runtime.send(target, 'finish');
    else runtime.exit(target, sent);
    await clock.settle();
    expect(told).toEqual([['a', reason]]);
  });

  it('passes a Crash when the process throws', async () => {
    const { runtime, clock, told, node } = world();
    const boom = new Error('boom');
    const target = runtime.spawn<unknown>({
      handle() {
        throw boom;
      },
    });
    attachWatch(target, node('a'));
    runtime.send(target, 'go');
    await clock.settle();
    expect(told).toHaveLength(1);
    expect(told[0]![1]).toBeInstanceOf(Crash);
    expect((told[0]![1] as Crash).error).toBe(boom);
  });

  it('runs down after the process is no longer alive', async () => {
    const { runtime, told, idle } = world();
    const target = idle();
    let aliveInDown: boolean | undefined;
    attachWatch(
      target,
      new TestNode('a', told, () => {
        aliveInDown = runtime.isAlive(target);
      }),
    );
    runtime.exit(target, 'kill');
    expect(aliveInDown).toBe(false);
  });

  it('returns false and links nothing for a dead PID, and never calls down', async () => {
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    runtime.exit(target, 'kill');
    const a = node('a');
    expect(attachWatch(target, a)).toBe(false);
    expect(a.watched).toBeNull();
    expect(detachWatch(a)).toBe(false);
    await clock.advance(1000);
    expect(told).toEqual([]);
  });

  it('returns false for a process that is exiting, from inside another node’s down', () => {
    const { runtime, told, node, idle } = world();
    const target = idle();
    const late = node('late');
    const results: boolean[] = [];
    attachWatch(
      target,
      node('a', () => results.push(attachWatch(target, late))),
    );
    runtime.exit(target, 'kill');
    expect(results).toEqual([false]);
    expect(told).toEqual([['a', 'killed']]);
  });

  it('throws InvalidArgumentError for something that is not a PID', () => {
    const { node } = world();
    expect(() => attachWatch('svc' as never, node('a'))).toThrow(InvalidArgumentError);
  });

  it('tells every node on one process once, each with the reason', () => {
    const { runtime, told, node, idle } = world();
    const target = idle();
    const names = Array.from({ length: 100 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    for (const name of names) expect(attachWatch(target, node(name))).toBe(true);
    runtime.exit(target, 'shutdown');
    expect(sorted(told)).toEqual(names.map((name) => [name, 'shutdown']));
  });

  it('tells only the nodes on the process that exited', () => {
    const { runtime, told, node, idle } = world();
    const first = idle();
    const second = idle();
    attachWatch(first, node('on first'));
    attachWatch(second, node('on second'));
    runtime.exit(first, 'kill');
    expect(told).toEqual([['on first', 'killed']]);
    runtime.exit(second, 'shutdown');
    expect(told).toEqual([
      ['on first', 'killed'],
      ['on second', 'shutdown'],
    ]);
  });

  it('lets a node be attached again after it was told, to another process', () => {
    const { runtime, told, node, idle } = world();
    const first = idle();
    const second = idle();
    const a = node('a');
    attachWatch(first, a);
    runtime.exit(first, 'kill');
    expect(attachWatch(second, a)).toBe(true);
    runtime.exit(second, 'shutdown');
    expect(told).toEqual([
      ['a', 'killed'],
      ['a', 'shutdown'],
    ]);
  });

  it('tells the nodes of every process in a chain of links that dies together', async () => {
    const { runtime, clock, told, node, idle } = world();
    const head = idle();
    const middle = runtime.spawn<unknown>({ handle() {} }, { link: head });
    const tail = runtime.spawn<unknown>({ handle() {} }, { link: middle });
    attachWatch(head, node('head'));
    attachWatch(middle, node('middle'));
    attachWatch(tail, node('tail'));
    runtime.exit(head, 'boom');
    await clock.settle();
    expect(sorted(told)).toEqual([
      ['head', 'boom'],
      ['middle', 'boom'],
      ['tail', 'boom'],
    ]);
  });

  it('tells the nodes when the runtime stops', async () => {
    const { told, node, idle } = world();
    attachWatch(idle(), node('a'));
    await stopRuntimes({ timeout: 0 });
    expect(told).toEqual([['a', 'shutdown']]);
  });
});

describe('detachWatch()', () => {
  it('keeps down from being called and returns true, then false', async () => {
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    const a = node('a');
    attachWatch(target, a);
    expect(detachWatch(a)).toBe(true);
    expect(a.watched).toBeNull();
    expect(detachWatch(a)).toBe(false);
    runtime.exit(target, 'kill');
    await clock.settle();
    expect(told).toEqual([]);
  });

  it('returns false for a node never attached, and after the node was told', () => {
    const { runtime, node, idle } = world();
    expect(detachWatch(node('never'))).toBe(false);
    const target = idle();
    const a = node('a');
    attachWatch(target, a);
    runtime.exit(target, 'kill');
    expect(detachWatch(a)).toBe(false);
  });

  it.each([
    ['first', 0],
    ['middle', 2],
    ['last', 4],
  ])('unlinks the %s node attached and leaves the others told', (_where, index) => {
    const { runtime, told, node, idle } = world();
    const target = idle();
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((name) => node(name));
    for (const n of nodes) attachWatch(target, n);
    detachWatch(nodes[index]!);
    runtime.exit(target, 'kill');
    expect(sorted(told)).toEqual(
      nodes.filter((_, i) => i !== index).map((n) => [n.name, 'killed']),
    );
  });

  it('unlinks every node, in any order, leaving nothing to tell', () => {
    const { runtime, told, node, idle } = world();
    const target = idle();
    const nodes = Array.from({ length: 10 }, (_, i) => node(String(i)));
    for (const n of nodes) attachWatch(target, n);
    for (const i of [3, 0, 9, 5, 1, 8, 2, 7, 4, 6]) expect(detachWatch(nodes[i]!)).toBe(true);
    const fresh = node('fresh');
    attachWatch(target, fresh);
    runtime.exit(target, 'kill');
    expect(told).toEqual([['fresh', 'killed']]);
  });

  it('called from one node’s down, keeps a node not yet told from being told', () => {
    const { runtime, told, idle } = world();
    const target = idle();
    // Whichever node is told first detaches all the others: exactly one is told.
    const nodes: TestNode[] = [];
    const detached: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      nodes.push(
        new TestNode(String(i), told, () => {
          for (const other of nodes) if (other.watched !== null) detached.push(detachWatch(other));
        }),
      );
    }
    for (const n of nodes) attachWatch(target, n);
    runtime.exit(target, 'kill');
    expect(told).toHaveLength(1);
    expect(detached).toEqual([true, true, true, true]);
    expect(nodes.every((n) => n.watched === null)).toBe(true);
  });

  it('called from a node’s down on the node itself, returns false: it is already unlinked', () => {
    const { runtime, told, idle } = world();
    const target = idle();
    const results: boolean[] = [];
    const a: TestNode = new TestNode('a', told, () => results.push(detachWatch(a)));
    attachWatch(target, a);
    attachWatch(target, new TestNode('b', told));
    runtime.exit(target, 'kill');
    expect(results).toEqual([false]);
    expect(sorted(told)).toEqual([
      ['a', 'killed'],
      ['b', 'killed'],
    ]);
  });
});

describe('a down that throws', () => {
  it('becomes a watcher_error report, and the other nodes, watch callbacks and monitors are still told', async () => {
    const { runtime, clock, told, reports, node, idle } = world();
    const target = idle();
    const boom = new Error('down failed');
    attachWatch(target, node('before'));
    attachWatch(
      target,
      node('thrower', () => {
        throw boom;
      }),
    );
    attachWatch(target, node('after'));
    const watched: unknown[] = [];
    runtime.watch(target, (reason) => watched.push(reason));
    const monitor = monitorOf(runtime, target);
    await clock.settle();
    runtime.exit(target, 'shutdown');
    await clock.settle();
    expect(sorted(told)).toEqual([
      ['after', 'shutdown'],
      ['before', 'shutdown'],
      ['thrower', 'shutdown'],
    ]);
    expect(reports).toEqual([
      { type: 'watcher_error', node: runtime.node, error: boom, reason: 'shutdown' },
    ]);
    expect(watched).toEqual(['shutdown']);
    expect(monitor.inbox).toHaveLength(1);
    expect((monitor.inbox[0] as Down).reason).toBe('shutdown');
    expect(runtime.isAlive(monitor.pid)).toBe(true);
  });

  it('crashes nothing when nobody listens for reports', () => {
    const { runtime, idle } = world();
    runtime.events.removeAllListeners('report');
    const target = idle();
    const told: [string, unknown][] = [];
    attachWatch(
      target,
      new TestNode('thrower', told, () => {
        throw new Error('unheard');
      }),
    );
    attachWatch(target, new TestNode('other', told));
    expect(() => runtime.exit(target, 'kill')).not.toThrow();
    expect(sorted(told)).toEqual([
      ['other', 'killed'],
      ['thrower', 'killed'],
    ]);
  });
});

describe('watch nodes beside runtime.watch and monitors', () => {
  it('tells every watch node, watch callback and monitor once, with the same reason, on one exit', async () => {
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    for (const name of ['n1', 'n2', 'n3']) attachWatch(target, node(name));
    const watched: [string, unknown][] = [];
    runtime.watch(target, (reason) => watched.push(['w1', reason]));
    runtime.watch(target, (reason) => watched.push(['w2', reason]));
    const monitors = [monitorOf(runtime, target), monitorOf(runtime, target)];
    await clock.settle();
    runtime.exit(target, { because: 'test' });
    // Nodes and callbacks are told during the exit; Down messages wait in mailboxes.
    expect(sorted(told)).toEqual([
      ['n1', { because: 'test' }],
      ['n2', { because: 'test' }],
      ['n3', { because: 'test' }],
    ]);
    expect(watched).toEqual([
      ['w1', { because: 'test' }],
      ['w2', { because: 'test' }],
    ]);
    await clock.advance(1000);
    for (const m of monitors) {
      expect(m.inbox).toHaveLength(1);
      expect(isDown(m.inbox[0])).toBe(true);
      expect((m.inbox[0] as Down).pid).toBe(target);
      expect((m.inbox[0] as Down).reason).toEqual({ because: 'test' });
    }
    expect(told).toHaveLength(3);
    expect(watched).toHaveLength(2);
  });

  it('is independent of them: detaching a node cancels no watch or monitor, and the reverse', async () => {
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    const a = node('a');
    attachWatch(target, a);
    const watched: unknown[] = [];
    const cancel = runtime.watch(target, (reason) => watched.push(reason));
    const kept = node('kept');
    attachWatch(target, kept);
    runtime.watch(target, (reason) => watched.push(['kept', reason]));
    const monitor = monitorOf(runtime, target);
    await clock.settle();
    detachWatch(a);
    expect(cancel()).toBe(true);
    expect(runtime.processInfo(target)?.monitoredBy).toEqual([monitor.pid]);
    runtime.exit(target, 'kill');
    await clock.settle();
    expect(told).toEqual([['kept', 'killed']]);
    expect(watched).toEqual([['kept', 'killed']]);
    expect(monitor.inbox).toHaveLength(1);
  });

  it('leaves a process that held nodes on others free to exit first: nothing is told then', async () => {
    // A node belongs to the watched process, not to whoever attached it.
    const { runtime, clock, told, node, idle } = world();
    const target = idle();
    const attacher = runtime.spawn<unknown>({
      handle: (_message, ctx) => void attachWatch(target, node(`from ${ctx.self}`)),
    });
    runtime.send(attacher, 'attach');
    await clock.settle();
    runtime.exit(attacher, 'kill');
    expect(told).toEqual([]);
    runtime.exit(target, 'kill');
    expect(told).toEqual([[`from ${attacher}`, 'killed']]);
  });
});
