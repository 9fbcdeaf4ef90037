import { describe, expect, it } from 'vitest';
import { executeStep, type HandlerOutcome } from '../../../lib/worker/execute-step.js';
import {
  HandlerTimeoutError,
  PermanentError,
  RetryableError,
  type HandlerMap,
  type StepHandlerInput,
} from '../../../lib/worker/handler-api.js';
import { createHandlerRegistry } from '../../../lib/worker/handler-registry.js';
import type { StepDeadline } from '../../../lib/worker/step-deadline.js';
import { dispatchMessage } from '../../helpers/dispatch-fixtures.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const CALLABLE = 'ecommerce.ship_order';

function deadlineIn(budgetMs: number, clock: FixedClock, bound: StepDeadline['bound'] = 'step_timeout'): StepDeadline {
  return { at: new Date(clock.now().getTime() + budgetMs), budgetMs, bound };
}

async function run(handlers: HandlerMap, budgetMs = 1_000, clock = new FixedClock()): Promise<HandlerOutcome> {
  const logger = new RecordingLogger();
  return executeStep({
    message: dispatchMessage(),
    registry: createHandlerRegistry(handlers),
    deadline: deadlineIn(budgetMs, clock),
    clock,
    logger,
  });
}

async function failureOf(handlers: HandlerMap, budgetMs?: number) {
  const outcome = await run(handlers, budgetMs);
  if (outcome.status !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe('executeStep', () => {
  it("gives the handler the step's context, config, dependency results, attempts, deadline and ids", async () => {
    let seen: StepHandlerInput | undefined;
    const clock = new FixedClock();
    const logger = new RecordingLogger();
    const deadline = deadlineIn(500, clock);
    await executeStep({
      message: dispatchMessage({ attempt: 2 }),
      registry: createHandlerRegistry({ [CALLABLE]: (input) => void (seen = input) }),
      deadline,
      clock,
      logger,
    });
    expect(seen).toMatchObject({
      context: { order: { order_id: 'ORD-10042' } },
      config: { carrier: 'postnl' },
      dependencyResults: { charge_payment: { payment_id: 'pay-ORD-10042' } },
      attempt: 2,
      maxAttempts: 3,
      deadline: deadline.at,
      step: {
        taskUuid: '0193e4a2-5b7c-7f10-8a3d-4e5f6a7b8c9d',
        stepUuid: '0193e4a2-5b7d-7a21-9b4e-5f6a7b8c9d0e',
        stepName: 'ship_order',
        namespace: 'ecommerce',
        eventId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        correlationId: '5f2b8c1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f',
      },
      logger,
    });
    expect(seen?.signal.aborted).toBe(false);
  });

  it('returns what the handler returned, as JSON', async () => {
    expect(await run({ [CALLABLE]: async () => ({ shipped: true, at: new Date('2025-12-07T10:00:00Z') }) })).toEqual({
      status: 'success',
      result: { shipped: true, at: '2025-12-07T10:00:00.000Z' },
    });
  });

  it('turns undefined into null', async () => {
    expect(await run({ [CALLABLE]: () => undefined })).toEqual({ status: 'success', result: null });
  });

  it.each([
    ['a function', () => ({ fn: () => 1 })],
    ['a BigInt', () => ({ amount: 10n })],
    [
      'a circular structure',
      () => {
        const o: Record<string, unknown> = {};
        o.o = o;
        return o;
      },
    ],
  ])('returning %s is a handler_panic', async (_label, handler) => {
    expect(await failureOf({ [CALLABLE]: handler })).toMatchObject({
      error_type: 'handler_panic',
      retryable: true,
      message: expect.stringContaining('not JSON-serialisable'),
    });
  });

  it('a PermanentError is a non-retryable failure', async () => {
    expect(
      await failureOf({
        [CALLABLE]: async () => {
          throw new PermanentError('address invalid', { code: 'bad_address' });
        },
      }),
    ).toMatchObject({
      error_type: 'handler_error',
      retryable: false,
      code: 'bad_address',
    });
  });

  it('a RetryableError carries its retry-after', async () => {
    expect(
      await failureOf({
        [CALLABLE]: async () => {
          throw new RetryableError('carrier busy', { retryAfterMs: 2000 });
        },
      }),
    ).toMatchObject({
      error_type: 'handler_error',
      retryable: true,
      retry_after_ms: 2000,
    });
  });

  it('a synchronous throw is caught like a rejection', async () => {
    expect(
      await failureOf({
        [CALLABLE]: () => {
          throw new Error('sync boom');
        },
      }),
    ).toMatchObject({ error_type: 'handler_error', message: 'sync boom', retryable: true });
  });

  it('throwing a non-Error value is a handler_panic', async () => {
    expect(
      await failureOf({
        [CALLABLE]: async () => {
          throw 'just a string';
        },
      }),
    ).toMatchObject({ error_type: 'handler_panic', message: 'handler threw a non-Error value: "just a string"' });
  });

  it('an unknown callable is a permanent handler_not_found failure naming what is registered', async () => {
    expect(await failureOf({ 'ecommerce.other': () => 1 })).toEqual({
      error_type: 'handler_not_found',
      message: 'no handler is registered for callable "ecommerce.ship_order" (registered: ecommerce.other)',
      retryable: false,
      retry_after_ms: null,
      code: 'ecommerce.ship_order',
    });
  });

  it('a handler that overruns its deadline is a handler_timeout, reported at the deadline', async () => {
    const started = performance.now();
    const error = await failureOf({ [CALLABLE]: () => new Promise(() => {}) }, 40);
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({
      error_type: 'handler_timeout',
      retryable: true,
      code: 'step_timeout',
      message: expect.stringContaining('40 ms'),
    });
    expect(elapsed).toBeGreaterThanOrEqual(35);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('aborts the signal of an overrunning handler with a HandlerTimeoutError, so a cooperative handler stops', async () => {
    let reason: unknown;
    let stopped = false;
    const cooperative = ({ signal }: StepHandlerInput) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          stopped = true;
          reject(signal.reason);
        });
      });
    const error = await failureOf({ [CALLABLE]: cooperative }, 30);
    expect(error.error_type).toBe('handler_timeout');
    expect(stopped).toBe(true);
    expect(reason).toBeInstanceOf(HandlerTimeoutError);
    expect(reason).toMatchObject({ budgetMs: 30, bound: 'step_timeout' });
  });

  it('a handler that fails after its deadline does not change the outcome', async () => {
    const late = () => new Promise((_r, reject) => setTimeout(() => reject(new PermanentError('too late')), 60));
    expect((await failureOf({ [CALLABLE]: late }, 20)).error_type).toBe('handler_timeout');
    await new Promise((resolve) => setTimeout(resolve, 60));
  });

  it('does not start the handler when no time is left', async () => {
    let called = false;
    const error = await failureOf({ [CALLABLE]: () => void (called = true) }, 0);
    expect(called).toBe(false);
    expect(error).toMatchObject({
      error_type: 'handler_timeout',
      message: expect.stringContaining('no time was left'),
    });
  });

  it('a handler that blocks past its deadline and then returns is a handler_timeout', async () => {
    const clock = new FixedClock();
    const blocking = () => {
      clock.advance(500);
      return { done: true };
    };
    const outcome = await run({ [CALLABLE]: blocking }, 100, clock);
    expect(outcome).toMatchObject({
      status: 'failure',
      error: { error_type: 'handler_timeout', message: expect.stringContaining('returned after its deadline') },
    });
  });

  it('a handler that finishes in time is not aborted', async () => {
    let signal: AbortSignal | undefined;
    await run({ [CALLABLE]: (input) => void (signal = input.signal) }, 20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(signal?.aborted).toBe(false);
  });
});

describe('executeStep on a batch instance', () => {
  const batch = { index: 2, count: 5, cursor: { page: 2 }, checkpoint: { page: 2, item: 7 } };
  const runBatch = (handlers: HandlerMap, message = dispatchMessage({ batch })) => {
    const clock = new FixedClock();
    return executeStep({
      message,
      registry: createHandlerRegistry(handlers),
      deadline: deadlineIn(1_000, clock),
      clock,
      logger: new RecordingLogger(),
    });
  };

  it('gives the handler its batch, with the checkpoint to resume from', async () => {
    let seen: StepHandlerInput['batch'];
    await runBatch({
      [CALLABLE]: (input) => {
        seen = input.batch;
        return null;
      },
    });
    expect(seen).toEqual(batch);
  });

  it('carries the last checkpoint on a failure, and none on a success', async () => {
    const failing = await runBatch({
      [CALLABLE]: ({ checkpoint }) => {
        checkpoint({ item: 8 });
        checkpoint({ item: 9 });
        throw new RetryableError('downstream busy');
      },
    });
    expect(failing).toMatchObject({ status: 'failure', checkpoint: { item: 9 } });
    const succeeding = await runBatch({
      [CALLABLE]: ({ checkpoint }) => {
        checkpoint({ item: 9 });
        return 'done';
      },
    });
    expect(succeeding).toEqual({ status: 'success', result: 'done' });
  });

  it('carries it on a timeout too, and ignores checkpoint outside a batch or with a value JSON cannot hold', async () => {
    const clock = new FixedClock();
    const timedOut = await executeStep({
      message: dispatchMessage({ batch }),
      registry: createHandlerRegistry({
        [CALLABLE]: ({ checkpoint }) => {
          checkpoint({ item: 3 });
          checkpoint(() => 1);
          checkpoint({ text: 'cut \ud83d' });
          return new Promise(() => undefined);
        },
      }),
      deadline: deadlineIn(5, clock),
      clock,
      logger: new RecordingLogger(),
    });
    expect(timedOut).toMatchObject({ status: 'failure', checkpoint: { item: 3 } });
    expect(timedOut.status === 'failure' && timedOut.error.error_type).toBe('handler_timeout');
    const plain = await runBatch(
      {
        [CALLABLE]: ({ checkpoint }) => {
          checkpoint({ item: 1 });
          throw new Error('boom');
        },
      },
      dispatchMessage(),
    );
    expect(plain.status).toBe('failure');
    expect(plain).not.toHaveProperty('checkpoint');
  });
});

describe('executeStep on a decision or batchable step', () => {
  const clock = new FixedClock();
  const runWith = (dynamic: NonNullable<ReturnType<typeof dispatchMessage>['dynamic']>, result: unknown) =>
    executeStep({
      message: { ...dispatchMessage(), dynamic },
      registry: createHandlerRegistry({ [CALLABLE]: async () => result }),
      deadline: deadlineIn(1_000, clock),
      clock,
      logger: new RecordingLogger(),
    });

  it('answers a result the engine would refuse as a permanent failure, so no success event describes it', async () => {
    const outcome = await runWith({ type: 'decision', dependents: ['a', 'b'] }, { activate: ['c'] });
    expect(outcome).toMatchObject({
      status: 'failure',
      error: { error_type: 'invalid_decision', retryable: false, message: expect.stringContaining('activates c') },
    });
    expect(await runWith({ type: 'batchable', max_batches: 1 }, { batches: [1, 2] })).toMatchObject({
      status: 'failure',
      error: { error_type: 'invalid_batches', retryable: false },
    });
  });

  it('passes a valid result through unchanged', async () => {
    expect(await runWith({ type: 'decision', dependents: ['a', 'b'] }, { activate: ['b'] })).toEqual({
      status: 'success',
      result: { activate: ['b'] },
    });
  });
});
