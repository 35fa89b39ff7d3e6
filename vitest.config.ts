import { defineConfig } from 'vitest/config';

// Inside the workspace, packages run from source: the 'actorkit-source' export condition
// points each package at its src/index.ts, so tests need no build step.
const conditions = ['actorkit-source', 'import', 'node', 'default'];
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
};

export default defineConfig({
  ...shared,
  test: {
    testTimeout: 20_000,
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: [
            'packages/*/test/pack.test.ts',
            'packages/jobs/test/rabbitmq/**',
            'packages/examples/test/*rabbitmq*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        // The pack tests build and pack the packages: one at a time, so no two builds
        // write the same dist/ at once.
        ...shared,
        test: {
          name: 'pack',
          include: ['packages/*/test/pack.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 20_000,
        },
      },
      {
        // The RabbitMQ store's tests, against one private broker for the run (started by
        // the global setup), so the other projects never wait for it.
        ...shared,
        test: {
          name: 'rabbitmq',
          include: [
            'packages/jobs/test/rabbitmq/**/*.test.ts',
            'packages/examples/test/*rabbitmq*.test.ts',
          ],
          globalSetup: ['packages/jobs/test/rabbitmq/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
