import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const artifacts = join(packageDir, 'test-artifacts');
const workspace = join(packageDir, '..', '..');

/** The README's TypeScript blocks, in order, as one module with their imports merged. */
function readmeProgram(): string {
  const markdown = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const named = new Map<string, Set<string>>();
  const defaults: string[] = [];
  const body = blocks.map((block) =>
    block
      .replace(/^import (\w+) from '([^']+)';$/gm, (line) => {
        defaults.push(line);
        return '';
      })
      .replace(/^import \{([^}]*)\} from '([^']+)';$/gm, (_line, names: string, from: string) => {
        const set = named.get(from) ?? new Set<string>();
        for (const name of names.split(',')) if (name.trim() !== '') set.add(name.trim());
        named.set(from, set);
        return '';
      }),
  );
  const header = [...named].map(
    ([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`,
  );
  return [...defaults, ...header, ...body].join('\n');
}

describe('README.md', () => {
  it('has examples that type-check and run, in order, as one program that exits by itself', async () => {
    mkdirSync(artifacts, { recursive: true });
    const program = readmeProgram().replace("from '@actorkit/jobs'", "from '../src/index.js'");
    const source = join(artifacts, 'readme.mts');
    writeFileSync(source, program);
    await run(
      join(workspace, 'node_modules', '.bin', 'tsc'),
      [
        ...['--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--types', 'node'],
        ...['--target', 'es2023', '--lib', 'es2023', '--module', 'nodenext'],
        ...['--moduleResolution', 'nodenext', '--customConditions', 'actorkit-source', source],
      ],
      { cwd: packageDir, timeout: 60_000 },
    );
    const bundle = join(artifacts, 'readme.mjs');
    await build({
      entryPoints: [source],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['actorkit-source'],
      external: ['better-sqlite3'],
      logLevel: 'error',
    });
    // Run where 'data/jobs.db' may be created: a fresh folder.
    const cwd = mkdtempSync(join(tmpdir(), 'actorkit-jobs-readme-'));
    try {
      const { stdout } = await run(process.execPath, [bundle], { cwd, timeout: 30_000 });
      expect(stdout).toContain('enqueued job 1');
      expect(stdout).toContain('welcome mail for user 42 (job 1, attempt 1)');
      expect(stdout).toContain('false true');
      expect(stdout).toContain('user 1 and its welcome job committed together');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
