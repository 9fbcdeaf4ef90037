import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { emptyResult, type BenchResult, type Sizes } from './context.js';
import { quantile, round } from './stats.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTIONS_DIR = join(ROOT, 'functions');

/** The issue's target: each function bundle under 1 MB (10^6 bytes, the stricter reading). */
const BUNDLE_GOAL_KB = 1_000;

/** Imports the bundle named by BENCH_BUNDLE and prints how long that took and how long since the process started. */
const CHILD = `
const t0 = performance.now();
const m = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }
console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly fileWithSdk: string;
  readonly bytes: number;
  readonly bytesWithSdk: number;
  readonly topInputs: Record<string, number>;
}

/**
 * Cold start cost of each `functions/*.ts`: bundled as the CDK construct bundles it (esbuild, ESM,
 * minified, linked source map without sources, the same require banner, `pg-native` and the AWS
 * SDK external since the Lambda runtime provides the SDK), and the time to import the bundle in a
 * fresh `node --enable-source-maps` process (Lambda sets that option), with no AWS endpoint or
 * database configured: the handlers build their clients lazily, so import touches no network.
 */
export async function coldStart(sizes: Sizes, outDir: string): Promise<BenchResult> {
  const result = emptyResult();
  const { ESM_REQUIRE_BANNER } = await import('../../cdk/bundling.js');
  const bundleDir = await bundleDirectory(outDir);
  const entries = (await readdir(FUNCTIONS_DIR)).filter((f) => f.endsWith('.ts')).sort();
  const baseline = await importTimes('data:text/javascript,export const handler = () => {}', sizes.coldStartRuns);
  result.details.node_baseline = baseline;
  for (const entry of entries) {
    const bundle = await bundleFunction(join(FUNCTIONS_DIR, entry), bundleDir, ESM_REQUIRE_BANNER);
    const times = await importTimes(pathToFileURL(bundle.file).href, sizes.coldStartRuns);
    const withSdk = await importTimes(pathToFileURL(bundle.fileWithSdk).href, sizes.coldStartRuns);
    addFunction(result, bundle, times, withSdk, baseline);
  }
  return result;
}

/**
 * `<outDir>/bundles`, with a `node_modules` link to this checkout's: a bundle imports its externals
 * (`@aws-sdk/*`, which the Lambda runtime provides) by bare name, and Node resolves those from the
 * importing file's folder upwards only (NODE_PATH does not apply to ES modules). The link makes
 * them resolve wherever `--out` points, with the bundles' bytes unchanged.
 */
export async function bundleDirectory(outDir: string): Promise<string> {
  const dir = join(outDir, 'bundles');
  await mkdir(dir, { recursive: true });
  const link = join(dir, 'node_modules');
  await rm(link, { force: true });
  await symlink(join(ROOT, 'node_modules'), link, 'dir');
  return dir;
}

async function bundleFunction(entry: string, dir: string, banner: string): Promise<Bundle> {
  const name = basename(entry, '.ts');
  const file = join(dir, `${name}.mjs`);
  const common = {
    entryPoints: [entry],
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: banner },
    logLevel: 'silent' as const,
  };
  const built = await build({
    ...common,
    outfile: file,
    sourcemap: true,
    sourcesContent: false,
    external: ['pg-native', '@aws-sdk/*'],
    metafile: true,
  });
  const withSdk = join(dir, `${name}.with-sdk.mjs`);
  await build({ ...common, outfile: withSdk, external: ['pg-native'] });
  return {
    name,
    file,
    fileWithSdk: withSdk,
    bytes: (await stat(file)).size,
    bytesWithSdk: (await stat(withSdk)).size,
    topInputs: topPackages(built.metafile),
  };
}

/** Bytes in the output by package (`project` for this repository's own files), largest first, top 6. */
export function topPackages(metafile: Metafile): Record<string, number> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'project';
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6));
}

interface ImportTimes {
  readonly importMsMedian: number;
  readonly readyMsMedian: number;
  readonly runs: number;
}

async function importTimes(url: string, runs: number): Promise<ImportTimes> {
  const imports: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < runs; i++) {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      AWS_REGION: 'us-east-1',
      BENCH_BUNDLE: url,
    };
    const { stdout } = await exec(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', CHILD], {
      env,
      cwd: ROOT,
      timeout: 30_000,
    });
    const parsed = JSON.parse(stdout.trim()) as { importMs: number; readyMs: number };
    imports.push(parsed.importMs);
    ready.push(parsed.readyMs);
  }
  return { importMsMedian: round(quantile(imports, 0.5), 1), readyMsMedian: round(quantile(ready, 0.5), 1), runs };
}

function addFunction(
  result: BenchResult,
  bundle: Bundle,
  times: ImportTimes,
  withSdk: ImportTimes,
  baseline: ImportTimes,
): void {
  const section = 'cold start';
  const where = `node ${process.versions.node}`;
  result.figures.push(
    {
      section,
      measure: `${bundle.name}: bundle size`,
      where: '-',
      value: bundle.bytes / 1000,
      unit: 'kB',
      goal: { op: '<=', value: BUNDLE_GOAL_KB },
      note: `AWS SDK external; ${round(bundle.bytesWithSdk / 1000, 0)} kB with it bundled`,
    },
    {
      section,
      measure: `${bundle.name}: module init (import)`,
      where,
      value: times.importMsMedian,
      unit: 'ms',
      note: `median of ${times.runs}; start → ready ${times.readyMsMedian} ms (bare node ${baseline.readyMsMedian}); SDK bundled: ${withSdk.importMsMedian} ms`,
    },
  );
  result.metrics[`coldstart.${bundle.name}.kb`] = bundle.bytes / 1000;
  result.metrics[`coldstart.${bundle.name}.import_ms`] = times.importMsMedian;
  result.details[bundle.name] = {
    bytes: bundle.bytes,
    bytes_with_aws_sdk_bundled: bundle.bytesWithSdk,
    top_packages_bytes: bundle.topInputs,
    ...times,
    with_aws_sdk_bundled: withSdk,
  };
}
