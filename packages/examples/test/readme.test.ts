import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAndRun, readmeProgram } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const root = join(packageDir, '..', '..');

/**
 * Type-checks `program` as strictly as the workspace, then runs it with node; resolves with
 * its output once it exits by itself (rejects if it fails or hangs).
 */
function run(program: string, name: string): Promise<string> {
  // Inside this package's node_modules, so '@actorkit/*' resolve as they do for users.
  const dir = join(packageDir, 'node_modules', '.cache', 'readme');
  return checkAndRun(program, { dir, name, cwd: packageDir, conditions: ['actorkit-source'] });
}

describe('README', () => {
  it('has examples that type-check and run, in order, as one program that exits by itself', async () => {
    expect(await run(readmeProgram(join(root, 'README.md')), 'readme')).toContain('hello');
  }, 90_000);
});

describe('packages/core/README.md', () => {
  it('has an example that type-checks and runs as a program that exits by itself, with the ticks it promises', async () => {
    const program = readmeProgram(join(root, 'packages/core/README.md'));
    // The example claims three ticks after advancing the clock: print what the ticker handled there.
    const claim = 'await clock.advance(3000); // three ticks, no sleeping';
    expect(program).toContain(claim);
    const probe =
      'console.log(JSON.stringify({ ticks: runtime.processInfo(ticker)?.messagesHandled }));';
    const stdout = await run(program.replace(claim, `${claim}\n${probe}`), 'core-readme');
    expect(JSON.parse(stdout)).toEqual({ ticks: 3 });
  }, 90_000);
});
