import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Inside the workspace, packages run from source: no build step before tests.
    conditions: ['actorkit-source'],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
