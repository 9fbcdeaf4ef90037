import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { API_URL_OUTPUT_DESCRIPTION } from '../../lib/contracts/api-endpoint.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import { entryProps, synthEngine, testApp } from './support/synth.js';
import { resourcesOf } from './support/template-queries.js';

/** The engine's HTTP API: one function URL, AWS_IAM, nothing anonymous; its URL a stack output; opt-out and invokers. */

const { template, engine, stack } = synthEngine({ namespaceQueues: ['billing'] });

describe('the HTTP API', () => {
  it('is one Lambda function URL with AWS_IAM on the API function: no URL or permission lets an anonymous caller in', () => {
    const urls = Object.values(resourcesOf(template, 'AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]!.Properties).toMatchObject({ AuthType: 'AWS_IAM' });
    expect(JSON.stringify(urls[0]!.Properties.TargetFunctionArn)).toContain(
      stack.getLogicalId(engine.api!.function.node.defaultChild as never),
    );
    for (const permission of Object.values(resourcesOf(template, 'AWS::Lambda::Permission'))) {
      expect(permission.Properties.FunctionUrlAuthType ?? 'AWS_IAM', JSON.stringify(permission)).toBe('AWS_IAM');
      expect(permission.Properties.Principal, JSON.stringify(permission)).not.toBe('*');
    }
  });

  it("outputs the URL with the description the CLI's --stack finds it by", () => {
    const outputs = Object.values(template.findOutputs('*'));
    const api = outputs.filter((o) => o.Description === API_URL_OUTPUT_DESCRIPTION);
    expect(api).toHaveLength(1);
    expect(JSON.stringify(api[0]!.Value)).toContain('FunctionUrl');
  });

  it('runs in the VPC as the runtime login, with the dead-letter queues it operates in its environment', () => {
    const fn = template.toJSON().Resources[stack.getLogicalId(engine.api!.function.node.defaultChild as never)];
    const env = fn.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'TASKER_DEAD_LETTER_QUEUES',
        'TASKER_DOMAIN_EVENT_DLQ_URL',
        'TASKER_COMPLETION_QUEUE_URL',
      ]),
    );
    const queues = JSON.stringify(env.TASKER_DEAD_LETTER_QUEUES);
    for (const name of ['dispatch-dlq', 'dispatch-billing-dlq', 'completion-dlq', 'poison'])
      expect(queues).toContain(name);
    expect(fn.Properties.VpcConfig).toBeDefined();
  });
});

describe('the HTTP API props', () => {
  it('api: false deploys no API', () => {
    const stack = new Stack(testApp(), 'NoApi');
    const engine = new TaskerEngine(stack, 'Engine', { database: { kind: 'rds' }, ...entryProps(), api: false });
    expect(engine.api).toBeUndefined();
    expect(Object.keys(resourcesOf(Template.fromStack(stack), 'AWS::Lambda::Url'))).toEqual([]);
  });

  it('grants the invokers lambda:InvokeFunctionUrl and lambda:InvokeFunction on the API function', () => {
    const stack = new Stack(testApp(), 'Invokers');
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    new TaskerEngine(stack, 'Engine', { database: { kind: 'rds' }, ...entryProps(), api: { invokers: [operators] } });
    const policies = JSON.stringify(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy'));
    expect(policies).toContain('lambda:InvokeFunctionUrl');
    expect(policies).toContain('"lambda:InvokeFunction"');
  });
});
