#!/usr/bin/env node
// Runs the built CLI (dist/cli.js); when there is no build, or the source is newer than
// it (a stale dist/ in the workspace), runs the TypeScript source through tsx.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chooseCli } from './choose-cli.js';

const choice = chooseCli(fileURLToPath(new URL('..', import.meta.url)));
let cli;
if (choice.kind === 'dist') {
  cli = await import(pathToFileURL(choice.path).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  cli = await tsImport(pathToFileURL(choice.path).href, import.meta.url);
}
process.exitCode = await cli.main(process.argv.slice(2));
