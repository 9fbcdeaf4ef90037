import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { eventProblems } from './event-checks.js';
import { CONFORMANCE_CALLABLES as C, dispatch, mismatches, resultOf, type Scenario } from './scenario.js';

/** Scenarios on what a handler's outcome becomes: the result, its error and the domain events it fires. */

const ALL_CONDITIONS = [
  { name: 'conformance.succeeded', condition: 'success' },
  { name: 'conformance.failed', condition: 'failure' },
  { name: 'conformance.retrying', condition: 'retryable_failure' },
  { name: 'conformance.gave_up', condition: 'permanent_failure' },
  { name: 'conformance.finished', condition: 'always' },
] as const;

const errorOf = (r: StepExecutionResult) =>
  r.status === 'failure' ? (r.error as unknown as Record<string, unknown>) : null;

export const successWithDependencies: Scenario = {
  name: 'success with dependency results (result, then its success events)',
  async run(ctx) {
    const context = { order: { id: 'ord-7', items: [1, 2] }, 'unicode é🎉': true };
    const dependencyResults = { fetch: { rows: 3 }, price: 12.5, flag: null };
    const initialization = { greeting: 'hi' };
    const message = await dispatch(ctx, {
      callable: C.echo,
      context,
      dependencyResults,
      initialization,
      publishes: [...ALL_CONDITIONS],
    });
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [result];
    if (result.status !== 'success') return [`status ${result.status}: ${JSON.stringify(result.error)}`];
    const expected = { context, dependency_results: dependencyResults, config: initialization, attempt: 1 };
    return [
      ...mismatches('result', result.result as Record<string, unknown>, expected),
      ...mismatches('result message', result as unknown as Record<string, unknown>, {
        task_uuid: message.task_uuid,
        step_uuid: message.step_uuid,
        correlation_id: message.correlation_id,
        attempt: 1,
      }),
      ...(await eventProblems(ctx, message, result, [
        { name: 'conformance.succeeded', outcome: 'success' },
        { name: 'conformance.finished', outcome: 'success' },
      ])),
    ];
  },
};

export const permanentFailure: Scenario = {
  name: 'permanent failure (retryable false, code from the handler, permanent_failure events)',
  async run(ctx) {
    const message = await dispatch(ctx, {
      callable: C.failPermanent,
      context: { message: 'card declined' },
      publishes: [...ALL_CONDITIONS],
    });
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [result];
    return [
      ...mismatches('error', errorOf(result), {
        error_type: 'handler_error',
        retryable: false,
        code: 'conformance_refused',
      }),
      ...(String(errorOf(result)?.message).includes('card declined')
        ? []
        : ["error.message does not carry the handler's message"]),
      ...(await eventProblems(ctx, message, result, [
        { name: 'conformance.failed', outcome: 'permanent_failure' },
        { name: 'conformance.gave_up', outcome: 'permanent_failure' },
        { name: 'conformance.finished', outcome: 'permanent_failure' },
      ])),
    ];
  },
};

export const retryableFailure: Scenario = {
  name: 'retryable failure (retry_after_ms kept, retryable_failure events)',
  async run(ctx) {
    const message = await dispatch(ctx, {
      callable: C.failRetryable,
      context: { message: 'rate limited', retry_after_ms: 1500 },
      publishes: [...ALL_CONDITIONS],
    });
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [result];
    return [
      ...mismatches('error', errorOf(result), {
        error_type: 'handler_error',
        retryable: true,
        retry_after_ms: 1500,
        code: 'conformance_busy',
      }),
      ...(await eventProblems(ctx, message, result, [
        { name: 'conformance.failed', outcome: 'retryable_failure' },
        { name: 'conformance.retrying', outcome: 'retryable_failure' },
        { name: 'conformance.finished', outcome: 'retryable_failure' },
      ])),
    ];
  },
};

export const handlerNotFound: Scenario = {
  name: 'unknown callable (handler_not_found, not retryable)',
  async run(ctx) {
    const message = await dispatch(ctx, { callable: 'conformance.no_such_handler' });
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [result];
    return mismatches('error', errorOf(result), { error_type: 'handler_not_found', retryable: false });
  },
};

export const handlerTimeout: Scenario = {
  name: 'handler timeout (handler_timeout at timeout_ms from receipt, retryable)',
  async run(ctx) {
    const sent = Date.now();
    // Claimed 20 s ago: a worker counting timeout_ms from dispatched_at instead of its receipt answers at once.
    const message = await dispatch(ctx, {
      callable: C.sleep,
      context: { ms: 20_000 },
      timeoutMs: 1_500,
      dispatchedAgoMs: 20_000,
    });
    const result = await resultOf(ctx, message.event_id, 12_000);
    if (typeof result === 'string') return [result];
    const took = (ctx.engine.applied.get(message.event_id)?.receivedAt ?? sent) - sent;
    return [
      ...mismatches('error', errorOf(result), { error_type: 'handler_timeout', retryable: true, code: 'step_timeout' }),
      ...(took < 1_400 ? [`the timeout came after ${took} ms, before timeout_ms (1500) could have passed`] : []),
    ];
  },
};

export const oversizedResult: Scenario = {
  name: 'oversized result (result_too_large instead, not retryable)',
  async run(ctx) {
    const message = await dispatch(ctx, { callable: C.big, context: { bytes: 300_000 } });
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [result];
    return mismatches('error', errorOf(result), { error_type: 'result_too_large', retryable: false });
  },
};
