// The Scheduling section of packages/core/README.md type-checks and runs as written, and
// each statement annotated `expression; // → text` prints that text when the test logs
// the expression. (The same harness as registry-readme.test.ts.)
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');

/** The TypeScript blocks of the README section headed `## title`, joined. */
function sectionCode(title: string): string {
  const markdown = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${title}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).join('\n');
}

describe('README Scheduling section', () => {
  it('type-checks, runs, and each `expression; // → text` claim holds', async () => {
    const claims = /^(.+); \/\/ → (.*)$/gm;
    const section = sectionCode('Scheduling');
    const expected = [...section.matchAll(claims)].map((m) => m[2]!);
    expect(expected.length).toBeGreaterThan(0);
    const code = section.replace(
      claims,
      (_line, expression: string) => `console.log(${expression});`,
    );
    // Under this package, so the example imports the sources by a relative path.
    const dir = join(packageDir, 'node_modules', '.cache', 'scheduling-readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.mts');
    writeFileSync(file, code.replaceAll("from '@actorkit/core'", "from '../../../src/index.js'"));
    const run = promisify(execFile);
    const tsc = join(packageDir, '..', '..', 'node_modules', '.bin', 'tsc');
    await run(tsc, [...STRICT, file], { cwd: packageDir, timeout: 60_000 });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
      cwd: packageDir,
      timeout: 60_000,
    });
    expect(stdout.trimEnd().split('\n')).toEqual(expected);
  }, 120_000);
});

/** The workspace's strictness, for one file outside any tsconfig. */
const STRICT = [
  '--ignoreConfig',
  '--noEmit',
  '--strict',
  '--target',
  'es2023',
  '--lib',
  'es2023',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--types',
  'node',
  '--skipLibCheck',
];
