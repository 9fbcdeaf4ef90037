import { cpSync, existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { out, type CliIo } from './cli-io.js';
import { CliUsageError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { packageNameOf, starterPackageJson, type OwnPackage } from './starter-package.js';

/** The starter's files: `examples/starter/` of the repository, `dist/examples/starter/` of the package (the build copies it). */
const STARTER_DIR = fileURLToPath(new URL('../../examples/starter', import.meta.url));

/** Registers `tasker init` on the program; `done` receives the command's exit code. */
export function registerInitCommand(program: Command, ctx: { io: CliIo }, done: (code: ExitCode) => void): void {
  program
    .command('init <dir>')
    .description(
      'write a starter project into <dir> (new or empty): a task template, its handlers in TypeScript, a test on the embedded runtime, a CDK app',
    )
    .action(async (dir: string) => done(await initCommand(dir, ctx.io)));
}

/**
 * `tasker init <dir>`: copies the starter into `dir` (which must be new or empty) and writes its package.json, depending
 * on this version of tasker-serverless. The project passes `npm test` and `npx cdk synth` once `npm install` ran.
 */
export async function initCommand(dir: string, io: CliIo): Promise<ExitCode> {
  const target = resolve(io.cwd, dir);
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new CliUsageError(`${dir} is not empty: tasker init writes a new project into a new or empty directory`);
  cpSync(STARTER_DIR, target, { recursive: true });
  // npm leaves .gitignore files out of a package, so the starter's is shipped without its dot.
  renameSync(join(target, 'gitignore'), join(target, '.gitignore'));
  const own = createRequire(import.meta.url)('tasker-serverless/package.json') as OwnPackage;
  writeFileSync(
    join(target, 'package.json'),
    `${JSON.stringify(starterPackageJson(packageNameOf(basename(target)), own), null, 2)}\n`,
  );
  const shown = relative(io.cwd, target) || '.';
  out(io, `tasker init: wrote a tasker-serverless ${own.version} project to ${shown}`);
  out(io, `next: cd ${shown} && npm install && npm test && npx cdk synth`);
  return EXIT.ok;
}
