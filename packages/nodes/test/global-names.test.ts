import { MessageChannel } from 'node:worker_threads';
import {
  Crash,
  ExitError,
  InvalidArgumentError,
  isDown,
  NameTakenError,
  NoProcError,
  type Pid,
  Runtime,
} from '@actorkit/core';
import { GenServer } from '@actorkit/genserver';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeAgent } from '../src/agent.js';
import { UncloneableMessageError } from '../src/errors.js';
import {
  type GlobalNames,
  globalName,
  globalNames,
  isGlobalNameConflict,
} from '../src/global-names.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { PortTransport } from '../src/port-transport.js';
import { inbox } from './support.js';

const names = new URL('./fixtures/names.ts', import.meta.url);

let nodes: Nodes;
let here: GlobalNames;
/** A `lookup` process on each node, by node. */
const lookups = new Map<number, Pid<any>>();

beforeAll(async () => {
  nodes = await startNodes({ workers: 2 });
  here = globalNames(nodes.runtime);
  for (const node of nodes.nodes()) lookups.set(node, await nodes.spawn(node, names, 'lookup'));
}, 60_000);
afterAll(() => nodes.stop());

/**
 * What `node`'s replica says `name` is, once it says `want` (a PID, or null for not
 * held); at once with `want` undefined.
 */
async function lookupOn(node: number, name: string, want?: Pid<any> | null) {
  const me = inbox(nodes.runtime);
  nodes.runtime.send(lookups.get(node)!, { from: me.pid, name, want });
  const { pid } = await me.next<{ pid: Pid<any> | null }>();
  nodes.runtime.exit(me.pid, 'kill');
  return pid;
}

/** Waits until every node's replica says `name` is `want` (null: not held). */
async function everywhere(name: string, want: Pid<any> | null): Promise<void> {
  for (const node of nodes.nodes()) expect(await lookupOn(node, name, want)).toEqual(want);
}

/** Spawns a `racer` for `name` on `node`, reporting to `to`. */
function racer(node: number, name: string, to: Pid<any>, strict = false): Promise<Pid<any>> {
  return nodes.spawn(node, names, 'racer', [name, to, strict]);
}

describe('registerName()', () => {
  it('registers a process of one node under a name every node finds', async () => {
    const me = inbox(nodes.runtime);
    const pid = await racer(1, 'found-everywhere', me.pid);
    nodes.runtime.send(pid, 'go');
    expect(await me.next()).toEqual({ name: 'found-everywhere', pid, outcome: 'yes' });
    await everywhere('found-everywhere', pid);
    expect(here.registeredNames()).toContain('found-everywhere');
    nodes.runtime.send(pid, 'stop');
    await everywhere('found-everywhere', null);
  });

  it('throws NameTakenError on any node once the name is held', async () => {
    const me = inbox(nodes.runtime);
    const holder = await racer(2, 'taken', me.pid);
    nodes.runtime.send(holder, 'go');
    await me.next();
    await everywhere('taken', holder);
    const other = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    expect(() => here.registerName('taken', other)).toThrow(NameTakenError);
    const late = await racer(1, 'taken', me.pid);
    nodes.runtime.send(late, 'go');
    expect(await me.next()).toEqual({ name: 'taken', pid: late, outcome: 'NameTakenError' });
    nodes.runtime.send(holder, 'stop');
    nodes.runtime.send(late, 'stop');
  });

  it('refuses a key that is not a string, a dead process, a process of another node and a value that cannot cross', async () => {
    const pid = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    expect(() => here.registerName(42, pid)).toThrow(InvalidArgumentError);
    const remote = await nodes.spawn(1, names, 'lookup');
    expect(() => here.registerName('elsewhere', remote)).toThrow(InvalidArgumentError);
    expect(() => here.registerName('fn', pid, { run: () => 1 })).toThrow(UncloneableMessageError);
    nodes.runtime.exit(pid, 'kill');
    expect(() => here.registerName('dead', pid)).toThrow(NoProcError);
    expect(here.whereisName('fn')).toBeUndefined();
  });

  it('frees the name on every node when its process exits (an exit signal by the name)', async () => {
    const me = inbox(nodes.runtime);
    const pid = await racer(2, 'exits', me.pid);
    nodes.runtime.send(pid, 'go');
    await me.next();
    await everywhere('exits', pid);
    nodes.runtime.exit(globalName('exits'), 'kill');
    await everywhere('exits', null);
  });

  it("frees the names of a node's processes on every surviving node when the node dies", async () => {
    const doomed = await startNodes({ workers: 2 });
    try {
      const me = inbox(doomed.runtime);
      const pid = await doomed.spawn(2, names, 'racer', ['on-doomed', me.pid, false]);
      doomed.runtime.send(pid, 'go');
      await me.next();
      const lookup1 = await doomed.spawn(1, names, 'lookup');
      doomed.runtime.send(lookup1, { from: me.pid, name: 'on-doomed', want: pid });
      expect((await me.next<{ pid: Pid }>()).pid).toBe(pid);
      await doomed.terminate(2);
      // The main node saw node 2 go before terminate resolved.
      expect(globalNames(doomed.runtime).whereisName('on-doomed')).toBeUndefined();
      doomed.runtime.send(lookup1, { from: me.pid, name: 'on-doomed', want: null });
      expect((await me.next<{ pid: Pid | null }>()).pid).toBeNull();
    } finally {
      await doomed.stop();
    }
  }, 60_000);
});

describe('sendAfter() to a global name', () => {
  it('sends the message to the process of another node that holds the name when it fires', async () => {
    const me = inbox(nodes.runtime);
    const pid = await racer(1, 'timed', me.pid);
    nodes.runtime.send(pid, 'go');
    await me.next();
    await everywhere('timed', pid);
    nodes.runtime.sendAfter(globalName('timed'), 'stop', 5); // the racer exits on 'stop'
    await everywhere('timed', null);
  });
});

describe('unregisterName()', () => {
  it('frees a name held on another node, here at once and then everywhere', async () => {
    const me = inbox(nodes.runtime);
    const pid = await racer(1, 'freed', me.pid);
    nodes.runtime.send(pid, 'go');
    await me.next();
    await everywhere('freed', pid);
    here.unregisterName('freed');
    expect(here.whereisName('freed')).toBeUndefined();
    await everywhere('freed', null);
    nodes.runtime.send(pid, 'stop');
  });
});

describe('registerName() under races', () => {
  it('leaves one holder per name on every node; the others were refused or exited with a conflict', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 2, maxLength: 5 }),
        fc.boolean(),
        async (racerNodes, strict) => {
          const name = `race-${round++}`;
          const me = inbox(nodes.runtime);
          const racers = await Promise.all(racerNodes.map((n) => racer(n, name, me.pid, strict)));
          const downs = inbox(nodes.runtime);
          const watcher = nodes.runtime.spawn(async (ctx) => {
            for (const pid of racers) ctx.monitor(pid);
            // After the monitors, from the same node: each is in place before its racer goes
            // (a racer that lost before its monitor arrived would give a Down with noproc).
            for (const pid of racers) ctx.send(pid, 'go');
            for (;;) ctx.send(downs.pid, await ctx.receive());
          });
          const outcomes = new Map<Pid<any>, string>();
          for (const _ of racers) {
            const r = await me.next<{ pid: Pid<any>; outcome: string }>();
            outcomes.set(r.pid, r.outcome);
          }
          const won = racers.filter((pid) => outcomes.get(pid) === 'yes');
          expect(won.length).toBeGreaterThanOrEqual(1);
          // Every winner but one loses its name to the conflict, and exits.
          const lost = new Map<Pid<any>, unknown>();
          while (lost.size < won.length - 1) {
            const down = await downs.next((m) => isDown(m));
            lost.set(down.pid, down.reason);
          }
          const holder = won.find((pid) => !lost.has(pid))!;
          // Each lost to a claim that beat it (which may itself have lost to an earlier one).
          for (const reason of lost.values()) {
            expect(isGlobalNameConflict(reason)).toBe(true);
            expect(reason).toMatchObject({ name });
            expect(won.map(String)).toContain(String((reason as { winner: Pid }).winner));
          }
          if (strict) expect(lost.size).toBe(0);
          for (const pid of racers) {
            if (pid !== holder && !lost.has(pid)) {
              expect(outcomes.get(pid)).toBe(strict ? 'no' : 'NameTakenError');
            }
          }
          await everywhere(name, holder);
          nodes.runtime.exit(watcher, 'kill');
          for (const pid of racers) nodes.runtime.send(pid, 'stop');
          await everywhere(name, null);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);
});

describe('register()', () => {
  it('resolves true for the one process that holds the name, false for a taken one', async () => {
    const holder = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    expect(await here.register('strict', holder)).toBe(true);
    await everywhere('strict', holder);
    const other = nodes.runtime.spawn(async (ctx) => {
      await ctx.receive();
    });
    expect(await here.register('strict', other)).toBe(false);
    nodes.runtime.exit(holder, 'kill');
    nodes.runtime.exit(other, 'kill');
    await everywhere('strict', null);
  });
});

describe('globalName()', () => {
  it('names a GenServer that GenServer.call and cast reach from every node', async () => {
    const me = inbox(nodes.runtime);
    await nodes.spawn(2, names, 'startGlobalKv', ['kv', me.pid]);
    const { server } = await me.next<{ server: Pid<any> }>();
    expect(server.node).toBe(2);
    await everywhere('kv', server);
    // From the main node, with no runtime option, as from anywhere on this thread.
    expect(await GenServer.call(globalName('kv'), { type: 'add', by: 2 })).toBe(2);
    GenServer.cast(globalName('kv'), { type: 'add', by: 3 });
    nodes.runtime.send(globalName('kv'), 'an info message the server ignores');
    for (const node of [1, 2]) {
      await nodes.spawn(node, names, 'callGlobal', ['kv', { type: 'add', by: 10 }, me.pid]);
    }
    const replies = [await me.next(), await me.next()];
    expect(replies.map((r: any) => r.reply).sort()).toEqual([15, 25]);
    expect(await GenServer.call(globalName('kv'), { type: 'get' })).toBe(25);
  });

  it('makes a second GenServer.start under a held name fail with NameTakenError', async () => {
    const me = inbox(nodes.runtime);
    await nodes.spawn(1, names, 'startGlobalKv', ['kv-once', me.pid]);
    const { server } = await me.next<{ server: Pid<any> }>();
    await everywhere('kv-once', server);
    await nodes.spawn(2, names, 'startGlobalKv', ['kv-once', me.pid]);
    expect(await me.next()).toEqual({ error: 'NameTakenError' });
  });

  it('makes a call to a server that stopped reject as a call to a dead server', async () => {
    const me = inbox(nodes.runtime);
    await nodes.spawn(1, names, 'startGlobalKv', ['kv-stops', me.pid]);
    const { server } = await me.next<{ server: Pid<any> }>();
    await everywhere('kv-stops', server);
    await expect(GenServer.call(globalName('kv-stops'), { type: 'crash' })).rejects.toSatisfy(
      (error: unknown) => error instanceof ExitError && error.reason instanceof Crash,
    );
    await everywhere('kv-stops', null);
    await expect(GenServer.call(globalName('kv-stops'), { type: 'get' })).rejects.toThrow(
      NoProcError,
    );
  });
});

describe('a node joining', () => {
  it('gets the names of the nodes it joins, and a name held on both sides goes to the earlier', async () => {
    // Two nodes on this thread, each with names before they meet, over a real MessageChannel.
    const a = new Runtime({ node: 50 });
    const b = new Runtime({ node: 51 });
    const toA = new PortTransport(50);
    const toB = new PortTransport(51);
    const agents = [new NodeAgent(a, toA), new NodeAgent(b, toB)];
    const idle = async (ctx: { receive(): Promise<unknown> }) => {
      await ctx.receive();
    };
    try {
      const first = a.spawn(idle);
      globalNames(a).registerName('both', first);
      const onlyB = b.spawn(idle);
      globalNames(b).registerName('only-b', onlyB);
      const second = b.spawn(idle);
      globalNames(b).registerName('both', second); // later, or as early from a higher node
      const lost = new Promise((resolve) => b.watch(second, resolve));
      const reports: unknown[] = [];
      b.events.on('report', (report) => reports.push(report));
      const { port1, port2 } = new MessageChannel();
      toA.addPeer(51, port1);
      toB.addPeer(50, port2);
      const reason = await lost;
      expect(isGlobalNameConflict(reason)).toBe(true);
      expect(String((reason as { winner: Pid }).winner)).toBe(String(first));
      expect(globalNames(b).whereisName('both')?.equals(first)).toBe(true);
      expect(reports).toMatchObject([
        { type: 'global_name_conflict', name: 'both', loser: second },
      ]);
      while (globalNames(a).whereisName('only-b') === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(globalNames(a).whereisName('only-b')?.equals(onlyB)).toBe(true);
      expect(globalNames(a).whereisName('both')).toBe(first);
    } finally {
      for (const agent of agents) agent.detach();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
