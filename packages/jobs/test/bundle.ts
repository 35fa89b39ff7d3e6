// Bundles a TypeScript entry into one plain JavaScript file for a child node, for the tests
// and the bench that start many processes (a tsx start costs seconds on a loaded machine).
import { build } from 'esbuild';

/**
 * Bundles `entry` (and the workspace sources it imports, by the 'actorkit-source'
 * condition) into the ES module `outfile`, for node 20. better-sqlite3 stays external:
 * a native module. Rejects with esbuild's errors.
 *
 * @example
 * await bundleForNode(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), bundle);
 */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['actorkit-source'],
    external: ['better-sqlite3'],
    logLevel: 'error',
  });
}
