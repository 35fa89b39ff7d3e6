import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readmeProgram, typeCheck } from '@actorkit/test-support';
import { describe, expect, it } from 'vitest';
import { bundleForNode } from './bundle.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const artifacts = join(packageDir, 'test-artifacts');

describe('README.md', () => {
  it('has examples that type-check and run, in order, as one program that exits by itself', async () => {
    mkdirSync(artifacts, { recursive: true });
    const program = readmeProgram(join(packageDir, 'README.md')).replace(
      "from '@actorkit/jobs'",
      "from '../src/index.js'",
    );
    const source = join(artifacts, 'readme.mts');
    writeFileSync(source, program);
    await typeCheck(source, { cwd: packageDir, conditions: ['actorkit-source'] });
    const bundle = join(artifacts, 'readme.mjs');
    await bundleForNode(source, bundle);
    // Run where 'data/jobs.db' may be created: a fresh folder.
    const cwd = mkdtempSync(join(tmpdir(), 'actorkit-jobs-readme-'));
    try {
      const { stdout } = await run(process.execPath, [bundle], { cwd, timeout: 30_000 });
      expect(stdout).toContain('enqueued job 1');
      expect(stdout).toContain('welcome mail for user 42 (job 1, attempt 1)');
      expect(stdout).toContain('false true');
      expect(stdout).toContain('user 1 and its welcome job committed together');
      expect(stdout).toContain('completed\navailable\n');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
