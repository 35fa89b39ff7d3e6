import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The README's examples run as a test, so they stay true: its TypeScript blocks, in
// order, are one program, type-checked as strictly as the workspace and run with node,
// as packages/examples/test/readme.test.ts does for the root README.

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const run = promisify(execFile);

/** The README's `ts` blocks, in order, as one module with their imports merged. */
function readmeProgram(): string {
  const markdown = readFileSync(join(here, '..', 'README.md'), 'utf8');
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const imports = new Map<string, Set<string>>();
  const body = blocks.map((block) =>
    block.replace(/^import \{([^}]*)\} from '([^']+)';$/gm, (_line, names: string, from) => {
      const set = imports.get(from) ?? new Set<string>();
      for (const name of names.split(',')) if (name.trim() !== '') set.add(name.trim());
      imports.set(from, set);
      return '';
    }),
  );
  const header = [...imports].map(
    ([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`,
  );
  return [...header, ...body].join('\n');
}

describe('packages/genserver/README.md', () => {
  it('has examples that type-check and run as one program that exits by itself, draining the order in flight', async () => {
    // Under this package's node_modules, so '@actorkit/core' and 'xstate' resolve as they
    // do for users; '@actorkit/genserver' is this package, linked in beside the program.
    const dir = join(here, '..', 'node_modules', '.cache', 'readme');
    const self = join(dir, 'node_modules', '@actorkit', 'genserver');
    mkdirSync(dirname(self), { recursive: true });
    if (!existsSync(self)) symlinkSync(join(here, '..'), self, 'dir');
    const file = join(dir, 'genserver-readme.mts');
    writeFileSync(file, readmeProgram());
    const cwd = join(here, '..');
    await run(
      join(root, 'node_modules', '.bin', 'tsc'),
      [
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
        '--customConditions',
        'actorkit-source',
        '--types',
        'node',
        '--skipLibCheck',
        file,
      ],
      { cwd, timeout: 60_000 },
    );
    const { stdout } = await run(
      process.execPath,
      ['--conditions=actorkit-source', '--import', 'tsx', file],
      { cwd, timeout: 30_000 },
    );
    expect(stdout).toContain('first id 1');
    expect(stdout).toContain('counter starts at 42');
    expect(stdout).toContain('same counter true');
    expect(stdout).toContain('shipped ["order-1"]');
    expect(stdout).toContain('delivered after attempts [1,2,3]');
    expect(stdout).toContain('drained, cancelled 0 stopped 0');
  }, 90_000);
});
