// The Nodes section of packages/observer/README.md type-checks and runs as written, on
// real worker threads, and each statement annotated `expression; // → text` prints that text.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, logClaims, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));

describe('README Nodes section', () => {
  it('type-checks, runs, exits by itself, and each `expression; // → text` claim holds', async () => {
    const section = readmeProgram(join(packageDir, 'README.md'), { section: 'Nodes' });
    const { program, expected } = logClaims(section);
    expect(expected).toEqual(['0 1 2']);
    // Under this package, so the example imports the sources by a relative path.
    const stdout = await checkAndRun(
      program.replaceAll("from '@actorkit/observer'", "from '../../../src/index.js'"),
      {
        dir: join(packageDir, 'node_modules', '.cache', 'nodes-readme'),
        name: 'example',
        cwd: packageDir,
        conditions: ['actorkit-source'],
        timeout: 60_000,
      },
    );
    expect(stdout.trimEnd().split('\n')).toEqual(expected);
  }, 120_000);
});
