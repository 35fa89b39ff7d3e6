import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, typecheckConsumer, workspace } from '../../core/test/pack-support.js';

// Proves @actorkit/genserver works for an npm user: both packages built and packed,
// installed together into a fresh npm project outside the workspace with xstate beside
// them (a peer dependency, so the user's own `import … from 'xstate'` works and one copy
// is installed), used with plain `node`, and type-checked strictly against the published
// declarations.

const SETUP_TIMEOUT = 180_000;
const COMMAND_TIMEOUT = 120_000;

let temp = '';
let project = '';

const script = `
import { Runtime } from '@actorkit/core';
import { GenServer, ok, reply, Supervisor } from '@actorkit/genserver';

class Counter extends GenServer {
  init(start) { return ok(start); }
  handleCall(request, _from, count) {
    if (request.type === 'crash') throw new Error('boom');
    return reply(count + request.by, count + request.by);
  }
}

const runtime = new Runtime();
const sup = await Supervisor.start([[Counter, 40]], { runtime });
const [child] = await Supervisor.whichChildren(sup);
const answer = await GenServer.call(child.pid, { type: 'add', by: 2 });
await GenServer.call(child.pid, { type: 'crash' }).catch(() => {});
const [restarted] = await Supervisor.whichChildren(sup);
console.log(JSON.stringify({ answer, restarted: restarted.pid !== child.pid }));
await runtime.stop();
`;

// The user's own xstate import, and the one @actorkit/genserver resolves, are one copy.
const xstateScript = `
import { createRequire } from 'node:module';
import { Runtime } from '@actorkit/core';
import { StateMachine, Supervisor } from '@actorkit/genserver';
import { createMachine } from 'xstate';

const door = createMachine({
  id: 'door',
  initial: 'closed',
  states: { closed: { on: { open: 'opened' } }, opened: { on: { close: 'closed' } } },
});
const runtime = new Runtime();
await Supervisor.start([StateMachine.childSpec(door, { name: 'door' })], { runtime });
const snapshot = await StateMachine.call('door', { type: 'open' }, { runtime });
const fromUser = createRequire(import.meta.url);
const fromGenserver = createRequire(import.meta.resolve('@actorkit/genserver'));
console.log(JSON.stringify({
  value: snapshot.value,
  user: fromUser.resolve('xstate/package.json'),
  genserver: fromGenserver.resolve('xstate/package.json'),
}));
await runtime.stop();
`;

/** Every installed copy of xstate under `dir`'s node_modules. */
function xstateCopies(dir: string): string[] {
  const copies: string[] = [];
  const walk = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(modules, entry))) {
          walk(join(modules, entry, scoped, 'node_modules'));
        }
        continue;
      }
      if (entry === 'xstate') copies.push(realpathSync(join(modules, entry)));
      walk(join(modules, entry, 'node_modules'));
    }
  };
  walk(join(dir, 'node_modules'));
  return copies;
}

const consumer = `
import { Runtime } from '@actorkit/core';
import {
  type Call,
  type From,
  GenServer,
  ok,
  reply,
  StateMachine,
  Supervisor,
  TaskSupervisor,
} from '@actorkit/genserver';
import { createMachine } from 'xstate';

type CounterCall = Call<'get', number> | Call<'name', string>;
class Counter extends GenServer<number, CounterCall> {
  init(start: number) {
    return ok(start);
  }
  override handleCall(request: CounterCall, _from: From, count: number) {
    return request.type === 'get' ? reply(count, count) : reply('counter', count);
  }
}

const runtime = new Runtime();
await Supervisor.start([[TaskSupervisor, { name: 'tasks' }]], { runtime });
const counter = await GenServer.start(Counter, 1, { runtime });
const count: number = await GenServer.call(counter, { type: 'get' });
const name: string = await GenServer.call(counter, { type: 'name' });
// @ts-expect-error an unknown request is rejected
await GenServer.call(counter, { type: 'nope' });
console.log(count, name);

// A machine built with the user's xstate types the StateMachine's events and snapshot.
const toggle = createMachine({
  types: {} as { events: { type: 'flip' } },
  initial: 'off',
  states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } },
});
const machine = await StateMachine.start(toggle, { runtime });
const snapshot = await StateMachine.call(machine, { type: 'flip' });
const on: boolean = snapshot.matches('on');
// @ts-expect-error an event the machine does not take
await StateMachine.call(machine, { type: 'flop' });
console.log(on);
await runtime.stop();
`;

beforeAll(() => {
  run(
    'pnpm',
    ['--filter', '@actorkit/core', '--filter', '@actorkit/genserver', 'build'],
    workspace,
    COMMAND_TIMEOUT,
  );
  temp = mkdtempSync(join(tmpdir(), 'actorkit-pack-genserver-'));
  for (const name of ['core', 'genserver']) {
    run(
      'pnpm',
      ['pack', '--pack-destination', temp],
      join(workspace, 'packages', name),
      COMMAND_TIMEOUT,
    );
  }
  const tarballs = readdirSync(temp)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => join(temp, file));
  expect(tarballs).toHaveLength(2);
  project = join(temp, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'actorkit-pack-check', private: true, type: 'module' }),
  );
  // As the README says: the user installs xstate beside @actorkit/genserver.
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, 'xstate@^5.33.3'],
    project,
    COMMAND_TIMEOUT,
  );
}, SETUP_TIMEOUT);

afterAll(() => {
  if (temp !== '') rmSync(temp, { recursive: true, force: true });
});

describe('the packed @actorkit/genserver', { timeout: SETUP_TIMEOUT }, () => {
  it('runs a supervised GenServer under plain node, then exits by itself', () => {
    writeFileSync(join(project, 'main.mjs'), script);
    const output = run(process.execPath, ['main.mjs'], project, 30_000);
    expect(JSON.parse(output)).toEqual({ answer: 42, restarted: true });
  });

  it('type-checks a strict consumer against the published types', () => {
    typecheckConsumer(project, consumer, COMMAND_TIMEOUT);
  });

  it('declares xstate a peer dependency, not a dependency', () => {
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules', '@actorkit', 'genserver', 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    expect(manifest.dependencies?.xstate).toBeUndefined();
    expect(manifest.peerDependencies?.xstate).toMatch(/^\^5\./);
  });

  it("runs the user's own xstate machine, with one copy of xstate installed and resolved by both", () => {
    writeFileSync(join(project, 'xstate.mjs'), xstateScript);
    const output = JSON.parse(run(process.execPath, ['xstate.mjs'], project, 30_000)) as {
      value: string;
      user: string;
      genserver: string;
    };
    expect(output.value).toBe('opened');
    expect(output.genserver).toBe(output.user);
    expect(xstateCopies(project)).toEqual([realpathSync(join(project, 'node_modules', 'xstate'))]);
  });
});
