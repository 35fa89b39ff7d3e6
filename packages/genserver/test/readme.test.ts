import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

// The README's examples run as a test, so they stay true: its TypeScript blocks, in
// order, are one program, type-checked as strictly as the workspace and run with node.

const packageDir = fileURLToPath(new URL('../', import.meta.url));

describe('packages/genserver/README.md', () => {
  it('has examples that type-check and run as one program that exits by itself, draining the order in flight', async () => {
    // Under this package's node_modules, so '@actorkit/core' and 'xstate' resolve as they
    // do for users; '@actorkit/genserver' is this package, linked in beside the program.
    const dir = join(packageDir, 'node_modules', '.cache', 'readme');
    const self = join(dir, 'node_modules', '@actorkit', 'genserver');
    mkdirSync(dirname(self), { recursive: true });
    if (!existsSync(self)) symlinkSync(packageDir, self, 'dir');
    const stdout = await checkAndRun(readmeProgram(join(packageDir, 'README.md')), {
      dir,
      name: 'genserver-readme',
      cwd: packageDir,
      conditions: ['actorkit-source'],
    });
    expect(stdout).toContain('first id 1');
    expect(stdout).toContain('counter starts at 42');
    expect(stdout).toContain('same counter true');
    expect(stdout).toContain('shipped ["order-1"]');
    expect(stdout).toContain('charged order-7');
    expect(stdout).toContain('delivered after attempts [1,2,3]');
    expect(stdout).toContain('drained, cancelled 0 stopped 0');
  }, 90_000);
});
