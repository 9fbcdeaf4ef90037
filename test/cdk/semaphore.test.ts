import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { defaultPoolOf, synthEngine } from './support/synth.js';
import { logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

const variants = [
  ['defaults', synthEngine(), 10],
  ['maxConcurrentHandlers 25', synthEngine({ maxConcurrentHandlers: 25, dispatchBatchSize: 3 }), 25],
  ['namespace queues', synthEngine({ maxConcurrentHandlers: 12, namespaceQueues: ['billing', 'shipping'] }), 12],
  ['reserved completion', synthEngine({ completion: { maxConcurrency: 8, reservedConcurrency: 8 } }), 10],
] as const;

/** function logical id -> its SQS event source mappings. */
function mappingsByFunction(template: Template): Map<string, Record<string, any>[]> {
  const byFunction = new Map<string, Record<string, any>[]>();
  for (const esm of Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'))) {
    const fn = referencedId(esm.Properties.FunctionName)!;
    byFunction.set(fn, [...(byFunction.get(fn) ?? []), esm.Properties]);
  }
  return byFunction;
}

describe.each(variants)('the semaphore (%s)', (_name, { template, engine }, maxConcurrentHandlers) => {
  it('reports partial batch failures on every SQS event source', () => {
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    for (const esm of mappings) expect(esm.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('reserves maxConcurrentHandlers executions for the step handler', () => {
    expect(resourceOf(template, engine.stepHandler!).Properties.ReservedConcurrentExecutions).toBe(
      maxConcurrentHandlers,
    );
  });

  it("bounds every event source, and never lets a function's sources together exceed its reserved concurrency", () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    for (const [fnId, mappings] of mappingsByFunction(template)) {
      for (const m of mappings) expect(m.ScalingConfig?.MaximumConcurrency).toBeGreaterThanOrEqual(2);
      const reserved = functions[fnId]!.Properties.ReservedConcurrentExecutions;
      if (reserved === undefined) continue;
      const total = mappings.reduce((sum, m) => sum + m.ScalingConfig.MaximumConcurrency, 0);
      expect(total).toBeLessThanOrEqual(reserved);
    }
  });

  it("uses the handler timeout as the step handler's function timeout, and tells the code the same value and the margin", () => {
    const fn = resourceOf(template, engine.stepHandler!).Properties;
    const pool = defaultPoolOf(engine.settings);
    expect(fn.Timeout * 1000).toBe(pool.handlerTimeout.toMilliseconds());
    expect(fn.Environment.Variables[ENV.handlerTimeoutMs]).toBe(String(fn.Timeout * 1000));
    expect(fn.Environment.Variables[ENV.safetyMarginMs]).toBe(String(pool.deadlineSafetyMargin.toMilliseconds()));
    expect(fn.Environment.Variables[ENV.maxConcurrentHandlers]).toBe(String(maxConcurrentHandlers));
  });
});

describe('semaphore settings', () => {
  it('splits the handler concurrency evenly between the dispatch queues', () => {
    const { template, engine } = variants[2][1];
    const mappings = mappingsByFunction(template).get(logicalIdOf(engine.stepHandler!))!;
    expect(mappings.map((m) => m.ScalingConfig.MaximumConcurrency)).toEqual([4, 4, 4]);
  });

  it('gives the step handler the dispatch batch size and batching window', () => {
    const { template, engine } = synthEngine({ dispatchBatchSize: 4, maxBatchingWindow: Duration.seconds(3) });
    const [mapping] = mappingsByFunction(template).get(logicalIdOf(engine.stepHandler!))!;
    expect(mapping).toMatchObject({ BatchSize: 4, MaximumBatchingWindowInSeconds: 3 });
  });

  it('warns that a dispatch batch runs its steps in parallel, multiplying the handlers in flight', () => {
    const { stack } = synthEngine({ dispatchBatchSize: 4, maxConcurrentHandlers: 5 });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('up to 20 handlers in flight'));
    Annotations.fromStack(variants[0][1].stack).hasNoWarning('*', Match.stringLikeRegexp('handlers in flight'));
  });

  it('reserves completion concurrency only when asked', () => {
    expect(
      resourceOf(variants[0][1].template, variants[0][1].engine.completionHandler).Properties
        .ReservedConcurrentExecutions,
    ).toBeUndefined();
    expect(
      resourceOf(variants[3][1].template, variants[3][1].engine.completionHandler).Properties
        .ReservedConcurrentExecutions,
    ).toBe(8);
  });
});
