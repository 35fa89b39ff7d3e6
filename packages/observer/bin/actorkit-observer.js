#!/usr/bin/env node
// Runs the built CLI (dist/cli.js); inside the workspace, before a build, runs the
// TypeScript source through tsx.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  cli = await tsImport('../src/cli.ts', import.meta.url);
}
process.exitCode = await cli.main(process.argv.slice(2));
