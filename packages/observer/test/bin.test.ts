import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript beside the bin, without type declarations.
import { chooseCli } from '../bin/choose-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A package folder with the given files, each modified at the given second. */
function layout(files: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'observer-bin-'));
  dirs.push(dir);
  for (const [file, second] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
    utimesSync(join(dir, file), second, second);
  }
  return dir;
}

describe('chooseCli()', () => {
  it('runs the source when there is no build', () => {
    const dir = layout({ 'src/cli.ts': 100 });
    expect(chooseCli(dir)).toEqual({ kind: 'source', path: join(dir, 'src/cli.ts') });
  });

  it('runs the build when it is newer than every source file', () => {
    const dir = layout({ 'src/cli.ts': 100, 'src/dashboard/page.ts': 150, 'dist/cli.js': 200 });
    expect(chooseCli(dir)).toEqual({ kind: 'dist', path: join(dir, 'dist/cli.js') });
  });

  it('runs the source when any source file is newer than the build (a stale dist/)', () => {
    const dir = layout({ 'src/cli.ts': 100, 'src/dashboard/page.ts': 300, 'dist/cli.js': 200 });
    expect(chooseCli(dir)).toEqual({ kind: 'source', path: join(dir, 'src/cli.ts') });
  });

  it('runs the build of a published package, whose files all carry one time', () => {
    const dir = layout({ 'src/cli.ts': 499_162_500, 'dist/cli.js': 499_162_500 });
    expect(chooseCli(dir).kind).toBe('dist');
  });
});

describe('bin/actorkit-observer.js', () => {
  it('runs the CLI (here from source) and exits with its code', async () => {
    const bin = fileURLToPath(new URL('../bin/actorkit-observer.js', import.meta.url));
    const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(output).toMatch(/^usage: actorkit-observer --url/);
    expect(code).toBe(2);
  });
});
