// Issue #15: a static supervisor's strategy showed as null, and restart counts started at
// 0 when the observer woke, hiding earlier restarts. Supervisors now keep their own
// counts and flags (getFlags, restartCount, countChildren, whichChildren's restarts), and
// the tree shows them.
import { Runtime } from '@actorkit/core';
import { DynamicSupervisor, GenServer, Supervisor } from '@actorkit/genserver';
import { waitFor } from '@actorkit/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { type Observer, startObserver } from '../src/index.js';
import { CHILD_LIMIT, TREE_LIMIT } from '../src/tree.js';
import { Counter, getJson, startApp } from './fixtures.js';

let runtime: Runtime | undefined;
let observer: Observer | undefined;
afterEach(async () => {
  await observer?.close();
  observer = undefined;
  await runtime?.stop();
  runtime = undefined;
});

const counterChild = (id: string) => ({
  id,
  start: ({ runtime, self }: any) => GenServer.startLink(Counter, 0, { runtime, link: self }),
});

describe('GET /api/tree', () => {
  it("shows every supervisor's strategy, intensity and children counts", async () => {
    const app = await startApp();
    try {
      const { tree } = (await getJson(app.observer, '/api/tree')).body;
      expect(tree[0]).toMatchObject({
        name: 'app',
        strategy: 'one_for_one',
        intensity: { maxRestarts: 10, maxSeconds: 5 },
        counts: { specs: 3, active: 3, supervisors: 1, workers: 2 },
        restartCount: { total: 0, recent: 0 },
        omitted: 0,
      });
      expect(tree[0].children[2]).toMatchObject({
        name: 'jobs',
        behaviour: 'dynamic_supervisor',
        strategy: 'one_for_one',
        intensity: { maxRestarts: 3, maxSeconds: 5 },
        counts: { specs: 0, active: 0 },
      });
    } finally {
      await app.close();
    }
  });

  it('shows a rest_for_one or one_for_all strategy as the supervisor has it', async () => {
    runtime = new Runtime();
    await Supervisor.start(
      [
        counterChild('a'),
        {
          id: 'inner',
          type: 'supervisor',
          start: ({ runtime, self }: any) =>
            Supervisor.startLink([counterChild('b')], {
              runtime,
              link: self,
              strategy: 'one_for_all',
              maxRestarts: 1,
              maxSeconds: 60,
            }),
        },
      ],
      { runtime, strategy: 'rest_for_one' },
    );
    observer = await startObserver(runtime);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree[0].strategy).toBe('rest_for_one');
    expect(tree[0].children[1]).toMatchObject({
      id: 'inner',
      type: 'supervisor',
      strategy: 'one_for_all',
      intensity: { maxRestarts: 1, maxSeconds: 60 },
    });
    expect(tree[0].children[1].children.map((c: any) => c.id)).toEqual(['b']);
  });

  it('shows the restarts a supervisor made before the observer started', async () => {
    runtime = new Runtime();
    const sup = await Supervisor.start([counterChild('a'), counterChild('b')], {
      runtime,
      maxRestarts: 10,
    });
    for (let i = 0; i < 2; i++) {
      const [first] = await Supervisor.whichChildren(sup, { runtime });
      const before = first!.pid as any;
      runtime.exit(before, 'kill');
      await waitFor(
        async () => {
          const [now] = await Supervisor.whichChildren(sup, { runtime: runtime! });
          return typeof now!.pid === 'object' && !now!.pid.equals(before);
        },
        { what: 'child a to be restarted' },
      );
    }
    observer = await startObserver(runtime);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree[0].restartCount).toEqual({ total: 2, recent: 2 });
    expect(tree[0].children.map((c: any) => [c.id, c.restarts])).toEqual([
      ['a', 2],
      ['b', 0],
    ]);
  });

  it(`lists at most ${CHILD_LIMIT} children of a supervisor, and counts the others`, async () => {
    runtime = new Runtime();
    const sup = await DynamicSupervisor.start({ runtime, name: 'many' });
    for (let i = 0; i <= CHILD_LIMIT; i++) {
      await DynamicSupervisor.startChild(sup, counterChild(`c${i}`), { runtime });
    }
    observer = await startObserver(runtime);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree[0]).toMatchObject({
      name: 'many',
      omitted: CHILD_LIMIT + 1,
      counts: { specs: CHILD_LIMIT + 1, active: CHILD_LIMIT + 1 },
      children: [],
    });
  });

  it(`lists at most ${TREE_LIMIT} children in the whole tree, and counts the others`, async () => {
    runtime = new Runtime();
    const perSupervisor = CHILD_LIMIT;
    const supervisors = Math.ceil(TREE_LIMIT / perSupervisor) + 2;
    for (let s = 0; s < supervisors; s++) {
      const sup = await DynamicSupervisor.start({ runtime });
      for (let i = 0; i < perSupervisor; i++) {
        await DynamicSupervisor.startChild(sup, counterChild(`c${i}`), { runtime });
      }
    }
    observer = await startObserver(runtime);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree).toHaveLength(supervisors);
    const listed = tree.reduce((n: number, root: any) => n + root.children.length, 0);
    const omitted = tree.reduce((n: number, root: any) => n + root.omitted, 0);
    expect(listed).toBe(TREE_LIMIT);
    expect(listed + omitted).toBe(supervisors * perSupervisor);
  });
});
