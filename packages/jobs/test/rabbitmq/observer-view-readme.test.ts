// The README's example of the Jobs view on RabbitMQ (its "The Jobs view and the CLI on
// RabbitMQ" section) runs as a test against the run's private broker: its `typescript`
// block type-checked and run as a program that exits by itself (its URL pointed at the
// private broker, with a prefix of its own).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { typeCheck } from '@actorkit/test-support';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { brokerUrl, uniquePrefix } from './support.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = join(packageDir, 'test-artifacts');
const HEADING = '\n### The Jobs view and the CLI on RabbitMQ\n';

/** The `typescript` blocks of the README's section on the Jobs view on RabbitMQ. */
function section(): string {
  const markdown = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const start = markdown.indexOf(HEADING);
  expect(start).toBeGreaterThan(-1);
  const end = markdown.indexOf('\n## ', start + 1);
  return [...markdown.slice(start, end).matchAll(/```typescript\n([\s\S]*?)```/g)]
    .map(([, block]) => block)
    .join('\n');
}

describe('README.md, the Jobs view on RabbitMQ', () => {
  it('has an example that type-checks and runs against a broker, and exits by itself', async () => {
    mkdirSync(artifacts, { recursive: true });
    const program = section()
      .replace(
        "import { RabbitMqStore, rabbitMqInspector } from '@actorkit/jobs/rabbitmq';",
        "import { RabbitMqStore } from '../src/rabbitmq/index.js';\nimport { rabbitMqInspector } from '../src/rabbitmq/inspect.js';",
      )
      .replaceAll("from '@actorkit/jobs'", "from '../src/index.js'")
      .replace(
        "{ url: 'amqp://guest:guest@127.0.0.1:5672' }",
        `{ url: '${brokerUrl()}', prefix: '${uniquePrefix()}' }`,
      );
    expect(program).toContain(brokerUrl());
    const source = join(artifacts, 'readme-rabbitmq-view.mts');
    writeFileSync(source, program);
    await typeCheck(source, { cwd: packageDir, conditions: ['actorkit-source'] });
    const bundle = join(artifacts, 'readme-rabbitmq-view.mjs');
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
    expect(stdout.split('\n')).toEqual(['mail: 0 dead letters', '501 not_available', '']);
  }, 90_000);
});
