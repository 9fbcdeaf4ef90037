import { readdirSync, readFileSync } from 'node:fs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { bundlingOptions, ESM_REQUIRE_BANNER } from '../../cdk/bundling.js';
import { optionalEnvKey } from '../../cdk/environment.js';
import { TASKER_RUNTIME } from '../../cdk/tasker-function.js';
import { REPO_ROOT, synthEngine } from './support/synth.js';
import { logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

const { template, engine, stack } = synthEngine({
  stepHandlerEnvironment: { PAYMENTS_API_URL: 'https://payments.example' },
});
const q = engine.queues;
const ours = {
  'step-handler': engine.stepHandler!,
  completion: engine.completionHandler,
  sweeper: engine.sweeper,
  migrate: engine.migrator,
};
const envOf = (fn: lambda.IFunction): Record<string, unknown> =>
  resourceOf(template, fn).Properties.Environment.Variables;
const resolved = (value: string): unknown => stack.resolve(value);

/** The newest nodejsNN.x runtime aws-cdk-lib names. */
function newestNodeRuntime(): string {
  const names = Object.values(lambda.Runtime)
    .filter((r): r is lambda.Runtime => r instanceof lambda.Runtime)
    .map((r) => r.name);
  const versions = names
    .map((n) => /^nodejs(\d+)\.x$/.exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return `nodejs${Math.max(...versions)}.x`;
}

describe.each(Object.entries(ours))('the %s function', (_label, fn) => {
  const props = resourceOf(template, fn).Properties;

  it('runs on the newest Node.js runtime on ARM64', () => {
    expect(props.Runtime).toBe(newestNodeRuntime());
    expect(props.Runtime).toBe(TASKER_RUNTIME.name);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Handler).toBe('index.handler');
  });

  it('logs to its own log group, which has a retention', () => {
    const logGroupId = referencedId(props.LoggingConfig.LogGroup)!;
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]!.Properties.RetentionInDays).toBe(30);
  });

  it("sets only variables named in ENV (plus Node.js's own NODE_OPTIONS and NODE_EXTRA_CA_CERTS)", () => {
    const allowed = new Set<string>([...Object.values(ENV), 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);
    const names = Object.keys(envOf(fn)).filter((n) => fn !== engine.stepHandler! || n !== 'PAYMENTS_API_URL');
    for (const name of names) expect(allowed.has(name), name).toBe(true);
    expect(envOf(fn).NODE_OPTIONS).toBe('--enable-source-maps');
    expect(envOf(fn)[ENV.logLevel]).toBe('info');
  });
});

describe('function environments', () => {
  it('gives the step handler its queues, bus and timing, and no database', () => {
    const env = envOf(engine.stepHandler!);
    expect(Object.keys(env).sort()).toEqual(
      [
        ENV.completionQueueUrl,
        ENV.poisonQueueUrl,
        ENV.domainEventDlqUrl,
        ENV.eventBusName,
        ENV.handlerTimeoutMs,
        ENV.safetyMarginMs,
        ENV.maxConcurrentHandlers,
        ENV.completionTimeoutMs,
        ENV.logLevel,
        'NODE_OPTIONS',
        'PAYMENTS_API_URL',
      ].sort(),
    );
    expect(env[ENV.completionQueueUrl]).toEqual(resolved(q.completion.queue.queueUrl));
    expect(env[ENV.poisonQueueUrl]).toEqual(resolved(q.poison.queue.queueUrl));
    expect(env[ENV.domainEventDlqUrl]).toEqual(resolved(q.domainEventDlq.queue.queueUrl));
    expect(env[ENV.eventBusName]).toEqual(resolved(engine.events.bus.eventBusName));
    expect(resourceOf(template, engine.stepHandler!).Properties.VpcConfig).toBeUndefined();
  });

  it("gives completion and sweeper the database secret (the runtime login's), the queues they send to and the bus, inside the VPC", () => {
    for (const fn of [engine.completionHandler, engine.sweeper]) {
      const env = envOf(fn);
      expect(env[ENV.databaseSecretArn]).toEqual(resolved(engine.database.runtimeSecret.secretArn));
      expect(env[ENV.dispatchQueueUrl]).toEqual(resolved(q.dispatch!.queue.queueUrl));
      expect(env[ENV.completionQueueUrl]).toEqual(resolved(q.completion.queue.queueUrl));
      expect(env[ENV.eventBusName]).toEqual(resolved(engine.events.bus.eventBusName));
      expect(resourceOf(template, fn).Properties.VpcConfig.SubnetIds.length).toBe(2);
    }
    expect(envOf(engine.completionHandler)[ENV.poisonQueueUrl]).toEqual(resolved(q.poison.queue.queueUrl));
  });

  it("gives the migration function the database (the owner's secret, and the runtime login's to create) and nothing else", () => {
    expect(Object.keys(envOf(engine.migrator)).sort()).toEqual(
      [
        ENV.databaseSecretArn,
        ENV.databaseRuntimeSecretArn,
        ENV.logLevel,
        'NODE_OPTIONS',
        'NODE_EXTRA_CA_CERTS',
        ...(optionalEnvKey('databaseHost') ? [ENV[optionalEnvKey('databaseHost')!]] : []),
      ].sort(),
    );
  });

  it('makes the database functions trust the RDS certificate authorities (Node.js 20+ runtimes do not by default)', () => {
    for (const fn of [engine.completionHandler, engine.sweeper, engine.migrator])
      expect(envOf(fn).NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
    expect(envOf(engine.stepHandler!).NODE_EXTRA_CA_CERTS).toBeUndefined();
  });

  it('passes the namespace queues as a JSON map to the functions that dispatch', () => {
    const ns = synthEngine({ maxConcurrentHandlers: 6, namespaceQueues: ['billing'] });
    const value = resourceOf(ns.template, ns.engine.completionHandler).Properties.Environment.Variables[
      ENV.namespaceQueueUrls
    ];
    expect(JSON.stringify(value)).toContain(logicalIdOf(ns.engine.queues.namespaceDispatch.get('billing')!.queue));
    expect(JSON.stringify(value)).toContain('billing');
  });

  it('never retypes a variable name in cdk/: they all come from ENV', () => {
    const names = Object.values(ENV);
    for (const file of readdirSync(`${REPO_ROOT}cdk`).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(`${REPO_ROOT}cdk/${file}`, 'utf8');
      for (const name of names)
        expect(
          source.includes(`'${name}'`) || source.includes(`"${name}"`) || source.includes(`\`${name}\``),
          `${file} spells ${name}`,
        ).toBe(false);
    }
  });
});

describe('bundling', () => {
  it('bundles ESM with source maps, minified, with require defined, pg-native and the runtime SDK left out', () => {
    const options = bundlingOptions(false);
    expect(options).toMatchObject({
      format: nodejs.OutputFormat.ESM,
      mainFields: ['module', 'main'],
      sourceMap: true,
      minify: true,
    });
    expect(options.externalModules).toEqual(['pg-native', '@aws-sdk/*']);
    expect(options.banner).toBe(ESM_REQUIRE_BANNER);
    expect(ESM_REQUIRE_BANNER).toContain('const require = __taskerCreateRequire(import.meta.url);');
  });

  it('bundles the SDK when asked', () => {
    expect(bundlingOptions(true).externalModules).toEqual(['pg-native']);
    expect(bundlingOptions(true).bundleAwsSDK).toBe(true);
  });
});
