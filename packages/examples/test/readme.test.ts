import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** A README's TypeScript blocks, in order, as one module with their imports merged. */
function readmeProgram(readme: string): string {
  const markdown = readFileSync(join(root, readme), 'utf8');
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

/**
 * Type-checks `program` as strictly as the workspace, then runs it with node; resolves with
 * its output once it exits by itself (rejects if it fails or hangs).
 */
async function checkAndRun(program: string, name: string): Promise<string> {
  // Inside this package's node_modules, so '@actorkit/*' resolve as they do for users.
  const dir = join(here, '..', 'node_modules', '.cache', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, program);
  const run = promisify(execFile);
  const cwd = join(here, '..');
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
  return stdout;
}

describe('README', () => {
  it('has examples that type-check and run, in order, as one program that exits by itself', async () => {
    expect(await checkAndRun(readmeProgram('README.md'), 'readme')).toContain('hello');
  }, 90_000);
});

describe('packages/core/README.md', () => {
  it('has an example that type-checks and runs as a program that exits by itself, with the ticks it promises', async () => {
    const program = readmeProgram('packages/core/README.md');
    // The example claims three ticks after advancing the clock: print what the ticker handled there.
    const claim = 'await clock.advance(3000); // three ticks, no sleeping';
    expect(program).toContain(claim);
    const probe =
      'console.log(JSON.stringify({ ticks: runtime.processInfo(ticker)?.messagesHandled }));';
    const stdout = await checkAndRun(program.replace(claim, `${claim}\n${probe}`), 'core-readme');
    expect(JSON.parse(stdout)).toEqual({ ticks: 3 });
  }, 90_000);
});
