// Runs a README's TypeScript blocks as one program, so its examples stay true: the blocks,
// in order, become one module (imports merged), type-checked as strictly as the workspace
// and run with node. A statement annotated `expression; // → text` (Elixir's `#=>`) is a
// claim: logClaims turns it into `console.log(expression);` and lists the texts to expect.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const workspace = fileURLToPath(new URL('../../../', import.meta.url));

/** Options for {@link readmeProgram}. */
export interface ReadmeProgramOptions {
  /** Only the blocks of the section headed `## section`. @default the whole README */
  section?: string;
}

/**
 * The `ts` blocks of the markdown file at `path`, in order, as one module: each
 * `import { a, b } from 'x';` and `import X from 'x';` line moves to the top, named imports
 * from one module merged into one line. Throws when `section` is given and the file has
 * no `## section` heading.
 *
 * @example
 * const program = readmeProgram(join(packageDir, 'README.md'), { section: 'Registry' });
 */
export function readmeProgram(path: string, options: ReadmeProgramOptions = {}): string {
  const blocks = [...markdownOf(path, options.section).matchAll(/```ts\n([\s\S]*?)```/g)];
  const named = new Map<string, Set<string>>();
  const defaults: string[] = [];
  const body = blocks.map(([, block]) =>
    block!
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

/** The text of the markdown file at `path`, or of its section headed `## section`. */
function markdownOf(path: string, section: string | undefined): string {
  const markdown = readFileSync(path, 'utf8');
  if (section === undefined) return markdown;
  const start = markdown.indexOf(`\n## ${section}\n`);
  if (start === -1) throw new Error(`${path} has no "## ${section}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** What {@link logClaims} returns: the program that logs each claim, and the texts it claims. */
export interface LoggedClaims {
  program: string;
  expected: string[];
}

/**
 * Rewrites each line `expression; // → text` of `program` to `console.log(expression);`
 * and returns the texts in order, so the program's output lines can be compared with them.
 *
 * @example
 * const { program, expected } = logClaims('1 + 1; // → 2');
 * // program: 'console.log(1 + 1);', expected: ['2']
 */
export function logClaims(program: string): LoggedClaims {
  const claims = /^(.+); \/\/ → (.*)$/gm;
  return {
    expected: [...program.matchAll(claims)].map((match) => match[2]!),
    program: program.replace(claims, (_line, expression: string) => `console.log(${expression});`),
  };
}

/** Options for {@link checkAndRun}. */
export interface CheckAndRunOptions {
  /** Folder to write the program in; created if missing. Its place decides how imports resolve. */
  dir: string;
  /** File name for the program, without extension (written as `<name>.mts`). */
  name: string;
  /** Working folder for tsc and node. */
  cwd: string;
  /** Export conditions for tsc (`--customConditions`) and node (`--conditions`). @default [] */
  conditions?: readonly string[];
  /** Ms node may run the program before it counts as hung. @default 30000 */
  timeout?: number;
}

/**
 * Writes `program` to `<dir>/<name>.mts`, type-checks it as strictly as the workspace,
 * then runs it with node and tsx; resolves with its output once it exits by itself.
 * Rejects if tsc reports an error, or the program throws, exits non-zero or outlives
 * `timeout` (tsc has 60 s).
 *
 * @example
 * const stdout = await checkAndRun(program, { dir, name: 'readme', cwd: packageDir });
 */
export async function checkAndRun(program: string, options: CheckAndRunOptions): Promise<string> {
  const { dir, name, cwd, conditions = [], timeout = 30_000 } = options;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, program);
  await typeCheck(file, { cwd, conditions });
  const flags = conditions.map((condition) => `--conditions=${condition}`);
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', file], {
    cwd,
    timeout,
  });
  return stdout;
}

/** Options for {@link typeCheck}. */
export interface TypeCheckOptions {
  /** Working folder for tsc. */
  cwd: string;
  /** Export conditions tsc resolves packages with (`--customConditions`). @default [] */
  conditions?: readonly string[];
}

/**
 * Type-checks one file outside any tsconfig with the workspace's strictness (strict,
 * es2023, nodenext, node types). Rejects with tsc's output on an error, or after 60 s.
 *
 * @example
 * await typeCheck(join(dir, 'readme.mts'), { cwd: packageDir, conditions: ['actorkit-source'] });
 */
export async function typeCheck(file: string, options: TypeCheckOptions): Promise<void> {
  const conditions = options.conditions ?? [];
  const custom = conditions.length > 0 ? ['--customConditions', ...conditions] : [];
  await run(join(workspace, 'node_modules', '.bin', 'tsc'), [...STRICT, ...custom, file], {
    cwd: options.cwd,
    timeout: 60_000,
  });
}

/** The workspace's strictness, for one file outside any tsconfig. */
const STRICT = [
  ...['--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--types', 'node'],
  ...['--target', 'es2023', '--lib', 'es2023', '--module', 'nodenext'],
  ...['--moduleResolution', 'nodenext'],
];
