import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, typecheckConsumer, workspace } from '../../core/test/pack-support.js';

// Proves @actorkit/genserver works for an npm user: both packages built and packed,
// installed together into a fresh npm project outside the workspace, used with plain
// `node`, and type-checked strictly against the published declarations.

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

const consumer = `
import { Runtime } from '@actorkit/core';
import { type Call, type From, GenServer, ok, reply, Supervisor, TaskSupervisor } from '@actorkit/genserver';

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
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs],
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
});
