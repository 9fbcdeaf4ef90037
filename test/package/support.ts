import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * The environment of a user's shell: PATH without any node_modules/.bin (npm puts the repository's first when it runs the
 * tests), and none of npm's `npm_*` variables, DATABASE_URL, AWS or TASKER settings, so a command in a temporary project
 * sees neither the repository's packages nor the shared PostgreSQL server.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(delimiter);
  const kept = ['HOME', 'USER', 'TMPDIR', 'LANG', 'CI'].flatMap((k) =>
    process.env[k] === undefined ? [] : [[k, process.env[k]]],
  );
  return {
    ...Object.fromEntries(kept),
    PATH: path,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}

/** Runs a command to its end (never throws for its exit code). */
export async function run(command: string, args: readonly string[], cwd: string, timeoutMs = 180_000): Promise<Ran> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await exec(command, [...args], {
      cwd,
      env: userEnv(),
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, ms: performance.now() - started };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
      ms: performance.now() - started,
    };
  }
}

/** Runs a command that must succeed; its output in the failure otherwise. */
export async function mustRun(command: string, args: readonly string[], cwd: string, timeoutMs?: number): Promise<Ran> {
  const ran = await run(command, args, cwd, timeoutMs);
  if (ran.code !== 0)
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/** What `npm install` put in a project: the packages (every copy) and their bytes on disk. */
export function footprint(project: string): { packages: number; megabytes: number } {
  const modules = join(project, 'node_modules');
  let packages = 0;
  let bytes = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) walk(path);
      else {
        bytes += lstatSync(path).size;
        if (entry.name === 'package.json' && isPackageRoot(dir)) packages += 1;
      }
    }
  };
  walk(modules);
  return { packages, megabytes: Math.round(bytes / 1e5) / 10 };
}

/** A directory right under node_modules (or node_modules/@scope): a package's root, not a nested package.json of its own files. */
function isPackageRoot(dir: string): boolean {
  const parts = dir.split('/');
  return parts.at(-2) === 'node_modules' || (parts.at(-3) === 'node_modules' && parts.at(-2)!.startsWith('@'));
}

export interface FunctionBundle {
  readonly description: string;
  readonly code: string;
  /** The packages whose files the bundle's source map names. */
  readonly packages: readonly string[];
}

/** Every bundled Lambda function of a synthesized stack, with its description. */
export function functionBundles(outDir: string, stackName: string): FunctionBundle[] {
  const template = JSON.parse(readFileSync(join(outDir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Metadata?: Record<string, string>; Properties: { Description?: string } }
    >;
  };
  return Object.values(template.Resources).flatMap((r) => {
    const asset = r.Type === 'AWS::Lambda::Function' ? r.Metadata?.['aws:asset:path'] : undefined;
    const dir = asset === undefined ? undefined : join(outDir, asset);
    if (dir === undefined || !existsSync(join(dir, 'index.mjs'))) return [];
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    const packages = new Set(map.sources.flatMap((s) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(s)?.[1] ?? []));
    return [
      {
        description: r.Properties.Description ?? '',
        code: readFileSync(join(dir, 'index.mjs'), 'utf8'),
        packages: [...packages].sort(),
      },
    ];
  });
}
