import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * pg and pino call `require`, which an ES module does not have: define it (and __filename/__dirname) at the top of the bundle.
 */
export const ESM_REQUIRE_BANNER = [
  "import { createRequire as __taskerCreateRequire } from 'module';",
  "import { fileURLToPath as __taskerFileURLToPath } from 'url';",
  "import { dirname as __taskerDirname } from 'path';",
  'const require = __taskerCreateRequire(import.meta.url);',
  'const __filename = __taskerFileURLToPath(import.meta.url);',
  'const __dirname = __taskerDirname(__filename);',
].join(' ');

/**
 * esbuild, ESM output, minified, with source maps. `pg-native` is optional in pg and never installed. The AWS SDK v3 ships
 * in the Node.js Lambda runtime, so by default it stays out of the bundle: smaller packages and faster cold starts, at the
 * price of running the runtime's SDK version (set `bundleAwsSdk` to pin the version in package-lock.json instead).
 */
export function bundlingOptions(
  bundleAwsSdk: boolean,
  extra: Partial<nodejs.BundlingOptions> = {},
): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    banner: ESM_REQUIRE_BANNER,
    externalModules: bundleAwsSdk ? ['pg-native'] : ['pg-native', '@aws-sdk/*'],
    bundleAwsSDK: bundleAwsSdk,
    ...extra,
  };
}

/** Where Lambda unpacks a zip function's code. */
export const LAMBDA_TASK_ROOT = '/var/task';

/** Copies directories into the bundle (`{ migrations: '/abs/dir' }` becomes `<bundle>/migrations/`), e.g. SQL migrations and task templates. */
export function copyIntoBundleHook(directories: Readonly<Record<string, string>>): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      Object.entries(directories).map(([name, source]) => {
        const target = JSON.stringify(`${outputDir}/${name}`);
        return `mkdir -p ${target} && cp -R ${JSON.stringify(`${source}/.`)} ${target}`;
      }),
  };
}
