import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { resolveTaskerProps } from '../../cdk/resolve-engine-props.js';
import type { TaskerEngineProps } from '../../cdk/tasker-engine-props.js';
import { problemsOf } from './support/problems.js';
import { defaultPoolOf, entryProps, synthEngine } from './support/synth.js';
import { resourceOf } from './support/template-queries.js';

const CUSTOM_ENTRY = fileURLToPath(new URL('./fixtures/custom-step-handler.ts', import.meta.url));
const resolve = (props: Partial<TaskerEngineProps>) =>
  resolveTaskerProps({ database: { kind: 'rds' }, ...entryProps(), ...props });
const templateOf = (props: Partial<TaskerEngineProps>) => synthEngine(props).template.toJSON();

describe('the default pool, shaped like any Lambda pool', () => {
  it('takes its own settings over the Lambda pool defaults, which the worker pools take too', () => {
    const s = resolve({
      lambdaPoolDefaults: {
        handlerTimeout: Duration.seconds(45),
        environment: { SHARED_URL: 'https://shared.example' },
      },
      defaultPool: {
        kind: 'lambda',
        maxConcurrentHandlers: 20,
        memorySize: 1024,
        environment: { OWN_URL: 'https://own.example' },
      },
      workerPools: { a: { kind: 'lambda' } },
    });
    const pool = defaultPoolOf(s);
    expect([
      pool.maxConcurrentHandlers,
      pool.handlerTimeout.toSeconds(),
      pool.memorySize,
      pool.visibilityTimeout.toSeconds(),
    ]).toEqual([20, 45, 1024, 270]);
    expect(pool.environment).toEqual({ SHARED_URL: 'https://shared.example', OWN_URL: 'https://own.example' });
    expect(s.workerPools).toMatchObject([
      {
        namespace: 'a',
        maxConcurrentHandlers: 10,
        memorySize: 512,
        environment: { SHARED_URL: 'https://shared.example' },
      },
    ]);
    expect(s.workerPools[0]!.handlerTimeout.toSeconds()).toBe(45);
  });

  it('runs the step-handler entry of functionEntries, unless it brings its own', () => {
    expect(
      defaultPoolOf(resolve({ functionEntries: { ...entryProps().functionEntries, stepHandler: CUSTOM_ENTRY } })).entry,
    ).toBe(CUSTOM_ENTRY);
    expect(defaultPoolOf(resolve({ defaultPool: { kind: 'lambda', entry: CUSTOM_ENTRY } })).entry).toBe(CUSTOM_ENTRY);
    expect(resolve({ defaultPool: { kind: 'lambda', entry: CUSTOM_ENTRY } }).entries.stepHandler).toBe(
      entryProps().functionEntries!.stepHandler,
    );
  });

  it('is left out by false, and by worker pools unless given', () => {
    expect(resolve({ defaultPool: false, workerPools: { r: { kind: 'pull' } } }).defaultPool).toBe(false);
    expect(resolve({ workerPools: { r: { kind: 'pull' } } }).defaultPool).toBe(false);
    expect(
      defaultPoolOf(resolve({ defaultPool: { kind: 'lambda' }, workerPools: { r: { kind: 'pull' } } }))
        .maxConcurrentHandlers,
    ).toBe(10);
  });

  it('tells completion and sweeper its timing, or without it the Lambda pool defaults', () => {
    const timing = (props: Partial<TaskerEngineProps>) => {
      const { template, engine } = synthEngine(props);
      return [engine.completionHandler, engine.sweeper].map(
        (fn) => resourceOf(template, fn).Properties.Environment.Variables[ENV.handlerTimeoutMs],
      );
    };
    expect(
      timing({
        lambdaPoolDefaults: { handlerTimeout: Duration.seconds(40) },
        defaultPool: { kind: 'lambda', handlerTimeout: Duration.seconds(60) },
      }),
    ).toEqual(['60000', '60000']);
    expect(
      timing({ lambdaPoolDefaults: { handlerTimeout: Duration.seconds(40) }, workerPools: { r: { kind: 'pull' } } }),
    ).toEqual(['40000', '40000']);
  });
});

describe('the current props build what the deprecated ones did', () => {
  it('defaultPool settings = the engine-level settings (one default pool)', () => {
    const deprecated = {
      maxConcurrentHandlers: 25,
      dispatchBatchSize: 3,
      handlerTimeout: Duration.seconds(60),
      dispatchVisibilityTimeout: Duration.seconds(400),
      stepHandlerMemorySize: 1024,
      stepHandlerEnvironment: { API_URL: 'https://api.example' },
    };
    const current = {
      defaultPool: {
        kind: 'lambda',
        maxConcurrentHandlers: 25,
        dispatchBatchSize: 3,
        handlerTimeout: Duration.seconds(60),
        visibilityTimeout: Duration.seconds(400),
        memorySize: 1024,
        environment: { API_URL: 'https://api.example' },
      },
    } as const;
    expect(templateOf(current)).toEqual(templateOf(deprecated));
  });

  it('lambdaPoolDefaults = the engine-level settings (worker pools fill in from them)', () => {
    const pools = { workerPools: { a: { kind: 'lambda' }, b: { kind: 'pull' } } } as const;
    const deprecated = {
      ...pools,
      handlerTimeout: Duration.seconds(45),
      deadlineSafetyMargin: Duration.seconds(3),
      maxConcurrentHandlers: 6,
    };
    const current = {
      ...pools,
      lambdaPoolDefaults: {
        handlerTimeout: Duration.seconds(45),
        deadlineSafetyMargin: Duration.seconds(3),
        maxConcurrentHandlers: 6,
      },
    };
    expect(templateOf(current)).toEqual(templateOf(deprecated));
  });

  it("functionEntries.stepHandler = stepHandlerEntry, and defaultPool: { kind: 'lambda' } = defaultPool: true", () => {
    const others = { ...entryProps().functionEntries, stepHandler: undefined };
    const current = {
      functionEntries: { ...others, stepHandler: CUSTOM_ENTRY },
      defaultPool: { kind: 'lambda' },
      workerPools: { r: { kind: 'pull' } },
    } as const;
    const deprecated = {
      functionEntries: others,
      stepHandlerEntry: CUSTOM_ENTRY,
      defaultPool: true,
      workerPools: { r: { kind: 'pull' } },
    } as const;
    expect(templateOf(current)).toEqual(templateOf(deprecated));
  });
});

describe('validation of the current props', () => {
  it('names a problem of the default pool defaultPool.<setting>', () => {
    expect(problemsOf({ defaultPool: { kind: 'lambda', maxConcurrentHandlers: 1 } })).toEqual([
      'defaultPool.maxConcurrentHandlers must be an integer from 2 to 1000 (the SQS event source maxConcurrency minimum is 2) (got 1)',
    ]);
    expect(
      problemsOf({
        defaultPool: { kind: 'lambda', handlerTimeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(300) },
      }),
    ).toEqual([
      'defaultPool.handlerTimeout (60 s) is too long for defaultPool.visibilityTimeout (300 s): the visibility timeout must be at least 6 x the function timeout + the batching window = 360 s',
    ]);
    expect(
      problemsOf({
        defaultPool: { kind: 'lambda', entry: '/nowhere/h.ts', environment: { TASKER_EVENT_BUS_NAME: 'x' } },
      }),
    ).toEqual([
      "defaultPool.environment must not set the engine's own variables: TASKER_EVENT_BUS_NAME",
      'defaultPool.entry file not found: /nowhere/h.ts',
    ]);
  });

  it('refuses a default pool that is not a Lambda pool', () => {
    expect(problemsOf({ defaultPool: { kind: 'pull' } as never })).toEqual([
      'defaultPool.kind must be \'lambda\': the default pool runs on Lambda (got "pull")',
    ]);
    expect(problemsOf({ defaultPool: 'yes' as never })).toEqual([
      'defaultPool must be { kind: \'lambda\', ... } or false (got "yes")',
    ]);
  });

  it('names a problem of the defaults lambdaPoolDefaults.<setting>', () => {
    expect(problemsOf({ lambdaPoolDefaults: { handlerTimeout: Duration.seconds(2) } })).toEqual([
      'lambdaPoolDefaults.deadlineSafetyMargin (2000 ms) must be less than lambdaPoolDefaults.handlerTimeout (2000 ms)',
    ]);
    expect(problemsOf({ lambdaPoolDefaults: { memorySize: 64, dispatchBatchSize: 11 } })).toEqual([
      'lambdaPoolDefaults.dispatchBatchSize must be an integer from 1 to 10 (got 11)',
      'lambdaPoolDefaults.memorySize must be an integer from 128 to 10240 (got 64)',
    ]);
    expect(problemsOf({ lambdaPoolDefaults: { environment: { NODE_OPTIONS: 'x' } } })).toEqual([
      "lambdaPoolDefaults.environment must not set the engine's own variables: NODE_OPTIONS",
    ]);
  });
});
