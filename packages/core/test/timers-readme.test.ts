// The Timers section of packages/core/README.md type-checks and runs as written, and
// each statement annotated `expression; // → text` prints that text when the test logs
// the expression.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, logClaims, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));

describe('README Timers section', () => {
  it('type-checks, runs, and each `expression; // → text` claim holds', async () => {
    const section = readmeProgram(join(packageDir, 'README.md'), { section: 'Timers' });
    const { program, expected } = logClaims(section);
    expect(expected.length).toBeGreaterThan(0);
    // Under this package, so the example imports the sources by a relative path.
    const stdout = await checkAndRun(
      program.replaceAll("from '@actorkit/core'", "from '../../../src/index.js'"),
      {
        dir: join(packageDir, 'node_modules', '.cache', 'timers-readme'),
        name: 'example',
        cwd: packageDir,
        timeout: 60_000,
      },
    );
    expect(stdout.trimEnd().split('\n')).toEqual(expected);
  }, 120_000);
});
