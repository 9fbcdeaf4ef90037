import { describe, expect, it } from 'vitest';
import { callablesOf, HANDLER_CALLABLES, markCallables } from '../../../lib/lambda/handler-callables.js';
import { createStepHandlerLambda } from '../../../lib/lambda/step-handler-lambda.js';

const noop = async () => null;

describe('the callables a step-handler Lambda carries', () => {
  it('are the keys of the map createStepHandlerLambda was given, under a registered symbol, not enumerable', () => {
    const handler = createStepHandlerLambda({ 'billing.charge': noop, 'billing.refund': noop });
    expect(callablesOf(handler)).toEqual(['billing.charge', 'billing.refund']);
    expect((handler as unknown as Record<symbol, unknown>)[Symbol.for('tasker-serverless.handler-callables')]).toEqual([
      'billing.charge',
      'billing.refund',
    ]);
    expect(Object.keys(handler)).not.toContain(HANDLER_CALLABLES.toString());
    expect(Object.getOwnPropertyDescriptor(handler, HANDLER_CALLABLES)).toMatchObject({
      enumerable: false,
      writable: false,
    });
  });

  it('are a copy taken when the Lambda is made: adding to the map later does not change them', () => {
    const handlers: Record<string, typeof noop> = { 'billing.charge': noop };
    const marked = markCallables(() => undefined, handlers);
    handlers['billing.refund'] = noop;
    expect(callablesOf(marked)).toEqual(['billing.charge']);
  });

  it('are unknown for a handler made otherwise, or anything that is not one', () => {
    expect(callablesOf(async () => 'mine')).toBeUndefined();
    expect(callablesOf(undefined)).toBeUndefined();
    expect(callablesOf('handler')).toBeUndefined();
    expect(callablesOf(Object.defineProperty(() => undefined, HANDLER_CALLABLES, { value: [1, 2] }))).toBeUndefined();
  });
});
