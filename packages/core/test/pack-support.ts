import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root, for the pack tests of every package. */
export const workspace = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a command and returns its stdout; a failure throws with the command's output. */
export function run(command: string, args: string[], cwd: string, timeout = 90_000): string {
  // Without NODE_OPTIONS, children run as plain node, free of the test runner's loaders.
  const { NODE_OPTIONS: _, ...env } = process.env;
  try {
    return execFileSync(command, args, { cwd, env, timeout, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${stdout}${stderr}`);
  }
}

/**
 * Type-checks `source` as `consumer.ts` in `project`, strictly and with
 * `skipLibCheck: false`, against the packages installed there.
 */
export function typecheckConsumer(project: string, source: string, timeout = 90_000): void {
  writeFileSync(join(project, 'consumer.ts'), source);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(workspace, 'node_modules', '@types')],
    },
    files: ['consumer.ts'],
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  run(join(workspace, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project, timeout);
}
