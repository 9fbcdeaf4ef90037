import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runtimeConfig, type RuntimeConfig } from '../../../lib/contracts/runtime-config.js';
import { stepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { ConfigurationError } from '../../../lib/lambda/config.js';
import { createStepHandlerLambda, type StepHandlerLambdaOverrides } from '../../../lib/lambda/step-handler-lambda.js';
import type { HandlerMap, StepHandlerInput } from '../../../lib/worker/handler-api.js';
import { QUEUES, SHIPMENT, dispatchMessage } from '../../helpers/dispatch-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const SHIP = 'ecommerce.ship_order';
const DISPATCH_ARN = 'arn:aws:sqs:eu-west-1:123456789012:tasker-dispatch-ecommerce';

function sqsRecord(messageId: string, body: string, receiveCount = '1'): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: receiveCount,
      SentTimestamp: '1765102530120',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1765102530125',
    },
    messageAttributes: {},
    md5OfBody: 'unused',
    eventSource: 'aws:sqs',
    eventSourceARN: DISPATCH_ARN,
    awsRegion: 'eu-west-1',
  };
}

function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'tasker-step-handler',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:tasker-step-handler',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/tasker-step-handler',
    logStreamName: '2025/12/07/[$LATEST]8f3c2a1b9d4e',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function config(changes: Record<string, unknown> = {}): RuntimeConfig {
  return runtimeConfig.parse({
    completionQueueUrl: QUEUES.completion,
    poisonQueueUrl: QUEUES.poison,
    domainEventDlqUrl: QUEUES.domainEventDlq,
    ...changes,
  });
}

function ports(changes: Pick<StepHandlerLambdaOverrides, 'config' | 'worker'> = {}) {
  return {
    queue: new FakeQueueSender(),
    bus: new FakeEventBus(),
    clock: new FixedClock(),
    logger: new RecordingLogger(),
    config: config(),
    worker: { retryDelaysMs: [1] },
    ...changes,
  };
}

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const ship: HandlerMap = { [SHIP]: () => SHIPMENT };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('step-handler Lambda', () => {
  it('answers an SQS batch through the real middy handler, reporting partial batch failures', async () => {
    const p = ports();
    const failing = dispatchMessage({ event_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427' });
    p.queue.failAlways({ queueUrl: QUEUES.completion, match: (m) => m.body.includes(failing.event_id) });
    const handler = createStepHandlerLambda(ship, p);
    const response = await handler(
      event(sqsRecord('m-ok', JSON.stringify(dispatchMessage())), sqsRecord('m-fail', JSON.stringify(failing))),
      lambdaContext(),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-fail' }] });
    const [result] = p.queue.bodiesTo(QUEUES.completion).map((b) => stepExecutionResult.parse(b));
    expect(result).toMatchObject({
      status: 'success',
      result: SHIPMENT,
      worker: { worker_id: 'tasker-step-handler/2025/12/07/[$LATEST]8f3c2a1b9d4e', kind: 'lambda' },
    });
    expect(p.bus.published.map((e) => e.DetailType)).toEqual(['ecommerce.order_shipped']);
  });

  it("passes the record's receive count and source queue through", async () => {
    const p = ports();
    const handler = createStepHandlerLambda(ship, p);
    await handler(
      event(sqsRecord('m-1', JSON.stringify(dispatchMessage()), '3'), sqsRecord('m-2', 'not json')),
      lambdaContext(),
    );
    expect(p.logger.find(/^dispatch record /).find((l) => l.fields.message_id === 'm-1')?.fields.receive_count).toBe(3);
    expect(p.queue.bodiesTo(QUEUES.poison)).toMatchObject([
      { source_queue: DISPATCH_ARN, source_message_id: 'm-2', original_body: 'not json' },
    ]);
  });

  it('takes the remaining time from the Lambda context: an overrunning handler times out before the Lambda would', async () => {
    const p = ports({ config: config({ safetyMarginMs: 200 }) });
    const hang: HandlerMap = {
      [SHIP]: ({ signal }: StepHandlerInput) =>
        new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    };
    const handler = createStepHandlerLambda(hang, p);
    await handler(event(sqsRecord('m-1', JSON.stringify(dispatchMessage()))), lambdaContext(260));
    const [sent] = p.queue.bodiesTo(QUEUES.completion) as Array<{ error: { message: string } }>;
    expect(p.queue.bodiesTo(QUEUES.completion)).toMatchObject([
      { status: 'failure', error: { error_type: 'handler_timeout', code: 'lambda_remaining_time' } },
    ]);
    // The budget is the Lambda's remaining time less the safety margin (260 - 200), not the step timeout.
    expect(Number(/within (\d+) ms/.exec(sent!.error.message)?.[1])).toBeLessThanOrEqual(60);
  });

  it('applies worker settings that have no environment variable', async () => {
    const p = ports({ worker: { maxResultBytes: 500, retryDelaysMs: [1] } });
    const handler = createStepHandlerLambda(ship, p);
    await handler(event(sqsRecord('m-1', JSON.stringify(dispatchMessage()))), lambdaContext());
    expect(p.queue.bodiesTo(QUEUES.completion)).toMatchObject([{ error: { error_type: 'result_too_large' } }]);
  });

  it('reads the configuration from the environment once per container', async () => {
    vi.stubEnv('TASKER_COMPLETION_QUEUE_URL', QUEUES.completion);
    vi.stubEnv('TASKER_POISON_QUEUE_URL', QUEUES.poison);
    vi.stubEnv('TASKER_WORKER_ID', 'worker-from-env');
    const { config: _ignored, ...injected } = ports();
    const handler = createStepHandlerLambda(ship, injected);
    await handler(event(sqsRecord('m-1', JSON.stringify(dispatchMessage()))), lambdaContext());
    vi.stubEnv('TASKER_COMPLETION_QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/123456789012/elsewhere');
    await handler(event(sqsRecord('m-2', JSON.stringify(dispatchMessage()))), lambdaContext());
    const completions = injected.queue.bodiesTo(QUEUES.completion);
    expect(completions).toHaveLength(2);
    expect(completions[0]).toMatchObject({ worker: { worker_id: 'worker-from-env' } });
  });

  it('fails the invocation, naming the missing setting, when the queues are not configured; and recovers once they are', async () => {
    vi.stubEnv('TASKER_COMPLETION_QUEUE_URL', '');
    vi.stubEnv('TASKER_POISON_QUEUE_URL', QUEUES.poison);
    const { config: _ignored, ...injected } = ports();
    const handler = createStepHandlerLambda(ship, injected);
    const invocation = handler(event(sqsRecord('m-1', JSON.stringify(dispatchMessage()))), lambdaContext());
    await expect(invocation).rejects.toBeInstanceOf(ConfigurationError);
    await expect(handler(event(), lambdaContext())).rejects.toThrow('TASKER_COMPLETION_QUEUE_URL is required');
    vi.stubEnv('TASKER_COMPLETION_QUEUE_URL', QUEUES.completion);
    await expect(handler(event(sqsRecord('m-1', JSON.stringify(dispatchMessage()))), lambdaContext())).resolves.toEqual(
      { batchItemFailures: [] },
    );
  });

  it('refuses a handler map entry that is not a function when it is created', () => {
    expect(() => createStepHandlerLambda({ [SHIP]: 42 } as unknown as HandlerMap, ports())).toThrow(
      'handler "ecommerce.ship_order" is not a function',
    );
  });

  it('the example entry point exports a Lambda handler without touching AWS at import', async () => {
    const module = await import('../../../functions/step-handler.js');
    expect(typeof module.handler).toBe('function');
    expect(typeof module.handler.use).toBe('function');
  });
});
