/** What `tasker init` reads of tasker-serverless's own package.json. */
export interface OwnPackage {
  readonly name: string;
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** The starter's development tools: the optional peers it uses (embedded runtime, CDK, TypeScript loader) and the rest. */
const FROM_PEERS = ['@electric-sql/pglite', '@electric-sql/pglite-socket', 'aws-cdk-lib', 'constructs', 'tsx'] as const;
const FROM_DEV = ['@types/node', 'aws-cdk', 'esbuild', 'typescript', 'vitest'] as const;

/**
 * The starter project's package.json: tasker-serverless at this version, and the tools its test, its CDK app and `tasker
 * run` need, at the versions tasker-serverless is built and tested with.
 *
 * @example
 * ```ts
 * starterPackageJson('hello-tasker', own).dependencies // { 'tasker-serverless': '^0.1.0' }
 * ```
 */
export function starterPackageJson(name: string, own: OwnPackage) {
  const pick = (names: readonly string[], from: Readonly<Record<string, string>>) =>
    names.map((n) => [n, from[n] ?? 'latest'] as const);
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { test: 'vitest run', typecheck: 'tsc --noEmit', synth: 'cdk synth', deploy: 'cdk deploy' },
    dependencies: { [own.name]: `^${own.version}` },
    devDependencies: Object.fromEntries(
      [...pick(FROM_PEERS, own.peerDependencies), ...pick(FROM_DEV, own.devDependencies)].sort(([a], [b]) =>
        a.localeCompare(b),
      ),
    ),
  };
}

/** A valid npm package name from a directory's name: lower case, anything else than letters, digits, `-`, `.`, `_` a `-`. */
export function packageNameOf(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name.length > 0 ? name.slice(0, 214) : 'tasker-project';
}
