import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, typecheckConsumer, workspace } from './pack-support.js';

// Proves @actorkit/core works for an npm user: build, `pnpm pack`, install the tarball
// into a fresh npm project outside the workspace, and use it with plain `node`.

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const SETUP_TIMEOUT = 120_000;

let temp = '';
let tarball = '';
let project = '';
let installed = '';

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

const script = `
import { Runtime, TIMEOUT } from '@actorkit/core';

const runtime = new Runtime();
const echo = runtime.spawn({
  handle(message, ctx) {
    ctx.send(message.from, 'echo: ' + message.text);
  },
});
const reply = await new Promise((resolve) => {
  runtime.spawn(async (ctx) => {
    ctx.send(echo, { from: ctx.self, text: 'hello' });
    const answer = await ctx.receive({ timeout: 5000 });
    resolve(answer === TIMEOUT ? 'timeout' : answer);
  });
});
console.log(JSON.stringify({ reply, echo: String(echo) }));
await runtime.stop();
`;

// Every expect-error below is an error only while the published types hide internals.
const consumer = `
import { type Pid, Runtime } from '@actorkit/core';

const runtime = new Runtime();
const pid: Pid<string> = runtime.spawn<string>({ handle() {} });
runtime.send(pid, 'typed');
// @ts-expect-error a Pid<string> does not accept numbers
runtime.send(pid, 42);
// @ts-expect-error Pid.proc is @internal
pid.proc;
// @ts-expect-error Runtime.scheduler is @internal
runtime.scheduler;
// @ts-expect-error Runtime.timers is @internal
runtime.timers;
// @ts-expect-error Runtime.terminate is @internal
runtime.terminate;
// @ts-expect-error TimerRef.entry is @internal
runtime.sendAfter(pid, 'later', 10).entry;
await runtime.stop();
`;

beforeAll(() => {
  run('pnpm', ['--filter', '@actorkit/core', 'build'], workspace);
  temp = mkdtempSync(join(tmpdir(), 'actorkit-pack-'));
  run('pnpm', ['pack', '--pack-destination', temp], packageDir);
  const packed = readdirSync(temp).filter((file) => file.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(temp, packed[0]!);
  project = join(temp, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'actorkit-pack-check', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
  installed = join(project, 'node_modules', '@actorkit', 'core');
}, SETUP_TIMEOUT);

afterAll(() => {
  if (temp !== '') rmSync(temp, { recursive: true, force: true });
});

describe('the packed @actorkit/core', { timeout: SETUP_TIMEOUT }, () => {
  it('is installed into a project outside the workspace', () => {
    expect(relative(workspace, project).startsWith('..')).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'eventemitter3', 'package.json'))).toBe(true);
  });

  it('contains dist/index.js and dist/index.d.ts', () => {
    const files = run('tar', ['-tzf', tarball], temp).split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/package.json');
  });

  it('publishes no @internal member in its declaration files', () => {
    const files = declarationFiles(join(installed, 'dist'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(readFileSync(file, 'utf8'), file).not.toContain('@internal');
    }
    const pid = readFileSync(join(installed, 'dist', 'pid.d.ts'), 'utf8');
    expect(pid).toContain('class Pid');
    expect(pid).not.toMatch(/\bproc\b\s*[?:]/);
  });

  it('spawns a process and exchanges a message under plain node, then exits by itself', () => {
    writeFileSync(join(project, 'main.mjs'), script);
    // execFileSync's timeout kills a script that an open handle keeps alive.
    const output = run(process.execPath, ['main.mjs'], project, 30_000);
    expect(JSON.parse(output)).toEqual({ reply: 'echo: hello', echo: '#PID<0.1.0>' });
  });

  it('type-checks a strict consumer against the published types, with internals hidden', () => {
    typecheckConsumer(project, consumer);
  });
});
