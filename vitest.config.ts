import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Lambda runs a current Node; the SDK's notice that it will need Node 22 next year is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration-pg',
          include: [
            'test/integration/postgres/**/*.test.ts',
            'test/integration/cli/**/*.test.ts',
            'test/integration/local/**/*.test.ts',
          ],
        },
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
        // The package as a team installs it (npm pack, installed from the tarball into temporary projects): one file,
        // its steps in order, each with minutes for npm.
        test: { name: 'package', include: ['test/package/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        // The reliability suite (docs/reliability.md): one scenario per file, one file at a time
        // (they load the machine), each with minutes to run its tasks and drain.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
