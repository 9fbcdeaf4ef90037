import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'tasker-serverless';

/**
 * The version in tasker-serverless's package.json: the first package.json of that name above this
 * file (lib/cli in the source tree, or wherever a build puts it). `unknown` when none is found.
 *
 * @example
 * ```ts
 * program.version(packageVersion());
 * ```
 */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const version = versionIn(join(dir, 'package.json'));
    if (version !== undefined) return version;
    if (dirname(dir) === dir) return 'unknown';
  }
}

function versionIn(file: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === PACKAGE_NAME && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
