import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { footprint, functionBundles, mustRun, run } from './support.js';

/**
 * The package as a team gets it: `npm pack`, then installed from the tarball into projects in the temporary directory,
 * which see nothing of this repository's node_modules (the registry, through npm's cache, supplies the rest). A worker
 * project with the package alone; the same with the CLI's optional peers; and the project `tasker init` writes, with the
 * CDK. Outside CI an unreachable registry skips this file; in CI it fails it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
};
const INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const CLI_PEERS = ['@electric-sql/pglite', '@electric-sql/pglite-socket', 'tsx'].map(
  (name) => `${name}@${OWN.peerDependencies[name]}`,
);
const MINUTES = 60_000;

const reachable = (await run('npm', ['ping'], tmpdir(), 30_000)).code === 0;
if (!reachable && process.env.CI) throw new Error('npm cannot reach the registry, which the package test needs');
if (!reachable) console.warn('package test skipped: npm cannot reach the registry');

/** A script printing, for each module, the type of each export it names. */
const importsScript = (modules: Record<string, readonly string[]>) => `
const out = {};
for (const [name, exports] of Object.entries(${JSON.stringify(modules)})) {
  const m = await import(name);
  out[name] = Object.fromEntries(exports.map((e) => [e, typeof m[e]]));
}
console.log(JSON.stringify(out));`;

const typesOf = (modules: Record<string, readonly string[]>) =>
  Object.fromEntries(
    Object.entries(modules).map(([name, exports]) => [name, Object.fromEntries(exports.map((e) => [e, 'function']))]),
  );

const ECHO_TEMPLATE = `namespace_name: demo
name: echo
version: "1.0.0"
steps:
  - name: echo
    handler: { callable: demo.echo }
`;
const JS_HANDLERS = "export default { 'demo.echo': async ({ context }) => ({ echoed: context.word }) };\n";
const TS_HANDLERS = `import type { HandlerMap } from 'tasker-serverless/handler';

const shout = (word: unknown): string => String(word).toUpperCase();
const handlers: HandlerMap = { 'demo.echo': async ({ context }) => ({ echoed: shout(context.word) }) };
export default handlers;
`;

/** Uses the public API of every entry; the @ts-expect-error lines prove the types are real, not \`any\`. */
const CONSUMER = `import { Duration, type Stack } from 'aws-cdk-lib';
import { createTask, RetryableError, type DomainEventEnvelope, type StepExecutionResult, type TaskTemplate } from 'tasker-serverless';
import { TaskerEngine, TaskerEnginePropsError, type TaskerEngineProps } from 'tasker-serverless/cdk';
import { createStepHandlerLambda, PermanentError, type HandlerMap, type StepHandler } from 'tasker-serverless/handler';
import { startEmbeddedRuntime, type TaskView } from 'tasker-serverless/local';

const charge: StepHandler = async ({ context, signal, attempt }) => {
  if (signal.aborted) throw new RetryableError('late', { retryAfterMs: 1_000 });
  if (attempt > 2) throw new PermanentError('declined');
  return { amount: context.amount };
};
const handlers: HandlerMap = { 'billing.charge': charge };
export const handler = createStepHandlerLambda(handlers);
export const props: TaskerEngineProps = {
  database: { kind: 'rds' },
  functionEntries: { stepHandler: 'src/step-handler.ts' },
  workerPools: { billing: { kind: 'lambda', maxConcurrentHandlers: 5, handlerTimeout: Duration.seconds(60) } },
};
export const engineIn = (stack: Stack): TaskerEngine => new TaskerEngine(stack, 'Tasker', props);
export const refused = (e: unknown): readonly string[] => (e instanceof TaskerEnginePropsError ? e.problems : []);
export async function stateOf(template: TaskTemplate): Promise<TaskView['state']> {
  const runtime = await startEmbeddedRuntime({ templates: [template], handlers, databaseUrl: null });
  const created = await runtime.createTask({ namespace: template.namespace, name: template.name, context: {} });
  const state = created.ok ? (await runtime.waitForTask(created.taskUuid)).state : 'error';
  await runtime.stop();
  return state;
}
export type Seen = StepExecutionResult['status'] | DomainEventEnvelope['event_name'];
export const createsTasks: typeof createTask = createTask;
// @ts-expect-error a handler is a function
export const notAHandler: HandlerMap = { 'billing.charge': 42 };
// @ts-expect-error the database is required
export const noDatabase: TaskerEngineProps = {};
`;

describe.skipIf(!reachable)('the package, packed and installed from its tarball', () => {
  const work = mkdtempSync(join(tmpdir(), 'tasker-package-'));
  const worker = join(work, 'worker');
  const starter = join(work, 'hello-tasker');
  const tasker = join(worker, 'node_modules', '.bin', 'tasker');
  const started = performance.now();
  let tarball = '';
  afterAll(() => {
    console.info(`package test: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    rmSync(work, { recursive: true, force: true });
  });

  it('holds the compiled JavaScript, its declarations and what runs: no sources, tests or CI scripts', {
    timeout: 5 * MINUTES,
  }, async () => {
    const packed = await mustRun('npm', ['pack', '--json', '--pack-destination', work], ROOT, 5 * MINUTES);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      entryCount: number;
      files: { path: string }[];
    }[];
    tarball = join(work, info!.filename);
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'lib/cli/tasker.mjs',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/index.js.map',
        'dist/lib/handler.js',
        'dist/lib/handler.d.ts',
        'dist/lib/local.js',
        'dist/cdk/index.js',
        'dist/cdk/index.d.ts',
        'dist/functions/completion.js',
        'dist/functions/sweeper.js',
        'dist/functions/migrate.js',
        'dist/functions/ingress.js',
        'dist/lib/adapters/postgres/migrations/000001_schema.sql',
        'dist/lib/cli/main.js',
        'dist/examples/starter/templates/hello.yaml',
        'dist/examples/starter/gitignore',
      ]),
    );
    expect(
      files.filter(
        (f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json', 'lib/cli/tasker.mjs'].includes(f),
      ),
    ).toEqual([]);
    expect(
      files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('dist/examples/starter/')),
    ).toEqual([]);
    expect(
      files.filter(
        (f) =>
          f.startsWith('dist/functions/step-handler') ||
          (f.includes('examples/') && !f.startsWith('dist/examples/starter/')) ||
          f.startsWith('dist/test/'),
      ),
    ).toEqual([]);
    console.info(
      `tarball: ${(info!.size / 1000).toFixed(0)} kB, ${info!.entryCount} files, ${(info!.unpackedSize / 1e6).toFixed(1)} MB unpacked`,
    );
  });

  it('installs for workers alone without PGlite, tsx, esbuild or the CDK: plain node imports . and ./handler, the bin asks for tsx for TypeScript handlers', {
    timeout: 5 * MINUTES,
  }, async () => {
    mkdirSync(worker);
    writeFileSync(join(worker, 'package.json'), JSON.stringify({ name: 'worker', private: true, type: 'module' }));
    await mustRun('npm', [...INSTALL, tarball], worker, 5 * MINUTES);
    const installed = (name: string) =>
      run('node', ['--input-type=module', '-e', `import.meta.resolve(${JSON.stringify(name)})`], worker).then(
        (r) => r.code === 0,
      );
    for (const absent of ['@electric-sql/pglite', 'tsx', 'esbuild', 'aws-cdk-lib', 'constructs'])
      expect(await installed(absent), absent).toBe(false);
    const modules = {
      'tasker-serverless': ['createStepHandlerLambda', 'createCompletionLambda', 'createTask', 'PermanentError'],
      'tasker-serverless/handler': ['createStepHandlerLambda', 'RetryableError', 'HandlerTimeoutError'],
    };
    const imported = await mustRun('node', ['--input-type=module', '-e', importsScript(modules)], worker);
    expect(JSON.parse(imported.stdout)).toEqual(typesOf(modules));
    writeFileSync(join(worker, 'handlers.ts'), TS_HANDLERS);
    const withoutTsx = await run(tasker, ['run', 'demo/echo', '--templates', '.', '--handlers', 'handlers.ts'], worker);
    expect([withoutTsx.code, withoutTsx.stderr]).toEqual([
      2,
      'tasker: handlers.ts is TypeScript: install tsx to load it (npm install --save-dev tsx), or pass the compiled JavaScript\n',
    ]);
    const { packages, megabytes } = footprint(worker);
    console.info(`install, workers alone: ${packages} packages, ${megabytes} MB`);
  });

  it("runs `tasker run` with JavaScript and TypeScript handlers once the CLI's peers are installed", {
    timeout: 5 * MINUTES,
  }, async () => {
    await mustRun('npm', [...INSTALL, ...CLI_PEERS], worker, 5 * MINUTES);
    mkdirSync(join(worker, 'templates'));
    writeFileSync(join(worker, 'templates', 'echo.yaml'), ECHO_TEMPLATE);
    writeFileSync(join(worker, 'handlers.mjs'), JS_HANDLERS);
    for (const [handlers, echoed] of [
      ['handlers.mjs', 'hi'],
      ['handlers.ts', 'HI'],
    ] as const) {
      const ran = await mustRun(
        tasker,
        [
          'run',
          'demo/echo',
          '--templates',
          'templates',
          '--handlers',
          handlers,
          '--context',
          '{"word":"hi"}',
          '--json',
        ],
        worker,
      );
      const report = JSON.parse(ran.stdout) as { task: { state: string }; steps: { result: unknown }[] };
      expect(report.task.state, handlers).toBe('complete');
      expect(report.steps[0]!.result).toEqual({ echoed });
    }
    const help = [
      await mustRun(tasker, ['--help'], worker),
      await mustRun(tasker, ['--help'], worker),
      await mustRun(tasker, ['--help'], worker),
    ];
    expect(help[0]!.stdout).toContain('Usage: tasker');
    const { packages, megabytes } = footprint(worker);
    console.info(
      `install, CLI and local runtime: ${packages} packages, ${megabytes} MB; tasker --help in ${Math.min(...help.map((h) => h.ms)).toFixed(0)} ms (best of 3)`,
    );
  });

  it('writes a starter with `tasker init` that passes its tests, type-checks strictly and synthesizes', {
    timeout: 8 * MINUTES,
  }, async () => {
    await mustRun(tasker, ['init', starter], worker);
    const pkg = JSON.parse(readFileSync(join(starter, 'package.json'), 'utf8'));
    pkg.dependencies['tasker-serverless'] = `file:${tarball}`;
    writeFileSync(join(starter, 'package.json'), JSON.stringify(pkg, null, 2));
    await mustRun('npm', INSTALL, starter, 5 * MINUTES);
    await mustRun('npm', ['test'], starter);
    writeFileSync(join(starter, 'src', 'consumer.ts'), CONSUMER);
    await mustRun(
      'npx',
      ['tsc', '--noEmit', '-p', 'tsconfig.json', '--strict', '--exactOptionalPropertyTypes', '--skipLibCheck'],
      starter,
    );
    const modules = { 'tasker-serverless/cdk': ['TaskerEngine'], 'tasker-serverless/local': ['startEmbeddedRuntime'] };
    expect(
      JSON.parse((await mustRun('node', ['--input-type=module', '-e', importsScript(modules)], starter)).stdout),
    ).toEqual(typesOf(modules));
    const synth = await mustRun('npx', ['cdk', 'synth', '--quiet', '--no-notices'], starter, 5 * MINUTES);
    expect(`${synth.stdout}${synth.stderr}`).not.toContain('cannot check the callables');
    const { packages, megabytes } = footprint(starter);
    console.info(
      `install, the starter (CLI, local runtime, CDK, vitest, TypeScript): ${packages} packages, ${megabytes} MB`,
    );
  });

  it("deploys the user's step handlers, from the light entry: their callables, no example ones, no pg, yaml or PGlite", () => {
    const stepHandler = functionBundles(join(starter, 'cdk.out'), 'HelloTasker').find((b) =>
      b.description.startsWith('tasker step handler'),
    )!;
    expect(stepHandler.code).toContain('greetings.compose');
    expect(stepHandler.code).toContain('greetings.shout');
    expect(stepHandler.code).not.toContain('ecommerce.');
    expect(stepHandler.packages).toContain('tasker-serverless');
    expect(stepHandler.packages.filter((p) => ['pg', 'pg-pool', 'yaml', '@electric-sql/pglite'].includes(p))).toEqual(
      [],
    );
    console.info(
      `step-handler bundle: ${(stepHandler.code.length / 1000).toFixed(0)} kB (minified, AWS SDK left to the runtime)`,
    );
  });

  it('refuses at synth a template naming a callable the step handler does not define', {
    timeout: 5 * MINUTES,
  }, async () => {
    writeFileSync(
      join(starter, 'templates', 'wave.yaml'),
      ECHO_TEMPLATE.replace('demo', 'greetings').replace('demo.echo', 'greetings.wave'),
    );
    const synth = await run('npx', ['cdk', 'synth', '--quiet', '--no-notices'], starter, 5 * MINUTES);
    expect(synth.code).not.toBe(0);
    expect(synth.stderr).toContain(
      "does not define callable 'greetings.wave', which step greetings/echo@1.0.0 echo names; it defines: greetings.compose, greetings.shout",
    );
  });
});
