import { MessageChannel } from 'node:worker_threads';
import { InvalidArgumentError, NoProcError, type Pid, Runtime } from '@actorkit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeAgent } from '../src/agent.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { PortTransport } from '../src/port-transport.js';
import { isGroupChange, type ProcessGroups, processGroups } from '../src/process-groups.js';
import { inbox } from './support.js';

const names = new URL('./fixtures/names.ts', import.meta.url);

let nodes: Nodes;
let here: ProcessGroups;
/** A `groupView` process on each node, by node. */
const views = new Map<number, Pid<any>>();

beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
  here = processGroups(nodes.runtime);
  for (const node of nodes.nodes()) views.set(node, await nodes.spawn(node, names, 'groupView'));
}, 60_000);
afterAll(() => nodes.stop());

interface View {
  node: number;
  members: Pid<any>[];
  local: Pid<any>[];
  groups: string[];
}

/** What `node` sees of `group`, once it sees `count` members (at once when undefined). */
/**
 * What `node` sees of `group`, once it has `count` members or, given `marker`, once the
 * marker is among them.
 */
async function viewOn(node: number, group: string, count?: number, marker?: Pid): Promise<View> {
  const me = inbox(nodes.runtime);
  nodes.runtime.send(views.get(node)!, { from: me.pid, group, count, marker });
  const view = await me.next<View>();
  nodes.runtime.exit(me.pid, 'kill');
  return view;
}

/** Starts a `member` of `group` on `node`, joined `times` times. */
async function member(node: number, group: string, times = 1, to = inbox(nodes.runtime)) {
  const pid = await nodes.spawn(node, names, 'member', [group, times, to.pid]);
  await to.next((m) => m.joined !== undefined);
  return { pid, to };
}

/** The members as strings, sorted: membership compares as a multiset. */
function sorted(pids: readonly Pid<any>[]): string[] {
  return pids.map(String).sort();
}

function idle(): Pid<any> {
  return nodes.runtime.spawn(async (ctx) => {
    await ctx.receive();
  });
}

describe('join()', () => {
  it('adds processes of any node to a group every node lists', async () => {
    const a = await member(1, 'workers');
    const b = await member(2, 'workers');
    const c = idle();
    here.join('workers', c);
    for (const node of nodes.nodes()) {
      const view = await viewOn(node, 'workers', 3);
      expect(sorted(view.members)).toEqual(sorted([a.pid, b.pid, c]));
      expect(view.groups).toContain('workers');
    }
    expect((await viewOn(1, 'workers')).local).toEqual([a.pid]);
    expect(here.localMembers('workers')).toEqual([c]);
    expect(here.whichLocalGroups()).toContain('workers');
  });

  it('lists a process once per join, on every node', async () => {
    const { pid } = await member(2, 'twice', 2);
    for (const node of nodes.nodes()) {
      expect((await viewOn(node, 'twice', 2)).members).toEqual([pid, pid]);
    }
  });

  it('refuses a group that is not a string, a process of another node and a dead one', async () => {
    const pid = idle();
    expect(() => here.join(7 as unknown as string, pid)).toThrow(InvalidArgumentError);
    const remote = await nodes.spawn(1, names, 'groupView');
    expect(() => here.join('g', remote)).toThrow(InvalidArgumentError);
    nodes.runtime.exit(pid, 'kill');
    expect(() => here.join('g', pid)).toThrow(NoProcError);
    expect(here.members('g')).toEqual([]);
  });
});

describe('leave()', () => {
  it('removes one occurrence, and says false when the process was not in the group', async () => {
    const to = inbox(nodes.runtime);
    const { pid } = await member(1, 'leaving', 2, to);
    await viewOn(0, 'leaving', 2);
    nodes.runtime.send(pid, 'leave');
    expect(await to.next()).toEqual({ left: true });
    expect((await viewOn(2, 'leaving', 1)).members).toEqual([pid]);
    nodes.runtime.send(pid, 'leave');
    expect(await to.next()).toEqual({ left: true });
    nodes.runtime.send(pid, 'leave');
    expect(await to.next()).toEqual({ left: false });
    const view = await viewOn(0, 'leaving', 0);
    expect(view.groups).not.toContain('leaving');
    expect(here.leave('leaving', idle())).toBe(false);
  });
});

describe('members()', () => {
  it('drops a process that exits from every group, on every node', async () => {
    const { pid } = await member(2, 'exiting', 3);
    await viewOn(1, 'exiting', 3);
    nodes.runtime.exit(pid, 'kill');
    for (const node of nodes.nodes())
      expect((await viewOn(node, 'exiting', 0)).members).toEqual([]);
  });

  it('keeps the joins and leaves of one node in order on every node (property)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('join' as const), fc.constant('leave' as const)), {
          maxLength: 30,
        }),
        async (ops) => {
          const group = `ordered-${round++}`;
          const pid = idle();
          let count = 0;
          for (const op of ops) {
            if (op === 'join') {
              here.join(group, pid);
              count++;
            } else if (here.leave(group, pid)) count--;
          }
          // One more join marks the end: once a node sees it, it has seen every op before.
          const marker = idle();
          here.join(group, marker);
          for (const node of [1, 2]) {
            // Waiting for count + 1 members could stop before the last ops arrived
            // ([leave, join, leave] passes through 1 member): wait for the marker.
            const view = await viewOn(node, group, undefined, marker);
            expect(view.members.filter((m) => m.equals(pid)).length).toBe(count);
          }
          nodes.runtime.exit(pid, 'kill');
          nodes.runtime.exit(marker, 'kill');
        },
      ),
      { numRuns: 15 },
    );
  });

  it("drops a node's processes from every group on every surviving node when the node dies", async () => {
    const doomed = await startNodes({ workers: 2 });
    try {
      const to = inbox(doomed.runtime);
      await doomed.spawn(2, names, 'member', ['doomed', 2, to.pid]);
      await doomed.spawn(1, names, 'member', ['doomed', 1, to.pid]);
      await to.next();
      await to.next();
      const view1 = await doomed.spawn(1, names, 'groupView');
      doomed.runtime.send(view1, { from: to.pid, group: 'doomed', count: 3 });
      await to.next();
      await doomed.terminate(2);
      // The main node saw node 2 go before terminate resolved.
      expect(processGroups(doomed.runtime).members('doomed')).toHaveLength(1);
      doomed.runtime.send(view1, { from: to.pid, group: 'doomed', count: 1 });
      expect((await to.next<View>()).members.every((pid) => pid.node === 1)).toBe(true);
    } finally {
      await doomed.stop();
    }
  }, 60_000);
});

describe('monitor()', () => {
  it('tells a watcher of the joins and leaves of every node, as they happen', async () => {
    const to = inbox(nodes.runtime);
    await nodes.spawn(1, names, 'groupWatcher', ['watched', to.pid]);
    expect(await to.next()).toEqual({ members: [] });
    const local = idle();
    here.join('watched', [local, local]);
    expect(await to.next()).toEqual({ type: 'join', group: 'watched', pids: [local, local] });
    const { pid } = await member(2, 'watched', 1);
    expect(await to.next()).toEqual({ type: 'join', group: 'watched', pids: [pid] });
    here.leave('watched', local);
    expect(await to.next()).toEqual({ type: 'leave', group: 'watched', pids: [local] });
    nodes.runtime.exit(pid, 'kill');
    expect(await to.next()).toEqual({ type: 'leave', group: 'watched', pids: [pid] });
    nodes.runtime.exit(local, 'kill');
    expect(await to.next()).toEqual({ type: 'leave', group: 'watched', pids: [local] });
  });

  it('returns the members now, and stops with demonitor or the watcher', async () => {
    const existing = idle();
    here.join('snapshot', existing);
    const watcher = inbox(nodes.runtime);
    const { ref, members } = here.monitor(watcher.pid, 'snapshot');
    expect(members).toEqual([existing]);
    const joined = idle();
    here.join('snapshot', joined);
    const change = await watcher.next(isGroupChange);
    expect(change).toMatchObject({ ref, type: 'join', group: 'snapshot', pids: [joined] });
    expect(here.demonitor(ref)).toBe(true);
    expect(here.demonitor(ref)).toBe(false);
    here.join('snapshot', joined);
    nodes.runtime.exit(watcher.pid, 'kill');
    const other = inbox(nodes.runtime);
    const second = here.monitor(other.pid, 'snapshot');
    nodes.runtime.exit(other.pid, 'kill');
    expect(here.demonitor(second.ref)).toBe(false);
    expect(watcher.messages.filter(isGroupChange)).toEqual([]);
  });

  it('tells a watcher of a dead node leaving', async () => {
    const doomed = await startNodes({ workers: 1 });
    try {
      const to = inbox(doomed.runtime);
      const watcher = inbox(doomed.runtime);
      const groups = processGroups(doomed.runtime);
      groups.monitor(watcher.pid, 'lost');
      const pid = await doomed.spawn(1, names, 'member', ['lost', 2, to.pid]);
      await watcher.next(isGroupChange); // its two joins
      await watcher.next(isGroupChange);
      await doomed.terminate(1);
      const change = await watcher.next(isGroupChange);
      expect(change).toMatchObject({ type: 'leave', group: 'lost', pids: [pid, pid] });
    } finally {
      await doomed.stop();
    }
  }, 60_000);
});

describe('a node joining', () => {
  it('gets the members of the nodes it joins, and tells their monitors', async () => {
    // Two nodes on this thread, each with members before they meet, over a real MessageChannel.
    const a = new Runtime({ node: 60 });
    const b = new Runtime({ node: 61 });
    const toA = new PortTransport(60);
    const toB = new PortTransport(61);
    const agents = [new NodeAgent(a, toA), new NodeAgent(b, toB)];
    const idle = async (ctx: { receive(): Promise<unknown> }) => {
      await ctx.receive();
    };
    try {
      const onA = a.spawn(idle);
      processGroups(a).join('shared', onA);
      const onB = b.spawn(idle);
      processGroups(b).join('shared', [onB, onB]);
      const changes: unknown[] = [];
      const heard = new Promise<void>((resolve) => {
        const watcher = a.spawn({
          handle(message: unknown) {
            changes.push(message);
            resolve();
          },
        });
        processGroups(a).monitor(watcher, 'shared');
      });
      const { port1, port2 } = new MessageChannel();
      toA.addPeer(61, port1);
      toB.addPeer(60, port2);
      await heard;
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ type: 'join', group: 'shared' });
      expect(sorted(processGroups(a).members('shared'))).toEqual(sorted([onA, onB, onB]));
      while (processGroups(b).members('shared').length < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(processGroups(b).localMembers('shared')).toEqual([onB, onB]);
    } finally {
      for (const agent of agents) agent.detach();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
