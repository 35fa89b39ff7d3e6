import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logClaims, readmeProgram } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'actorkit-readme-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fence = '```';
const readme = join(dir, 'README.md');
writeFileSync(
  readme,
  [
    '# Demo',
    `${fence}ts\nimport { a } from 'x';\nconst one = a;\n${fence}`,
    '## Part',
    `${fence}ts\nimport X from 'y';\nimport { a, b } from 'x';\nconst two = b; // → 2\n${fence}`,
    `${fence}sh\nnot code\n${fence}`,
    '## Next',
    `${fence}ts\nconst three = 3;\n${fence}`,
  ].join('\n\n'),
);

describe('readmeProgram()', () => {
  it('joins the ts blocks in order with their imports merged at the top', () => {
    const lines = readmeProgram(readme)
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toEqual([
      "import X from 'y';",
      "import { a, b } from 'x';",
      'const one = a;',
      'const two = b; // → 2',
      'const three = 3;',
    ]);
  });

  it('keeps only the blocks of the section named, and throws for a section it lacks', () => {
    expect(readmeProgram(readme, { section: 'Part' })).not.toContain('const one');
    expect(readmeProgram(readme, { section: 'Part' })).not.toContain('const three');
    expect(() => readmeProgram(readme, { section: 'Gone' })).toThrow(/has no "## Gone" section/);
  });
});

describe('logClaims()', () => {
  it('logs each `expression; // → text` line and lists the texts in order', () => {
    expect(logClaims('a; // → 1\nb;\nc + d; // → two words')).toEqual({
      program: 'console.log(a);\nb;\nconsole.log(c + d);',
      expected: ['1', 'two words'],
    });
  });
});
