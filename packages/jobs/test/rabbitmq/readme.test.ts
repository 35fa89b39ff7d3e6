// The README's RabbitMQ section runs as a test against the run's private broker: its
// `typescript` blocks, in order, type-checked and run as one program that exits by itself
// (its URL pointed at the private broker). The main README test leaves those blocks out:
// they need a broker.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { typeCheck } from '@actorkit/test-support';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { brokerUrl } from './support.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = join(packageDir, 'test-artifacts');

/** The `typescript` blocks of the README's `## RabbitMQ` section, as one program. */
function rabbitmqSection(): string {
  const markdown = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = markdown.indexOf('\n## RabbitMQ\n');
  expect(start).toBeGreaterThan(-1);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```typescript\n([\s\S]*?)```/g)]
    .map(([, block]) => block)
    .join('\n');
}

describe('README.md, RabbitMQ section', () => {
  it('has an example that type-checks and runs against a broker, and exits by itself', async () => {
    mkdirSync(artifacts, { recursive: true });
    const program = rabbitmqSection()
      .replaceAll("from '@actorkit/jobs/rabbitmq'", "from '../src/rabbitmq/index.js'")
      .replaceAll("from '@actorkit/jobs'", "from '../src/index.js'")
      .replace('amqp://guest:guest@127.0.0.1:5672', brokerUrl());
    expect(program).toContain(brokerUrl());
    const source = join(artifacts, 'readme-rabbitmq.mts');
    writeFileSync(source, program);
    await typeCheck(source, { cwd: packageDir, conditions: ['actorkit-source'] });
    const bundle = join(artifacts, 'readme-rabbitmq.mjs');
    // amqplib (CommonJS requiring Node's modules at run time) stays external: the bundle
    // sits in the package, where it resolves.
    await build({
      entryPoints: [source],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['actorkit-source'],
      external: ['better-sqlite3', 'amqplib'],
      logLevel: 'error',
    });
    const { stdout } = await run(process.execPath, [bundle], { timeout: 30_000 });
    expect(stdout).toContain('hello Ada (attempt 1)');
  }, 90_000);
});
