// Placement policies choosing the node of a spawn, on real worker nodes.
import { InvalidArgumentError, isDown, type Pid } from '@actorkit/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NoNodeError } from '../src/errors.js';
import { type Nodes, startNodes } from '../src/nodes.js';
import { leastLoaded, type PlacementChoice, placement, roundRobin } from '../src/placement.js';
import { fixtures } from './support.js';

const hangOnNode1 = new URL('./fixtures/hang-on-node-1.ts', import.meta.url);

// One system for the tests that leave it as it was; a fresh one (`fresh()`) for those
// that terminate a node or count processes.
let shared: Nodes;
let nodes: Nodes;
let own: Nodes | undefined;
// Starting worker threads under load can outlast the default hook and test timeouts.
beforeAll(async () => {
  shared = await startNodes({ workers: 2 });
}, 60_000);
afterAll(() => shared.stop(), 60_000);
beforeEach(() => {
  nodes = shared;
});
afterEach(async () => {
  await own?.stop();
  own = undefined;
}, 60_000);

/** Switches the test to a system of its own. */
async function fresh(): Promise<void> {
  own = await startNodes({ workers: 2 });
  nodes = own;
}

/** Kills `pid` (of any node) and resolves once it is gone, seen by a monitor. */
function killed(pid: Pid): Promise<void> {
  return new Promise((resolve) => {
    nodes.runtime.spawn(async (ctx) => {
      ctx.monitor(pid);
      ctx.exit(pid, 'kill');
      await ctx.receive(isDown);
      resolve();
    });
  });
}

/** The nodes `count` spawns of `echo` land on, one after the other. */
async function nodesOf(where: Parameters<Nodes['spawn']>[0], count: number): Promise<number[]> {
  const placed: number[] = [];
  for (let i = 0; i < count; i++) placed.push((await nodes.spawn(where, fixtures, 'echo')).node);
  return placed;
}

describe('roundRobin()', { timeout: 60_000 }, () => {
  it('places spawns on the worker nodes in turn', async () => {
    expect(await nodesOf(roundRobin(), 5)).toEqual([1, 2, 1, 2, 1]);
  });

  it("takes the main node too with nodes: 'all', and only the listed ones with a list", async () => {
    expect(await nodesOf(roundRobin({ nodes: 'all' }), 4)).toEqual([0, 1, 2, 0]);
    expect(await nodesOf(roundRobin({ nodes: [2] }), 2)).toEqual([2, 2]);
  });

  it('skips a node that is down', async () => {
    await fresh();
    const spread = roundRobin();
    expect(await nodesOf(spread, 1)).toEqual([1]);
    await nodes.terminate(1);
    expect(await nodesOf(spread, 3)).toEqual([2, 2, 2]);
  });

  it('rejects with NoNodeError when none of its nodes is up', async () => {
    await fresh();
    await nodes.terminate(2);
    const error = await nodes.spawn(roundRobin({ nodes: [2] }), fixtures, 'echo').catch((e) => e);
    expect(error).toBeInstanceOf(NoNodeError);
    expect((error as NoNodeError).tried).toEqual([]);
  });

  it('throws InvalidArgumentError for an unknown option or a wrong type', () => {
    expect(() => roundRobin({ node: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => roundRobin({ nodes: 'workers' } as never)).toThrow(InvalidArgumentError);
    expect(() => roundRobin({ nodes: [1.5] })).toThrow(InvalidArgumentError);
    expect(() => roundRobin({ maxAge: 5 } as never)).toThrow(InvalidArgumentError);
  });
});

describe('leastLoaded()', { timeout: 60_000 }, () => {
  it('places on the node with the fewest live processes', async () => {
    await fresh();
    for (let i = 0; i < 3; i++) await nodes.spawn(1, fixtures, 'echo');
    // Node 1 holds 3 processes, node 2 none: the next three go to node 2, then a tie
    // goes to the lower node.
    expect(await nodesOf(leastLoaded({ maxAge: 0 }), 4)).toEqual([2, 2, 2, 1]);
  });

  it('counts the spawns it placed since the last measure', async () => {
    await fresh();
    // One measure for a whole burst: without counting its own spawns it would put them
    // all on node 1.
    expect(await nodesOf(leastLoaded({ maxAge: 60_000 }), 4)).toEqual([1, 2, 1, 2]);
  });

  it('measures again after maxAge, seeing processes that ended', async () => {
    await fresh();
    const spread = leastLoaded({ maxAge: 0 });
    const pids: Pid[] = [];
    for (let i = 0; i < 2; i++) pids.push(await nodes.spawn(1, fixtures, 'echo'));
    expect(await nodesOf(spread, 1)).toEqual([2]);
    await Promise.all(pids.map((pid) => killed(pid)));
    // Node 1 now holds none of them, node 2 one.
    expect(await nodesOf(spread, 1)).toEqual([1]);
  });

  it('throws InvalidArgumentError for a maxAge that is not a number >= 0', () => {
    expect(() => leastLoaded({ maxAge: -1 })).toThrow(InvalidArgumentError);
    expect(() => leastLoaded({ maxAge: '5' as never })).toThrow(InvalidArgumentError);
  });
});

describe('placement()', { timeout: 60_000 }, () => {
  it('asks the policy with the candidates that are up, and their loads when asked for', async () => {
    await fresh();
    const seen: PlacementChoice[] = [];
    const last = placement(
      (choice) => {
        seen.push(choice);
        return choice.candidates.at(-1)!;
      },
      { load: true, maxAge: 0 },
    );
    await nodes.spawn(1, fixtures, 'echo');
    expect(await nodesOf(last, 1)).toEqual([2]);
    expect(seen[0]!.candidates).toEqual([1, 2]);
    // Each node's load counts its live processes (the node layer's own ones too, the
    // same on each worker): node 1 holds one more.
    const loads = seen[0]!.loads!;
    expect([...loads.keys()]).toEqual([1, 2]);
    expect(loads.get(1)! - loads.get(2)!).toBe(1);
    const noLoads = placement(({ candidates, loads }) => {
      expect(loads).toBeUndefined();
      return candidates[0]!;
    });
    expect(await nodesOf(noLoads, 1)).toEqual([1]);
  });

  it('rejects the spawn with InvalidArgumentError when the policy returns no candidate', async () => {
    const wrong = placement(() => 7, { name: 'seven' });
    await expect(nodes.spawn(wrong, fixtures, 'echo')).rejects.toThrow(InvalidArgumentError);
    expect(() => placement('first' as never)).toThrow(InvalidArgumentError);
    expect(() => placement(() => 1, { load: 'yes' as never })).toThrow(InvalidArgumentError);
  });

  it('places again elsewhere when its node goes down before answering', async () => {
    await fresh();
    const picks: number[][] = [];
    const preferOne = placement(({ candidates }) => {
      picks.push([...candidates]);
      return candidates.includes(1) ? 1 : candidates[0]!;
    });
    // The module's import never finishes on node 1, so the spawn there waits for an
    // answer when the node goes down.
    const spawned = nodes.spawn(preferOne, hangOnNode1, 'idle');
    await nodes.terminate(1);
    const pid = await spawned;
    expect(pid.node).toBe(2);
    expect(picks).toEqual([[1, 2], [2]]);
  });

  it('rejects with NoNodeError naming the nodes tried when each goes down first', async () => {
    await fresh();
    const onlyOne = placement(() => 1, { nodes: [1], name: 'onlyOne' });
    const spawned = nodes.spawn(onlyOne, hangOnNode1, 'idle').catch((error) => error);
    await nodes.terminate(1);
    const error = await spawned;
    expect(error).toBeInstanceOf(NoNodeError);
    expect((error as NoNodeError).tried).toEqual([1]);
    expect((error as NoNodeError).message).toMatch(/onlyOne/);
  });
});

describe('Placement.pick()', () => {
  const nodeSets = fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 });

  it('spreads roundRobin picks over a steady set of candidates evenly (counts within 1)', () => {
    fc.assert(
      fc.property(nodeSets, fc.integer({ min: 1, max: 100 }), (set, count) => {
        const candidates = [...set].sort((a, b) => a - b);
        const spread = roundRobin();
        const counts = new Map(candidates.map((node) => [node, 0]));
        for (let i = 0; i < count; i++) {
          const node = spread.pick({ candidates, loads: undefined });
          counts.set(node, counts.get(node)! + 1);
        }
        const values = [...counts.values()];
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('keeps roundRobin picking only candidates, and in turn, as the candidates change', () => {
    fc.assert(
      fc.property(fc.array(nodeSets, { minLength: 1, maxLength: 30 }), (sets) => {
        const spread = roundRobin();
        let last: number | undefined;
        for (const set of sets) {
          const candidates = [...set].sort((a, b) => a - b);
          const node = spread.pick({ candidates, loads: undefined });
          expect(candidates).toContain(node);
          // The next candidate after the last pick, wrapping round to the first.
          const expected =
            last === undefined
              ? candidates[0]
              : (candidates.find((n) => n > last!) ?? candidates[0]);
          expect(node).toBe(expected);
          last = node;
        }
      }),
    );
  });

  it('has leastLoaded pick a candidate of the lowest load, the lowest node on a tie', () => {
    fc.assert(
      fc.property(nodeSets, fc.array(fc.nat(50), { minLength: 8, maxLength: 8 }), (set, raw) => {
        const candidates = [...set].sort((a, b) => a - b);
        const loads = new Map(candidates.map((node, i) => [node, raw[i]!]));
        const node = leastLoaded().pick({ candidates, loads });
        const lowest = Math.min(...loads.values());
        expect(loads.get(node)).toBe(lowest);
        expect(node).toBe(candidates.find((n) => loads.get(n) === lowest));
      }),
    );
  });
});
