import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolveTaskerProps } from '../../cdk/resolve-engine-props.js';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { taskRequest } from '../../lib/contracts/task-request.js';
import { entryProps, synthEngine } from './support/synth.js';
import {
  asArray,
  logicalIdOf,
  permissionsOfRole,
  referencedId,
  resourceOf,
  resourcesOf,
} from './support/template-queries.js';

const nightly = {
  name: 'nightly-report',
  namespace: 'reports',
  template: 'daily',
  expression: 'cron(0 2 * * ? *)',
  timeZone: 'Europe/Paris',
  context: { scope: 'all' },
};
const hourly = {
  name: 'hourly',
  namespace: 'reports',
  template: 'hourly',
  version: '2.0.0',
  expression: 'rate(1 hour)',
};

const { stack, engine, template } = synthEngine({ schedules: [nightly, hourly] });
const arn = (value: string) => JSON.stringify(stack.resolve(value));

describe('the task-request queue', () => {
  it('is encrypted, TLS-only, with a dead-letter queue after maxReceiveCount receives and a visibility over 6 x the timeout', () => {
    const q = engine.queues.taskRequests;
    const props = resourceOf(template, q.queue).Properties;
    expect(props).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 345_600,
    });
    expect(props.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(referencedId(props.RedrivePolicy.deadLetterTargetArn)).toBe(logicalIdOf(q.deadLetterQueue));
    expect(resourceOf(template, q.deadLetterQueue).Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });

  it('is consumed by the ingress function alone, in batches of 10, reporting batch item failures', () => {
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => referencedId(m.Properties.EventSourceArn) === logicalIdOf(engine.queues.taskRequests.queue),
    );
    expect(mappings.map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      }),
    ]);
    expect(referencedId(mappings[0]!.Properties.FunctionName)).toBe(logicalIdOf(engine.ingress.function));
  });
});

describe('the ingress function', () => {
  it('runs the engine ingress entry in the VPC with the runtime login and the orchestration routing', () => {
    const props = resourceOf(template, engine.ingress.function).Properties;
    expect(props.VpcConfig).toBeDefined();
    expect(props.Timeout).toBe(30);
    const env = props.Environment.Variables;
    expect(env[ENV.databaseSecretArn]).toEqual(stack.resolve(engine.database.runtimeSecret.secretArn));
    expect(referencedId(env[ENV.completionQueueUrl])).toBe(logicalIdOf(engine.queues.completion.queue));
    expect(referencedId(env[ENV.dispatchQueueUrl])).toBe(logicalIdOf(engine.queues.dispatch!.queue));
  });

  it('may do exactly this: consume its queue, read the runtime secret, send what creating a task dispatches, put lifecycle events', () => {
    const permissions = permissionsOfRole(template, logicalIdOf(engine.ingress.function.role!));
    const q = engine.queues;
    expect([...permissions.keys()].sort()).toEqual(
      [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ].sort(),
    );
    expect([...permissions.get('sqs:ReceiveMessage')!]).toEqual([arn(q.taskRequests.queue.queueArn)]);
    expect([...permissions.get('sqs:SendMessage')!].sort()).toEqual(
      [...q.allDispatch.map((d) => d.queue), q.completion.queue].map((x) => arn(x.queueArn)).sort(),
    );
    expect([...permissions.get('events:PutEvents')!]).toEqual([arn(engine.events.bus.eventBusArn)]);
  });
});

describe('the task.requested rule', () => {
  const rule = resourceOf(template, engine.ingress.rules[0]!).Properties;

  it("matches detail-type task.requested on the engine's bus, from any source", () => {
    expect(rule.EventPattern).toEqual({ 'detail-type': ['task.requested'] });
    expect(referencedId(rule.EventBusName)).toBe(logicalIdOf(engine.events.bus));
    expect(engine.ingress.rules).toHaveLength(1);
  });

  it("puts the event's detail on the request queue, what it cannot deliver on the event-target dead-letter queue", () => {
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        InputPath: '$.detail',
        DeadLetterConfig: { Arn: stack.resolve(engine.queues.eventTargetDlq.queue.queueArn) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 8 },
      }),
    ]);
    expect(referencedId(rule.Targets[0].Arn)).toBe(logicalIdOf(engine.queues.taskRequests.queue));
  });

  it('lets only this rule send to the queue through its resource policy', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).filter((p) =>
      asArray(p.Properties.Queues).some((q) => referencedId(q) === logicalIdOf(engine.queues.taskRequests.queue)),
    );
    const statements = policies.flatMap((p) => asArray<Record<string, unknown>>(p.Properties.PolicyDocument.Statement));
    const sends = statements.filter((s) => s.Effect === 'Allow');
    expect(sends).toEqual([
      expect.objectContaining({
        // CDK's SqsQueue target grants what SendMessage callers usually need: the send, and reading the queue's URL and attributes.
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': stack.resolve(engine.ingress.rules[0]!.ruleArn) } },
      }),
    ]);
  });

  it('is on the default bus too when ingress.defaultBusRule is set', () => {
    const withDefault = synthEngine({ ingress: { defaultBusRule: true } });
    const rules = withDefault.engine.ingress.rules.map((r) => resourceOf(withDefault.template, r).Properties);
    expect(rules.map((r) => [r.EventBusName ?? 'default', r.EventPattern])).toEqual([
      [expect.anything(), { 'detail-type': ['task.requested'] }],
      ['default', { 'detail-type': ['task.requested'] }],
    ]);
  });
});

describe('schedules', () => {
  const schedules = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule')).map((s) => s.Properties);

  it('are EventBridge Scheduler schedules with their expression and time zone, no flexible window', () => {
    expect(
      schedules.map((s) => [s.ScheduleExpression, s.ScheduleExpressionTimezone, s.FlexibleTimeWindow, s.State]),
    ).toEqual([
      ['cron(0 2 * * ? *)', 'Europe/Paris', { Mode: 'OFF' }, 'ENABLED'],
      ['rate(1 hour)', 'UTC', { Mode: 'OFF' }, 'ENABLED'],
    ]);
  });

  it('send a task request keyed by the schedule and the scheduled time, which the ingress reads as caller_provided', () => {
    const inputs = schedules.map((s) => JSON.parse(s.Target.Input));
    expect(inputs).toEqual([
      {
        namespace: 'reports',
        name: 'daily',
        context: { scope: 'all' },
        identity_strategy: 'caller_provided',
        idempotency_key: 'schedule:nightly-report:<aws.scheduler.scheduled-time>',
        initiator: 'schedule:nightly-report',
      },
      {
        namespace: 'reports',
        name: 'hourly',
        version: '2.0.0',
        context: {},
        identity_strategy: 'caller_provided',
        idempotency_key: 'schedule:hourly:<aws.scheduler.scheduled-time>',
        initiator: 'schedule:hourly',
      },
    ]);
    for (const input of inputs) expect(taskRequest.safeParse(input).success).toBe(true);
    for (const s of schedules) {
      expect(referencedId(s.Target.Arn)).toBe(logicalIdOf(engine.queues.taskRequests.queue));
      expect(s.Target.DeadLetterConfig).toEqual({ Arn: stack.resolve(engine.queues.eventTargetDlq.queue.queueArn) });
    }
  });

  it("run as a role Scheduler alone may assume, for this account, that may send to the request queue and the schedules' dead-letter queue only", () => {
    const roleIds = [...new Set(schedules.map((s) => referencedId(s.Target.RoleArn)!))];
    expect(roleIds).toHaveLength(1);
    const role = resourcesOf(template, 'AWS::IAM::Role')[roleIds[0]!]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': expect.objectContaining({
              'Fn::Join': ['', expect.arrayContaining([':schedule-group/default'])],
            }),
          },
        },
      }),
    ]);
    const permissions = permissionsOfRole(template, roleIds[0]!);
    expect([...permissions.keys()]).toEqual(['sqs:SendMessage']);
    expect([...permissions.get('sqs:SendMessage')!].sort()).toEqual(
      [engine.queues.taskRequests.queue, engine.queues.eventTargetDlq.queue].map((q) => arn(q.queueArn)).sort(),
    );
  });

  it('are left out of a stack without them', () => {
    const plain = synthEngine();
    expect(resourcesOf(plain.template, 'AWS::Scheduler::Schedule')).toEqual({});
  });
});

describe('ingress and schedule props', () => {
  it('refuses bad schedules and ingress settings, naming every problem', () => {
    const problems = (() => {
      try {
        resolveTaskerProps({
          database: { kind: 'rds' },
          ...entryProps(),
          ingress: { batchSize: 11, maxConcurrency: 1, timeout: Duration.minutes(16) },
          schedules: [
            { ...nightly, name: 'bad name!' },
            { ...hourly, expression: 'every hour' },
            { ...hourly },
            { ...hourly, timeZone: '' },
          ],
        });
        return [];
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    })();
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ingress\.batchSize/),
        expect.stringMatching(/^ingress\.maxConcurrency/),
        expect.stringMatching(/^ingress\.timeout/),
        expect.stringMatching(/^schedules\[0\].*name must be/),
        expect.stringMatching(/^schedules\[1\].*expression must be cron/),
        expect.stringMatching(/^schedules\[2\].*name is used by another schedule/),
        expect.stringMatching(/^schedules\[3\].*timeZone/),
      ]),
    );
  });
});
