// The Views section of packages/observer/README.md type-checks and runs as written, and
// each statement annotated `expression; // → text` prints that text.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, logClaims, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));

describe('README Views section', () => {
  it('type-checks, runs, and each `expression; // → text` claim holds', async () => {
    const section = readmeProgram(join(packageDir, 'README.md'), { section: 'Views' });
    const { program, expected } = logClaims(section);
    expect(expected).toEqual(['first', '2 notes']);
    // Under this package, so the example imports the sources by a relative path.
    const stdout = await checkAndRun(
      program.replaceAll("from '@actorkit/observer'", "from '../../../src/index.js'"),
      {
        dir: join(packageDir, 'node_modules', '.cache', 'views-readme'),
        name: 'example',
        cwd: packageDir,
        conditions: ['actorkit-source'],
      },
    );
    expect(stdout.trimEnd().split('\n')).toEqual(expected);
  }, 90_000);
});
