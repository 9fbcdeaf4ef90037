import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../lib/cli/cli-io.js';
import { runCli } from '../../../lib/cli/main.js';
import { packageNameOf } from '../../../lib/cli/starter-package.js';

/** `tasker init` in this process; that the project it writes passes its own tests and synth is test/package's to prove. */

const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function workspace(): CliIo & { stdout: Capture; stderr: Capture } {
  const cwd = mkdtempSync(join(tmpdir(), 'tasker-init-'));
  dirs.push(cwd);
  return { stdout: new Capture(), stderr: new Capture(), env: {}, cwd };
}

const filesUnder = (dir: string, prefix = ''): string[] =>
  readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();

describe('tasker init', () => {
  it('writes the starter: a template, TypeScript handlers and their Lambda entry, a test, a CDK app', async () => {
    const io = workspace();
    expect(await runCli(['node', 'tasker', 'init', 'Hello Tasker'], io)).toBe(0);
    const project = join(io.cwd, 'Hello Tasker');
    expect(filesUnder(project)).toEqual([
      '.gitignore',
      'README.md',
      'cdk.json',
      'infra/app.ts',
      'package.json',
      'src/handlers.ts',
      'src/step-handler.ts',
      'templates/hello.yaml',
      'test/hello.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
    ]);
    expect(io.stdout.text).toBe(
      `tasker init: wrote a tasker-serverless ${own.version} project to Hello Tasker\nnext: cd Hello Tasker && npm install && npm test && npx cdk synth\n`,
    );
  });

  it('writes a package.json depending on this version, with the tools at the versions this package is built with', async () => {
    const io = workspace();
    await runCli(['node', 'tasker', 'init', 'app'], io);
    const pkg = JSON.parse(readFileSync(join(io.cwd, 'app', 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'app',
      private: true,
      type: 'module',
      dependencies: { 'tasker-serverless': `^${own.version}` },
    });
    expect(pkg.scripts).toMatchObject({ test: 'vitest run', typecheck: 'tsc --noEmit' });
    expect(pkg.devDependencies).toEqual({
      '@electric-sql/pglite': own.peerDependencies['@electric-sql/pglite'],
      '@electric-sql/pglite-socket': own.peerDependencies['@electric-sql/pglite-socket'],
      '@types/node': own.devDependencies['@types/node'],
      'aws-cdk': own.devDependencies['aws-cdk'],
      'aws-cdk-lib': own.peerDependencies['aws-cdk-lib'],
      constructs: own.peerDependencies.constructs,
      esbuild: own.devDependencies.esbuild,
      tsx: own.peerDependencies.tsx,
      typescript: own.devDependencies.typescript,
      vitest: own.devDependencies.vitest,
    });
  });

  it('writes into an empty directory, and refuses one that is not (writing nothing)', async () => {
    const io = workspace();
    mkdirSync(join(io.cwd, 'empty'));
    expect(await runCli(['node', 'tasker', 'init', 'empty'], io)).toBe(0);
    mkdirSync(join(io.cwd, 'taken'));
    writeFileSync(join(io.cwd, 'taken', 'notes.txt'), 'mine');
    expect(await runCli(['node', 'tasker', 'init', 'taken'], io)).toBe(2);
    expect(io.stderr.text).toContain(
      'taken is not empty: tasker init writes a new project into a new or empty directory',
    );
    expect(readdirSync(join(io.cwd, 'taken'))).toEqual(['notes.txt']);
    expect(existsSync(join(io.cwd, 'taken', 'package.json'))).toBe(false);
  });

  it('names the package after the directory, as npm allows', () => {
    expect(packageNameOf('Hello Tasker')).toBe('hello-tasker');
    expect(packageNameOf('.hidden')).toBe('hidden');
    expect(packageNameOf('@@@')).toBe('tasker-project');
  });
});
