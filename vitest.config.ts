import { defineConfig } from 'vitest/config';

// Inside the workspace, packages run from source: the 'actorkit-source' export condition
// points each package at its src/index.ts, so tests need no build step.
const conditions = ['actorkit-source', 'import', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
