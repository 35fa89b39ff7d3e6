import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

// The README's examples run as a test, so they stay true: its TypeScript blocks, in
// order, are one program, type-checked as strictly as the workspace and run with node;
// its JavaScript block is the echo.js module the program spawns on a worker node.

const packageDir = fileURLToPath(new URL('../', import.meta.url));

describe('packages/nodes/README.md', () => {
  it('has examples that type-check and run on real worker threads, and exit by themselves', async () => {
    // Under this package's node_modules, so '@actorkit/core' resolves as it does for
    // users; '@actorkit/nodes' is this package, linked in beside the program.
    const dir = join(packageDir, 'node_modules', '.cache', 'readme');
    const self = join(dir, 'node_modules', '@actorkit', 'nodes');
    mkdirSync(dirname(self), { recursive: true });
    if (!existsSync(self)) symlinkSync(packageDir, self, 'dir');
    const readme = join(packageDir, 'README.md');
    const echo = /```js\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'))![1]!;
    writeFileSync(join(dir, 'echo.js'), echo);
    const stdout = await checkAndRun(readmeProgram(readme), {
      dir,
      name: 'nodes-readme',
      cwd: packageDir,
      conditions: ['actorkit-source'],
      timeout: 60_000,
    });
    expect(stdout).toContain('nodes 0 1 2');
    expect(stdout).toContain('answer hi from node 1');
    expect(stdout).toContain('registered {"registered":true}');
    expect(stdout).toContain('echo on node 2');
    expect(stdout).toContain('answer by name');
    expect(stdout).toContain('members 2');
    expect(stdout).toContain('group jobs join 2');
    expect(stdout).toContain('placed on 1 2 1');
    expect(stdout).toContain('square 144');
    expect(stdout).toContain('child on node 1 then on node 2');
  }, 120_000);
});
