import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration-pg', include: ['test/integration/postgres/**/*.test.ts', 'test/integration/functions/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration-localstack', include: ['test/integration/localstack/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'cdk', include: ['test/cdk/**/*.test.ts'] },
      },
      {
        extends: true,
        // The reliability suite (docs/reliability.md): one scenario per file, one file at a time
        // (they load the machine), each with minutes to run its tasks and drain.
        test: { name: 'faults', include: ['test/faults/**/*.test.ts'], fileParallelism: false, testTimeout: 180_000, hookTimeout: 120_000 },
      },
    ],
  },
});
