import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readAppSettings } from '../../cdk/app-settings.js';
import { deprecationsOf } from '../../cdk/deprecated-props.js';
import { TaskerStack } from '../../cdk/tasker-stack.js';
import type { TaskerEngineProps } from '../../cdk/tasker-engine-props.js';
import { contextOf } from './support/app-context.js';
import { problemsOf } from './support/problems.js';
import { entryProps, synthEngine, testApp } from './support/synth.js';

const RDS = { kind: 'rds' } as const;
const DEPRECATED: Omit<TaskerEngineProps, 'database'> = {
  maxConcurrentHandlers: 12,
  handlerTimeout: Duration.seconds(40),
  deadlineSafetyMargin: Duration.seconds(3),
  dispatchBatchSize: 2,
  maxBatchingWindow: Duration.seconds(1),
  stepHandlerMemorySize: 1024,
  stepHandlerEnvironment: { API_URL: 'https://api.example' },
  dispatchVisibilityTimeout: Duration.seconds(300),
  stepHandlerEntry: entryProps().functionEntries!.stepHandler!,
  namespaceQueues: ['billing'],
  defaultPool: true,
};
const stackWarnings = (stack: Parameters<typeof Annotations.fromStack>[0]) =>
  Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('is deprecated'))
    .map((w) => String(w.entry.data));

describe('deprecated props', () => {
  it('are each named, with what to write instead', () => {
    const deprecations = deprecationsOf({ database: RDS, ...DEPRECATED });
    expect(deprecations.map((d) => d.prop).sort()).toEqual(Object.keys(DEPRECATED).sort());
    const byProp = new Map(deprecations.map((d) => [d.prop, d.message]));
    expect(byProp.get('stepHandlerMemorySize')).toBe(
      "stepHandlerMemorySize is deprecated: set lambdaPoolDefaults.memorySize (every Lambda pool) or defaultPool: { kind: 'lambda', memorySize } (the default pool only)",
    );
    expect(byProp.get('dispatchVisibilityTimeout')).toContain("defaultPool: { kind: 'lambda', visibilityTimeout }");
    expect(byProp.get('stepHandlerEntry')).toContain('functionEntries.stepHandler');
    expect(byProp.get('namespaceQueues')).toContain("workerPools: { billing: { kind: 'lambda' } }");
    expect(byProp.get('defaultPool')).toContain("defaultPool: { kind: 'lambda' }");
  });

  it('are none in the current props, and defaultPool: false is not one', () => {
    const current: TaskerEngineProps = {
      database: RDS,
      defaultPool: { kind: 'lambda', maxConcurrentHandlers: 12, visibilityTimeout: Duration.seconds(300) },
      lambdaPoolDefaults: {
        handlerTimeout: Duration.seconds(40),
        memorySize: 1024,
        environment: { API_URL: 'https://api.example' },
      },
      functionEntries: entryProps().functionEntries,
      workerPools: { billing: { kind: 'lambda' } },
    };
    expect(deprecationsOf(current)).toEqual([]);
    expect(deprecationsOf({ database: RDS, defaultPool: false, workerPools: { r: { kind: 'pull' } } })).toEqual([]);
  });

  it('warn at synth time, one warning each, and still build', () => {
    const { functionEntries, ...rest } = entryProps();
    const { stack, engine } = synthEngine({
      ...rest,
      functionEntries: { ...functionEntries, stepHandler: undefined },
      ...DEPRECATED,
    });
    expect(stackWarnings(stack)).toHaveLength(Object.keys(DEPRECATED).length);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('^namespaceQueues is deprecated'));
    expect([...engine.queues.namespaceDispatch.keys()]).toEqual(['billing']);
    expect(stackWarnings(synthEngine({ defaultPool: { kind: 'lambda', maxConcurrentHandlers: 4 } }).stack)).toEqual([]);
  });

  it('are not used by the app for its flat context keys; only -c namespaceQueues warns', () => {
    const appStack = (context: Record<string, unknown>) => {
      const settings = readAppSettings(contextOf(context));
      return new TaskerStack(testApp(), settings.stackName, {
        settings: { ...settings, engine: { ...settings.engine, ...entryProps() } },
      });
    };
    expect(
      stackWarnings(
        appStack({
          maxConcurrentHandlers: '4',
          handlerTimeoutSeconds: '60',
          deadlineSafetyMarginMs: '1500',
          dispatchBatchSize: '2',
          defaultPool: 'true',
        }),
      ),
    ).toEqual([]);
    expect(stackWarnings(appStack({ maxConcurrentHandlers: '6', namespaceQueues: 'billing' }))).toEqual([
      expect.stringMatching(/^namespaceQueues is deprecated/),
    ]);
  });
});

describe('deprecated props beside the current ones', () => {
  it('refuses a setting given under both names, naming the one to keep', () => {
    expect(problemsOf({ maxConcurrentHandlers: 5, lambdaPoolDefaults: { maxConcurrentHandlers: 6 } })).toEqual([
      'maxConcurrentHandlers is deprecated and lambdaPoolDefaults.maxConcurrentHandlers is given too: give only lambdaPoolDefaults.maxConcurrentHandlers',
    ]);
    expect(problemsOf({ stepHandlerMemorySize: 1024, lambdaPoolDefaults: { memorySize: 2048 } })[0]).toContain(
      'give only lambdaPoolDefaults.memorySize',
    );
    expect(
      problemsOf({
        dispatchVisibilityTimeout: Duration.seconds(300),
        defaultPool: { kind: 'lambda', visibilityTimeout: Duration.seconds(400) },
      }),
    ).toEqual([
      'dispatchVisibilityTimeout is deprecated and defaultPool.visibilityTimeout is given too: give only defaultPool.visibilityTimeout',
    ]);
    expect(problemsOf({ stepHandlerEntry: entryProps().functionEntries!.stepHandler! })).toEqual([
      'stepHandlerEntry is deprecated and functionEntries.stepHandler is given too: give only functionEntries.stepHandler',
    ]);
  });

  it('keeps the deprecated names in the problems of the deprecated props', () => {
    const { functionEntries } = entryProps();
    expect(
      problemsOf({
        functionEntries: { ...functionEntries, stepHandler: undefined },
        stepHandlerEntry: '/nowhere/handler.ts',
      }),
    ).toEqual(['stepHandler entry file not found: /nowhere/handler.ts']);
    expect(problemsOf({ stepHandlerMemorySize: 64 })).toEqual([
      'stepHandlerMemorySize must be an integer from 128 to 10240 (got 64)',
    ]);
    expect(problemsOf({ handlerTimeout: Duration.seconds(2) })).toEqual([
      'deadlineSafetyMargin (2000 ms) must be less than handlerTimeout (2000 ms)',
    ]);
  });

  it("splits a default pool's own concurrency over its namespace queues", () => {
    expect(
      problemsOf({ defaultPool: { kind: 'lambda', maxConcurrentHandlers: 5 }, namespaceQueues: ['a', 'b'] }),
    ).toEqual([
      'defaultPool.maxConcurrentHandlers 5 split over 3 dispatch queues gives 1 per queue; each needs at least 2, so use at least 6',
    ]);
  });
});
