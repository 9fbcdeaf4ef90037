import { describe, expect, it } from 'vitest';
import { resolveEmbeddedSettings } from '../../../lib/local/embedded-settings.js';
import { TemplateSettingsError } from '../../../lib/local/errors.js';
import {
  queueSettingsFromTemplate,
  safetyMarginFromTemplate,
  settingsFromTemplate,
} from '../../../lib/local/lambda-settings.js';

/** A template shaped like `cdk synth` output: two functions, their event source mappings and queues. */
const TEMPLATE = {
  Resources: {
    EngineQueuesDispatchQueueA1B2C3D4: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        VisibilityTimeout: 180,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
      },
    },
    EngineQueuesCompletionQueueE5F6A7B8: { Type: 'AWS::SQS::Queue', Properties: {} },
    EngineStepHandlerFunctionDEE21024: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Timeout: 30,
        ReservedConcurrentExecutions: 10,
        Environment: { Variables: { TASKER_DEADLINE_SAFETY_MARGIN_MS: '1500' } },
      },
    },
    EngineStepHandlerFunctionSqsEventSourceX: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'EngineStepHandlerFunctionDEE21024' },
        EventSourceArn: { 'Fn::GetAtt': ['EngineQueuesDispatchQueueA1B2C3D4', 'Arn'] },
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 10 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    },
    EngineCompletionFunction63ADCC19: { Type: 'AWS::Lambda::Function', Properties: {} },
    EngineCompletionFunctionSqsEventSourceY: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'EngineCompletionFunction63ADCC19' },
        EventSourceArn: { 'Fn::GetAtt': ['EngineQueuesCompletionQueueE5F6A7B8', 'Arn'] },
        MaximumBatchingWindowInSeconds: 2,
      },
    },
    Other: { Type: 'AWS::SNS::Topic' },
  },
};

describe('settingsFromTemplate', () => {
  it('reads the function timeout and reserved concurrency and its event source mapping, by role', () => {
    expect(settingsFromTemplate(TEMPLATE, 'step-handler')).toEqual({
      timeoutMs: 30_000,
      reservedConcurrency: 10,
      batchSize: 1,
      maxBatchingWindowMs: 0,
      maxConcurrency: 10,
      reportBatchItemFailures: true,
    });
  });

  it("applies Lambda's defaults for what the template leaves out (timeout 3 s, batch 10, no reserved or maximum concurrency)", () => {
    expect(settingsFromTemplate(TEMPLATE, 'EngineCompletionFunction63ADCC19')).toEqual({
      timeoutMs: 3_000,
      reservedConcurrency: undefined,
      batchSize: 10,
      maxBatchingWindowMs: 2_000,
      maxConcurrency: undefined,
      reportBatchItemFailures: false,
    });
  });

  it('reads the visibility timeout and redrive limit of the queue the mapping reads', () => {
    expect(queueSettingsFromTemplate(TEMPLATE, 'step-handler')).toEqual({
      visibilityTimeoutSeconds: 180,
      maxReceiveCount: 5,
    });
    expect(queueSettingsFromTemplate(TEMPLATE, 'completion')).toEqual({
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: undefined,
    });
  });

  it("reads the step handler's deadline safety margin from its environment, and the embedded settings take it", () => {
    expect(safetyMarginFromTemplate(TEMPLATE, 'step-handler')).toBe(1_500);
    expect(safetyMarginFromTemplate(TEMPLATE, 'completion')).toBeUndefined();
    expect(resolveEmbeddedSettings({ stackTemplate: TEMPLATE }).safetyMarginMs).toBe(1_500);
    expect(resolveEmbeddedSettings({ stackTemplate: TEMPLATE, safetyMarginMs: 300 }).safetyMarginMs).toBe(300);
  });

  it('names what is missing: not a template, no such function, no event source', () => {
    expect(() => settingsFromTemplate({}, 'step-handler')).toThrow(TemplateSettingsError);
    expect(() => settingsFromTemplate(TEMPLATE, 'sweeper')).toThrow(
      /no function matches 'sweeper'.*EngineStepHandlerFunctionDEE21024/,
    );
    const noMapping = { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: {} } } };
    expect(() => settingsFromTemplate(noMapping, 'Fn')).toThrow(/has no event source mapping/);
  });
});
