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
    ],
  },
});
