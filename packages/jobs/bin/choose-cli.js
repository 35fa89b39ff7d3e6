// Which CLI the bin runs: the built one (dist/cli.js), unless the TypeScript source beside
// it is newer — in the workspace, after an edit, a dist/ left by an earlier build is stale.
// A published package's files all carry the same time, so there the build is used.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Chooses between `dist/cli.js` and `src/cli.ts` under `packageDir`: the source when there
 * is no build, or when any file under `src/` was modified after `dist/cli.js`.
 *
 * @param {string} packageDir
 * @returns {{ kind: 'dist' | 'source', path: string }}
 */
export function chooseCli(packageDir) {
  const built = join(packageDir, 'dist', 'cli.js');
  const source = join(packageDir, 'src', 'cli.ts');
  if (!existsSync(built)) return { kind: 'source', path: source };
  if (existsSync(source) && newestIn(join(packageDir, 'src')) > statSync(built).mtimeMs) {
    return { kind: 'source', path: source };
  }
  return { kind: 'dist', path: built };
}

/** The latest modification time of any file under `dir`, in ms. */
function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}
