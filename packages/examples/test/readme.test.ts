import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** The README's TypeScript blocks, in order, as one module with their imports merged. */
function readmeProgram(): string {
  const markdown = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  for (const block of blocks) {
    const code = block.replace(
      /^import \{([^}]*)\} from '([^']+)';$/gm,
      (_line, names: string, from: string) => {
        const set = imports.get(from) ?? new Set<string>();
        for (const name of names.split(',')) if (name.trim() !== '') set.add(name.trim());
        imports.set(from, set);
        return '';
      },
    );
    body.push(code);
  }
  const header = [...imports].map(
    ([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`,
  );
  return [...header, ...body].join('\n');
}

describe('README', () => {
  it('has examples that type-check and run, in order, as one program that exits by itself', async () => {
    // Inside this package's node_modules, so '@actorkit/*' resolve as they do for users.
    const dir = join(here, '..', 'node_modules', '.cache', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme.mts');
    writeFileSync(file, readmeProgram());
    const run = promisify(execFile);
    const cwd = join(here, '..');
    // Type-checked as strictly as the workspace, then run.
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    await run(
      tsc,
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
    expect(stdout).toContain('hello');
  }, 90_000);
});
