// Issue #15, what looked wrong to a new user: a { via } name showed in the tree but was
// null in the table and the API; every process showed the same uptime; a state machine
// was StateMachine(breaker) in one view and StateMachineServer in another.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Registry, Runtime, VirtualClock } from '@actorkit/core';
import { GenServer, StateMachine, Supervisor } from '@actorkit/genserver';
import { afterEach, describe, expect, it } from 'vitest';
import { type Observer, startObserver } from '../src/index.js';
import { Counter, enc, getJson } from './fixtures.js';

// xstate is genserver's peer dependency, not the observer's: load the copy genserver uses.
type AnyMachine = Parameters<typeof StateMachine.start>[0];
const fromGenserver = createRequire(new URL('../../genserver/package.json', import.meta.url));
const { createMachine } = (await import(pathToFileURL(fromGenserver.resolve('xstate')).href)) as {
  createMachine: (config: object) => AnyMachine;
};

let runtime: Runtime;
let observer: Observer | undefined;
afterEach(async () => {
  await observer?.close();
  observer = undefined;
  await runtime.stop();
});

describe('names given through a Registry ({ via })', () => {
  it('show in the table, the process page and the tree, and find the process by name and by filter', async () => {
    runtime = new Runtime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const sup = await Supervisor.start(
      [
        {
          id: 'user-42',
          start: ({ runtime, self }) =>
            GenServer.startLink(Counter, 0, {
              runtime,
              link: self,
              name: { via: users, key: 'user:42' },
            }),
        },
      ],
      { runtime, name: 'users_sup' },
    );
    observer = await startObserver(runtime, { registries: [users] });
    const pid = String(users.whereisName('user:42'));

    const table = await getJson(observer, '/api/processes?sort=name&order=asc');
    expect(table.body.rows.map((r: any) => [r.pid, r.name])).toEqual([
      [pid, 'user:42'],
      [String(sup), 'users_sup'],
    ]);
    const page = await getJson(observer, `/api/processes/${enc('user:42')}`);
    expect(page).toMatchObject({ status: 200, body: { pid, name: 'user:42', module: 'Counter' } });
    const filtered = await getJson(observer, '/api/processes?filter=USER%3A4');
    expect(filtered.body.rows.map((r: any) => r.pid)).toEqual([pid]);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree[0].children[0]).toMatchObject({ id: 'user-42', pid, name: 'user:42' });
  });

  it('are left out for registries the observer was not given, as core keeps no list of them', async () => {
    runtime = new Runtime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const server = await GenServer.start(Counter, 0, { runtime, name: { via: users, key: 'u1' } });
    observer = await startObserver(runtime);
    const { body } = await getJson(observer, `/api/processes/${enc(String(server))}`);
    expect(body.name).toBeNull();
    expect((await getJson(observer, '/api/processes/u1')).status).toBe(404);
  });

  it('prefer the registered name when a process has both', async () => {
    runtime = new Runtime();
    const users = new Registry<string>(runtime, { keys: 'unique' });
    const server = await GenServer.start(Counter, 0, { runtime, name: 'counter' });
    users.register(server, 'alias');
    observer = await startObserver(runtime, { registries: [users] });
    const { body } = await getJson(observer, '/api/processes?filter=alias');
    expect(body.rows).toMatchObject([{ pid: String(server), name: 'counter' }]);
  });
});

describe('a state machine', () => {
  it('shows as StateMachine(id) in the table, the tree and its state', async () => {
    runtime = new Runtime();
    const breaker = createMachine({
      id: 'breaker',
      initial: 'closed',
      states: { closed: { on: { TRIP: 'open' } }, open: {} },
    });
    await Supervisor.start([StateMachine.childSpec(breaker, { name: 'breaker' })], {
      runtime,
      name: 'machines',
    });
    observer = await startObserver(runtime);
    const table = await getJson(observer, '/api/processes?behaviour=state_machine');
    expect(table.body.rows).toMatchObject([{ name: 'breaker', module: 'StateMachine(breaker)' }]);
    const { tree } = (await getJson(observer, '/api/tree')).body;
    expect(tree[0].children[0]).toMatchObject({ id: 'breaker', module: 'StateMachine(breaker)' });
    const page = await getJson(observer, '/api/processes/breaker');
    expect(page.body.module).toBe('StateMachine(breaker)');
    expect(page.body.state).toMatchObject({ available: true, module: 'StateMachine(breaker)' });
    expect(JSON.stringify(page.body)).not.toContain('StateMachineServer');
  });
});

describe('uptime', () => {
  it("is each process's own, from processInfo().startedAt on the runtime's clock", async () => {
    const clock = new VirtualClock();
    runtime = new Runtime({ clock });
    const older = await GenServer.start(Counter, 0, { runtime, name: 'older' });
    await clock.advance(90_000);
    const younger = await GenServer.start(Counter, 0, { runtime, name: 'younger' });
    await clock.advance(5_000);
    observer = await startObserver(runtime);
    const { rows } = (await getJson(observer, '/api/processes?sort=uptime')).body;
    expect(rows.map((r: any) => [r.pid, r.uptimeMs])).toEqual([
      [String(older), 95_000],
      [String(younger), 5_000],
    ]);
    const page = await getJson(observer, '/api/processes/younger?state=0');
    expect(page.body.uptimeMs).toBe(5_000);
  });
});
