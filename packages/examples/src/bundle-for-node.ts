import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// In the package's node_modules, so that better-sqlite3 resolves from a bundle as it does
// from the entry it was made from.
const cache = fileURLToPath(new URL('../node_modules/.cache/actorkit-examples/', import.meta.url));
const bundles = new Map<string, Promise<string>>();

/**
 * Bundles a TypeScript entry of this package, with the workspace sources and the
 * dependencies it imports, into one plain JavaScript file for a child Node process, and
 * resolves with the file's path. Once per process and name: a start under tsx costs
 * seconds on a loaded machine, a bundle's a fraction of that, and the demos and the tests
 * start their children again after every kill. better-sqlite3 stays external (a native
 * module). The file is written aside and renamed into place, so a process starting it
 * meanwhile reads a whole file.
 *
 * @example
 * const app = await bundleForNode(fileURLToPath(new URL('./main.ts', import.meta.url)), 'account-setup');
 * spawn(process.execPath, [app, '--db', path]);
 */
export function bundleForNode(entry: string, name: string): Promise<string> {
  let bundle = bundles.get(name);
  if (bundle === undefined) {
    bundle = build(entry, join(cache, `${name}.mjs`));
    bundles.set(name, bundle);
  }
  return bundle;
}

async function build(entry: string, outfile: string): Promise<string> {
  const esbuild = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const written = `${outfile}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [entry],
    outfile: written,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['actorkit-source'],
    external: ['better-sqlite3'],
    // CommonJS dependencies (Fastify's, amqplib's) call require for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    keepNames: true,
    logLevel: 'error',
  });
  renameSync(written, outfile);
  return outfile;
}
