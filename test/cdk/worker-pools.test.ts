import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { loadConfig } from '../../lib/lambda/config.js';
import { dispatchQueueUrlFor } from '../../lib/container/pull-worker-process.js';
import { EXAMPLE_TEMPLATES_DIR, readAppSettings } from '../../cdk/app-settings.js';
import { contextOf, contextProblems } from './support/app-context.js';
import { resolveTaskerProps } from '../../cdk/resolve-engine-props.js';
import { PULL_CONSUME_ACTIONS } from '../../cdk/pull-worker-access.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import type { LambdaWorkerPoolProps, PullWorkerPoolProps } from '../../cdk/worker-pool-props.js';
import { TaskerStack } from '../../cdk/tasker-stack.js';
import type { LambdaWorkerPool, PullWorkerPool } from '../../cdk/worker-pools.js';
import { problemsOf } from './support/problems.js';
import { entryProps, synthEngine, testApp } from './support/synth.js';
import {
  asArray,
  evaluate,
  identityStatements,
  logicalIdOf,
  managedPolicyStatements,
  permissionsOfRole,
  referencedId,
  resourceOf,
  resourcesOf,
  type CfnResource,
} from './support/template-queries.js';

const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const CUSTOM_ENTRY = fileURLToPath(new URL('./fixtures/custom-step-handler.ts', import.meta.url));
const RDS = { kind: 'rds' } as const;

const pooled = synthEngine({
  maxConcurrentHandlers: 8,
  templatesDir: EXAMPLE_TEMPLATES_DIR,
  workerPools: {
    ecommerce: {
      kind: 'lambda',
      maxConcurrentHandlers: 5,
      handlerTimeout: Duration.seconds(60),
      environment: { PAYMENTS_API_URL: 'https://payments.example' },
    },
    billing: { kind: 'lambda', maxConcurrentHandlers: 3, dispatchBatchSize: 2, entry: CUSTOM_ENTRY },
    reports: {
      kind: 'pull',
      createRole: true,
      visibilityTimeout: Duration.seconds(60),
      handlerTimeout: Duration.seconds(300),
    },
  },
});
const { template, engine, stack } = pooled;
const q = engine.queues;
const lambdaPool = (ns: string) => engine.workerPools.get(ns) as LambdaWorkerPool;
const pullPool = (ns: string) => engine.workerPools.get(ns) as PullWorkerPool;
const lambdaPools = [lambdaPool('ecommerce'), lambdaPool('billing')];
const poolQueues = ['ecommerce', 'billing', 'reports'].map((ns) => engine.workerPools.get(ns)!.queue);
const arn = (value: string) => JSON.stringify(stack.resolve(value));
const envOf = (fn: lambda.IFunction): Record<string, unknown> =>
  resourceOf(template, fn).Properties.Environment.Variables;

/** A resolved value with each queue's Ref as an SQS URL naming its logical id, and any other Ref as the logical id. */
function evaluated(value: unknown): string {
  return evaluate(value, (id, attribute) =>
    attribute === undefined && resourcesOf(template, 'AWS::SQS::Queue')[id]
      ? urlOf(id)
      : `${id}${attribute ? `.${attribute}` : ''}`,
  );
}
const urlOf = (logicalId: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalId}`;

function roleIdOf(fn: lambda.IFunction): string {
  return logicalIdOf(fn.role as iam.Role);
}

/** action -> sorted resources of a function's role. */
function permissionsOf(fn: lambda.IFunction): Record<string, string[]> {
  const map = permissionsOfRole(template, roleIdOf(fn));
  return Object.fromEntries([...map].map(([action, resources]) => [action, [...resources].sort()]).sort());
}

function expectedPermissions(entries: [readonly string[], readonly string[]][]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [actions, resources] of entries)
    for (const a of actions) map[a] = [...new Set([...(map[a] ?? []), ...resources])].sort();
  return Object.fromEntries(Object.entries(map).sort());
}

const mappings = () => Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);
const queueArns = (queues: readonly sqs.IQueue[]) => queues.map((queue) => arn(queue.queueArn));

function alarmsOn(metric: string, dimension: string, id: string): CfnResource[] {
  return Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
    (a) =>
      a.Properties.MetricName === metric &&
      a.Properties.Dimensions?.some((d: any) => d.Name === dimension && referencedId(d.Value) === id),
  );
}

describe('worker pools: queues', () => {
  const queues = resourcesOf(template, 'AWS::SQS::Queue');

  it('gives each pool a dispatch queue and a dead-letter queue of its own, and leaves out the default dispatch queue', () => {
    expect(q.dispatch).toBeUndefined();
    expect([...q.namespaceDispatch.keys()]).toEqual(['ecommerce', 'billing', 'reports']);
    const dlqs = poolQueues.map((w) =>
      referencedId(resourceOf(template, w.queue).Properties.RedrivePolicy.deadLetterTargetArn),
    );
    expect(dlqs).toEqual(poolQueues.map((w) => logicalIdOf(w.deadLetterQueue)));
    expect(new Set(dlqs).size).toBe(3);
    // + the task-request queue and its dead-letter queue
    expect(Object.keys(queues)).toHaveLength(3 * 2 + 2 + 3 + 2);
  });

  it('encrypts each pool queue, redrives after 5 receives, and keeps dead letters longer than the queue keeps steps', () => {
    for (const w of poolQueues) {
      const queue = resourceOf(template, w.queue).Properties;
      const dlq = resourceOf(template, w.deadLetterQueue).Properties;
      expect(queue.SqsManagedSseEnabled && dlq.SqsManagedSseEnabled).toBe(true);
      expect(queue.RedrivePolicy.maxReceiveCount).toBe(5);
      expect([queue.MessageRetentionPeriod, dlq.MessageRetentionPeriod]).toEqual([4 * 86_400, 14 * 86_400]);
    }
  });

  it("sets a Lambda pool queue's visibility timeout from its own function timeout, and a pull pool's as given", () => {
    const visibility = (ns: string) =>
      resourceOf(template, engine.workerPools.get(ns)!.queue.queue).Properties.VisibilityTimeout;
    expect([visibility('ecommerce'), visibility('billing'), visibility('reports')]).toEqual([6 * 60, 6 * 30, 60]);
  });

  it('alarms on the age and depth of each pool queue, and on any dead letter of each pool', () => {
    for (const w of poolQueues) {
      expect(
        alarmsOn('ApproximateAgeOfOldestMessage', 'QueueName', logicalIdOf(w.queue))[0]?.Properties.Threshold,
      ).toBe(300);
      expect(
        alarmsOn('ApproximateNumberOfMessagesVisible', 'QueueName', logicalIdOf(w.queue))[0]?.Properties.Threshold,
      ).toBe(1000);
      expect(
        alarmsOn('ApproximateNumberOfMessagesVisible', 'QueueName', logicalIdOf(w.deadLetterQueue))[0]?.Properties,
      ).toMatchObject({ Threshold: 0, EvaluationPeriods: 1 });
    }
    expect(q.terminal.map((t) => t.label).sort()).toEqual([
      'completion-dlq',
      'dispatch-billing-dlq',
      'dispatch-ecommerce-dlq',
      'dispatch-reports-dlq',
      'domain-event-dlq',
      'event-target-dlq',
      'poison',
      'task-requests-dlq',
    ]);
  });

  it('shows each pool on the dashboard: waiting, in flight, dead letters, oldest age, and a Lambda pool against its cap', () => {
    const body = JSON.stringify(resourceOf(template, engine.dashboard).Properties.DashboardBody);
    for (const title of [
      'ecommerce pool (lambda)',
      'billing pool (lambda)',
      'reports pool (pull)',
      'step-handler-ecommerce function',
      'step-handler-billing function',
    ])
      expect(body, title).toContain(title);
    for (const text of [
      'ApproximateNumberOfMessagesNotVisible',
      'dead letters',
      'oldest step age (s)',
      'reserved concurrency',
    ])
      expect(body, text).toContain(text);
    expect(body).not.toContain('"step-handler function');
  });
});

describe('worker pools: Lambda pools', () => {
  it('gives each Lambda pool a function of its own, reserved concurrency = its cap, consuming only its queue with at most that concurrency', () => {
    for (const pool of lambdaPools) {
      const fnId = logicalIdOf(pool.function);
      expect(resourceOf(template, pool.function).Properties.ReservedConcurrentExecutions).toBe(
        pool.settings.maxConcurrentHandlers,
      );
      const own = mappings().filter((m) => referencedId(m.FunctionName) === fnId);
      expect(own.map((m) => referencedId(m.EventSourceArn))).toEqual([logicalIdOf(pool.queue.queue)]);
      expect(own[0]!.ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(pool.settings.maxConcurrentHandlers);
      expect(own[0]!.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
      expect(own[0]!.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
    expect(
      mappings()
        .map((m) => m.BatchSize)
        .sort(),
    ).toEqual([1, 10, 10, 2]); // the pools', completion's and the ingress's
  });

  it('lets no function consume the pull pool queue (its workers run outside the stack)', () => {
    const reports = logicalIdOf(pullPool('reports').queue.queue);
    expect(mappings().filter((m) => referencedId(m.EventSourceArn) === reports)).toEqual([]);
    expect(mappings()).toHaveLength(4);
  });

  it("uses each pool's own timeout, margin, cap, entry and environment", () => {
    const ecommerce = resourceOf(template, lambdaPool('ecommerce').function).Properties;
    expect(ecommerce.Timeout).toBe(60);
    expect(ecommerce.Environment.Variables).toMatchObject({
      [ENV.handlerTimeoutMs]: '60000',
      [ENV.safetyMarginMs]: '2000',
      [ENV.maxConcurrentHandlers]: '5',
      PAYMENTS_API_URL: 'https://payments.example',
    });
    const billing = resourceOf(template, lambdaPool('billing').function).Properties;
    expect([
      billing.Timeout,
      billing.Environment.Variables[ENV.maxConcurrentHandlers],
      billing.Environment.Variables.PAYMENTS_API_URL,
    ]).toEqual([30, '3', undefined]);
    expect(lambdaPool('billing').settings.entry).toBe(CUSTOM_ENTRY);
    expect(billing.Description).toContain('(namespace billing)');
  });

  it('warns per pool that a dispatch batch multiplies the handlers in flight', () => {
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('workerPools.billing.dispatchBatchSize 2 .* up to 6 handlers in flight'),
    );
  });

  it("lets a pool's function consume only its own queue, send results, poison and parked events, and put events; nothing of another pool", () => {
    for (const pool of lambdaPools) {
      expect(permissionsOf(pool.function)).toEqual(
        expectedPermissions([
          [LOGS, [arn(pool.function.logGroup.logGroupArn)]],
          [CONSUME, queueArns([pool.queue.queue])],
          [['sqs:SendMessage'], queueArns([q.completion.queue, q.poison.queue, q.domainEventDlq.queue])],
          [['events:PutEvents'], [arn(engine.events.bus.eventBusArn)]],
        ]),
      );
    }
  });

  it('alarms on the errors and throttles of each pool function', () => {
    for (const pool of lambdaPools) {
      for (const metric of ['Errors', 'Throttles'])
        expect(
          alarmsOn(metric, 'FunctionName', logicalIdOf(pool.function)),
          `${metric} ${pool.namespace}`,
        ).toHaveLength(1);
    }
    expect(engine.stepHandler).toBeUndefined();
    const functionAlarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.Namespace === 'AWS/Lambda',
    );
    // Errors and throttles of the two pools, completion, sweeper, ingress and api.
    expect(functionAlarms).toHaveLength(2 * 6);
  });
});

describe('worker pools: orchestration', () => {
  const dispatching = [engine.completionHandler, engine.sweeper];

  it("gives completion and sweeper exactly the pools' queue URLs, and no default dispatch queue", () => {
    const expected = Object.fromEntries(
      [...engine.workerPools].map(([ns, pool]) => [ns, urlOf(logicalIdOf(pool.queue.queue))]),
    );
    for (const fn of dispatching) {
      const env = envOf(fn);
      expect(JSON.parse(evaluated(env[ENV.namespaceQueueUrls]))).toEqual(expected);
      expect(env[ENV.dispatchQueueUrl]).toBeUndefined();
    }
  });

  it('lets completion and sweeper send to exactly the pool queues (and completion, poison for completion)', () => {
    expect(permissionsOf(engine.completionHandler)['sqs:SendMessage']).toEqual(
      queueArns([...poolQueues.map((w) => w.queue), q.completion.queue, q.poison.queue]).sort(),
    );
    expect(permissionsOf(engine.sweeper)['sqs:SendMessage']).toEqual(
      queueArns([...poolQueues.map((w) => w.queue), q.completion.queue]).sort(),
    );
  });

  it('warns at synth time about registered templates whose namespace has no pool', () => {
    const orphan = synthEngine({ templatesDir: EXAMPLE_TEMPLATES_DIR, workerPools: { reports: { kind: 'pull' } } });
    Annotations.fromStack(orphan.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('use namespaces with no worker pool: ecommerce;'),
    );
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('no worker pool'));
  });
});

describe('worker pools: pull pools', () => {
  const reports = pullPool('reports');
  const policies = managedPolicyStatements(template);

  it("creates one managed policy granting exactly what the worker protocol needs, on exactly the pool's resources", () => {
    expect([...policies.keys()]).toEqual([logicalIdOf(reports.policy)]);
    const statements = policies.get(logicalIdOf(reports.policy))!;
    const granted = statements.map((s) => ({
      effect: s.Effect,
      actions: [...asArray(s.Action)].sort(),
      resources: asArray(s.Resource as unknown)
        .map((r) => JSON.stringify(r))
        .sort(),
    }));
    expect(granted).toEqual([
      { effect: 'Allow', actions: [...PULL_CONSUME_ACTIONS].sort(), resources: queueArns([reports.queue.queue]) },
      {
        effect: 'Allow',
        actions: ['sqs:SendMessage'],
        resources: queueArns([q.completion.queue, q.poison.queue, q.domainEventDlq.queue]).sort(),
      },
      { effect: 'Allow', actions: ['events:PutEvents'], resources: [arn(engine.events.bus.eventBusArn)] },
    ]);
    expect([...PULL_CONSUME_ACTIONS].sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
  });

  it('creates the optional role for ECS tasks with that policy and nothing else', () => {
    const role = resourceOf(template, reports.role!).Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' } },
    ]);
    expect(role.ManagedPolicyArns.map(referencedId)).toEqual([logicalIdOf(reports.policy)]);
    expect(role.Policies).toBeUndefined();
    expect(identityStatements(template).filter((s) => s.roles.includes(logicalIdOf(reports.role!)))).toEqual([]);
  });

  it('has no wildcard action or resource anywhere but the ENI actions of the functions in the VPC', () => {
    const all = [...identityStatements(template).map((s) => s.statement), ...[...policies.values()].flat()].filter(
      (s) => s.Effect === 'Allow',
    );
    for (const statement of all) {
      for (const action of asArray(statement.Action)) expect(action).not.toMatch(/(^\*$|:\*$)/);
      if (asArray(statement.Resource as unknown).includes('*'))
        expect(asArray(statement.Action).every((a) => a.startsWith('ec2:'))).toBe(true);
    }
  });

  it('exposes the environment `tasker worker --namespace reports` needs, which the worker resolves to the pool queue', () => {
    const env = Object.fromEntries(
      Object.entries(stack.resolve(reports.environment) as Record<string, unknown>).map(([k, v]) => [k, evaluated(v)]),
    );
    expect(Object.keys(env).sort()).toEqual(
      [
        ENV.namespaceQueueUrls,
        ENV.completionQueueUrl,
        ENV.poisonQueueUrl,
        ENV.domainEventDlqUrl,
        ENV.eventBusName,
        ENV.completionTimeoutMs,
        ENV.visibilityTimeoutSeconds,
        ENV.maxConcurrentHandlers,
        ENV.logLevel,
      ].sort(),
    );
    expect([env[ENV.completionTimeoutMs], env[ENV.maxConcurrentHandlers]]).toEqual(['300000', '10']);
    expect(Number(env[ENV.visibilityTimeoutSeconds])).toBeGreaterThanOrEqual(6);
    const config = loadConfig(env);
    expect(dispatchQueueUrlFor('reports', config)).toBe(urlOf(logicalIdOf(reports.queue.queue)));
    expect(config.completionQueueUrl).toBe(urlOf(logicalIdOf(q.completion.queue)));
    expect(() => dispatchQueueUrlFor('ecommerce', config)).toThrow(/no dispatch queue for namespace "ecommerce"/);
  });

  it('attaches the policy to no role but its own, and leaves the role out unless asked', () => {
    const plain = synthEngine({ workerPools: { reports: { kind: 'pull' } } });
    expect(Object.keys(resourcesOf(plain.template, 'AWS::IAM::ManagedPolicy'))).toHaveLength(1);
    expect((plain.engine.workerPools.get('reports') as PullWorkerPool).role).toBeUndefined();
    const withPolicy = Object.values(resourcesOf(plain.template, 'AWS::IAM::Role')).filter((r) =>
      asArray(r.Properties.ManagedPolicyArns).some((a) => referencedId(a) !== undefined),
    );
    expect(withPolicy).toEqual([]);
  });

  it('lets a pool role be assumed by another principal', () => {
    const s = new Stack(testApp(), 'Principal');
    const engine2 = new TaskerEngine(s, 'Engine', {
      database: RDS,
      ...entryProps(),
      workerPools: {
        reports: { kind: 'pull', createRole: true, roleAssumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') },
      },
    });
    const role = resourceOf(
      Template.fromStack(s),
      (engine2.workerPools.get('reports') as PullWorkerPool).role!,
    ).Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
  });
});

describe('the default pool alongside worker pools', () => {
  const mixed = synthEngine({ defaultPool: true, workerPools: { reports: { kind: 'pull' } } });

  it('keeps the default queue and StepHandler for namespaces without a pool, consuming only the default queue', () => {
    const { engine: e, template: t } = mixed;
    const stepHandlerId = logicalIdOf(e.stepHandler!);
    const sources = Object.values(resourcesOf(t, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => referencedId(m.Properties.FunctionName) === stepHandlerId,
    );
    expect(sources.map((m) => referencedId(m.Properties.EventSourceArn))).toEqual([
      logicalIdOf(e.queues.dispatch!.queue),
    ]);
    expect(sources[0]!.Properties.ScalingConfig.MaximumConcurrency).toBe(10);
    const env = resourceOf(t, e.completionHandler).Properties.Environment.Variables;
    expect(referencedId(env[ENV.dispatchQueueUrl])).toBe(logicalIdOf(e.queues.dispatch!.queue));
    expect(JSON.stringify(env[ENV.namespaceQueueUrls])).toContain(
      logicalIdOf(e.workerPools.get('reports')!.queue.queue),
    );
  });
});

describe('without worker pools', () => {
  const today = synthEngine();

  it('builds the same template whether the default pool is implied, explicit, or kept beside an empty set of pools', () => {
    expect(synthEngine({ defaultPool: true }).template.toJSON()).toEqual(today.template.toJSON());
    expect(synthEngine({ defaultPool: true, workerPools: {} }).template.toJSON()).toEqual(today.template.toJSON());
  });

  it('has one default dispatch queue, one step handler reserving maxConcurrentHandlers, and no pool resources', () => {
    const { template: t, engine: e } = today;
    expect(e.workerPools.size).toBe(0);
    expect(Object.keys(resourcesOf(t, 'AWS::SQS::Queue'))).toHaveLength(9); // with the task-request queue and its dead-letter queue
    expect(Object.keys(resourcesOf(t, 'AWS::IAM::ManagedPolicy'))).toHaveLength(0);
    const stepHandlers = Object.values(resourcesOf(t, 'AWS::Lambda::Function')).filter((f) =>
      f.Properties.Description?.startsWith('tasker step handler'),
    );
    expect(stepHandlers.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([10]);
    const env = resourceOf(t, e.completionHandler).Properties.Environment.Variables;
    expect(referencedId(env[ENV.dispatchQueueUrl])).toBe(logicalIdOf(e.queues.dispatch!.queue));
    expect(env[ENV.namespaceQueueUrls]).toBeUndefined();
  });
});

describe('worker pool props validation', () => {
  it('accepts pools with defaults taken from the engine', () => {
    const s = resolveTaskerProps({
      database: RDS,
      ...entryProps(),
      handlerTimeout: Duration.seconds(45),
      workerPools: { a: { kind: 'lambda' }, b: { kind: 'pull' } },
    });
    expect(s.defaultPool).toBe(false);
    expect(s.workerPools).toMatchObject([
      { namespace: 'a', kind: 'lambda', maxConcurrentHandlers: 10 },
      { namespace: 'b', kind: 'pull', maxConcurrentHandlers: 10, createRole: false },
    ]);
    const [a, b] = s.workerPools;
    expect([
      a!.handlerTimeout.toSeconds(),
      a!.visibilityTimeout.toSeconds(),
      b!.visibilityTimeout.toSeconds(),
      b!.handlerTimeout.toSeconds(),
    ]).toEqual([45, 270, 30, 30]);
  });

  it('refuses namespaces that are not template namespaces, and pools of an unknown kind', () => {
    expect(
      problemsOf({
        workerPools: { Billing: { kind: 'pull' }, 'bad-name': { kind: 'pull' }, ok: { kind: 'fargate' } as never },
      }),
    ).toEqual([
      "workerPools: 'Billing' is not a valid namespace: template namespaces are lower-case snake_case (^[a-z][a-z0-9_]*$), at most 128 characters",
      "workerPools: 'bad-name' is not a valid namespace: template namespaces are lower-case snake_case (^[a-z][a-z0-9_]*$), at most 128 characters",
      "workerPools.ok.kind must be 'lambda' or 'pull' (got \"fargate\")",
    ]);
  });

  it("refuses a pool for the engine's own namespace: its step handlers could put the lifecycle events' source", () => {
    expect(problemsOf({ workerPools: { orchestration: { kind: 'pull' } } })).toEqual([
      "workerPools: 'orchestration' is reserved: its event source is the engine's task lifecycle events', which no step handler may put",
    ]);
  });

  it("holds a Lambda pool to the default pool's rules", () => {
    expect(problemsOf({ workerPools: { a: { kind: 'lambda', maxConcurrentHandlers: 1 } } })).toEqual([
      'workerPools.a.maxConcurrentHandlers must be an integer from 2 to 1000 (the SQS event source maxConcurrency minimum is 2) (got 1)',
    ]);
    expect(problemsOf({ workerPools: { a: { kind: 'lambda', handlerTimeout: Duration.seconds(901) } } })).toEqual([
      'workerPools.a.handlerTimeout (901 s) exceeds the Lambda maximum of 900 s',
    ]);
    expect(
      problemsOf({
        workerPools: {
          a: { kind: 'lambda', handlerTimeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(300) },
        },
      }),
    ).toEqual([
      'workerPools.a.handlerTimeout (60 s) is too long for workerPools.a.visibilityTimeout (300 s): the visibility timeout must be at least 6 x the function timeout + the batching window = 360 s',
    ]);
    expect(problemsOf({ workerPools: { a: { kind: 'lambda', handlerTimeout: Duration.seconds(2) } } })).toEqual([
      'workerPools.a.deadlineSafetyMargin (2000 ms) must be less than workerPools.a.handlerTimeout (2000 ms)',
    ]);
    expect(
      problemsOf({
        workerPools: {
          a: {
            kind: 'lambda',
            dispatchBatchSize: 11,
            memorySize: 64,
            entry: '/nowhere/h.ts',
            environment: { TASKER_EVENT_BUS_NAME: 'x' },
          },
        },
      }),
    ).toEqual([
      "workerPools.a.environment must not set the engine's own variables: TASKER_EVENT_BUS_NAME",
      'workerPools.a.dispatchBatchSize must be an integer from 1 to 10 (got 11)',
      'workerPools.a.memorySize must be an integer from 128 to 10240 (got 64)',
      'workerPools.a.entry file not found: /nowhere/h.ts',
    ]);
  });

  it('refuses pull pool timings a heartbeating worker cannot keep', () => {
    expect(problemsOf({ workerPools: { r: { kind: 'pull', visibilityTimeout: Duration.seconds(3) } } })).toEqual([
      'workerPools.r.visibilityTimeout (3 s) is too short: workers heartbeat every third of it, so it must be at least 6 s',
    ]);
    expect(problemsOf({ workerPools: { r: { kind: 'pull', visibilityTimeout: Duration.hours(13) } } })).toEqual([
      'workerPools.r.visibilityTimeout (46800 s) exceeds the SQS maximum of 43200 s',
    ]);
    expect(problemsOf({ workerPools: { r: { kind: 'pull', handlerTimeout: Duration.seconds(901) } } })).toEqual([
      'workerPools.r.handlerTimeout (901 s) exceeds the longest step timeout a task template allows of 900 s',
    ]);
    expect(
      problemsOf({
        workerPools: { r: { kind: 'pull', handlerTimeout: Duration.millis(1500), maxConcurrentHandlers: 0 } },
      }),
    ).toEqual([
      'workerPools.r.handlerTimeout must be a whole number of seconds, at least 1 s (got 1500 ms)',
      'workerPools.r.maxConcurrentHandlers must be an integer from 1 to 1000 (got 0)',
    ]);
    expect(
      problemsOf({
        workerPools: { r: { kind: 'pull', roleAssumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') } },
      }),
    ).toEqual(['workerPools.r.roleAssumedBy applies to the role the engine creates: set createRole: true too']);
  });

  it('refuses combinations that leave steps nowhere to go or settings that would be ignored', () => {
    expect(problemsOf({ workerPools: {} })).toEqual([
      'workerPools is empty and there is no default pool: give at least one pool, or leave workerPools out for one default pool',
    ]);
    expect(problemsOf({ defaultPool: false })).toEqual([
      'defaultPool: false leaves no pool to run any step: give workerPools',
    ]);
    expect(
      problemsOf({ maxConcurrentHandlers: 6, namespaceQueues: ['billing'], workerPools: { r: { kind: 'pull' } } }),
    ).toEqual(['namespaceQueues cannot be combined with workerPools: give each of those namespaces a pool of its own']);
    expect(
      problemsOf({ dispatchVisibilityTimeout: Duration.seconds(600), workerPools: { r: { kind: 'pull' } } }),
    ).toEqual([
      "dispatchVisibilityTimeout is the default pool's queue setting, and there is no default pool: set visibilityTimeout on the pools instead",
    ]);
    expect(problemsOf({ workerPools: ['r'] as never })).toEqual([
      "workerPools must be an object: namespace -> { kind: 'lambda', ... } or { kind: 'pull', ... }",
    ]);
  });

  it('lists every problem of every pool at once, from the construct, before creating anything', () => {
    const s = new Stack(new App(), 'S');
    const create = () =>
      new TaskerEngine(s, 'Engine', {
        database: RDS,
        ...entryProps(),
        workerPools: {
          a: { kind: 'lambda', maxConcurrentHandlers: 1 },
          r: { kind: 'pull', visibilityTimeout: Duration.seconds(2) },
        },
      });
    expect(create).toThrow(
      /invalid TaskerEngine props:\n {2}- workerPools\.a\.maxConcurrentHandlers[^\n]*\n {2}- workerPools\.r\.visibilityTimeout \(2 s\) is too short/,
    );
    expect(s.node.findAll().length).toBe(2);
  });
});

describe('worker pools from app context', () => {
  it('reads -c workerPools as a JSON string, with durations in seconds and entries relative to the repository', () => {
    const settings = readAppSettings(
      contextOf({
        workerPools:
          '{"ecommerce":{"kind":"lambda","maxConcurrentHandlers":5,"handlerTimeoutSeconds":"60","entry":"test/cdk/fixtures/stub-handler.ts"},"reports":{"kind":"pull","createRole":"true","visibilityTimeoutSeconds":45}}',
        defaultPool: 'false',
      }),
    );
    const { ecommerce, reports } = settings.engine.workerPools as {
      ecommerce: LambdaWorkerPoolProps;
      reports: PullWorkerPoolProps;
    };
    expect(ecommerce).toMatchObject({ kind: 'lambda', maxConcurrentHandlers: 5 });
    expect(ecommerce.handlerTimeout?.toSeconds()).toBe(60);
    expect(ecommerce.entry).toBe(fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url)));
    expect([reports.kind, reports.createRole, reports.visibilityTimeout?.toSeconds()]).toEqual(['pull', true, 45]);
    expect(settings.engine.defaultPool).toBe(false);
  });

  it('reads the same object from cdk.json', () => {
    expect(readAppSettings(contextOf({ workerPools: { reports: { kind: 'pull' } } })).engine.workerPools).toEqual({
      reports: { kind: 'pull' },
    });
  });

  it('refuses bad JSON, bad shapes, unknown settings and wrong types, all at once', () => {
    const problems = contextProblems;
    expect(problems({ workerPools: '{"a":' })[0]).toMatch(/^workerPools is not valid JSON/);
    expect(problems({ workerPools: '["a"]' })).toEqual([
      'workerPools must be a JSON object: namespace -> {"kind":"lambda",...} or {"kind":"pull",...} (got ["a"])',
    ]);
    expect(
      problems({
        workerPools:
          '{"a":{"kind":"ecs"},"b":{"kind":"pull","entry":"x.ts","createRole":"yes"},"c":{"kind":"lambda","handlerTimeoutSeconds":"soon","maxConcurrentHandlers":-1}}',
      }),
    ).toEqual([
      'workerPools.a must be {"kind":"lambda",...} or {"kind":"pull",...} (got {"kind":"ecs"})',
      'workerPools.b.entry is not a setting of a pull pool (known: visibilityTimeoutSeconds, handlerTimeoutSeconds, maxConcurrentHandlers, createRole)',
      'workerPools.b.createRole must be true or false (got "yes")',
      'workerPools.c.handlerTimeoutSeconds must be a number, at least 0 (got "soon")',
      'workerPools.c.maxConcurrentHandlers must be a number, at least 0 (got -1)',
    ]);
  });
});

describe('the app stack with worker pools', () => {
  const settings = readAppSettings(
    contextOf({
      workerPools:
        '{"ecommerce":{"kind":"lambda","maxConcurrentHandlers":5},"reports":{"kind":"pull","createRole":true}}',
    }),
  );
  const app = testApp();
  const appStack = new TaskerStack(app, settings.stackName, {
    settings: { ...settings, engine: { ...settings.engine, ...entryProps() } },
  });
  const outputs = Template.fromStack(appStack).toJSON().Outputs as Record<
    string,
    { Value: unknown; Export?: { Name: string } }
  >;

  it("outputs each pool's queue, the Lambda pool's function, and exports the pull pool's queue, policy and role", () => {
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'WorkerPoolEcommerceQueueUrl',
        'WorkerPoolEcommerceFunctionName',
        'WorkerPoolReportsQueueUrl',
        'WorkerPoolReportsPolicyArn',
        'WorkerPoolReportsRoleArn',
        'WorkerPoolReportsEnvironment',
      ]),
    );
    const reports = appStack.engine.workerPools.get('reports') as PullWorkerPool;
    expect(referencedId(outputs.WorkerPoolReportsPolicyArn!.Value)).toBe(logicalIdOf(reports.policy));
    expect(outputs.WorkerPoolReportsPolicyArn!.Export?.Name).toBe('TaskerServerless-WorkerPoolReportsPolicyArn');
    expect(outputs.WorkerPoolReportsQueueUrl!.Export?.Name).toBe('TaskerServerless-WorkerPoolReportsQueueUrl');
  });

  it('outputs no default dispatch queue or step handler when there is no default pool', () => {
    expect(outputs.DispatchQueueUrl).toBeUndefined();
    expect(outputs.StepHandlerFunctionName).toBeUndefined();
  });

  it('refuses invalid pool values from context at synth time, listing them', () => {
    const bad = readAppSettings(contextOf({ workerPools: '{"Reports":{"kind":"lambda","maxConcurrentHandlers":1}}' }));
    expect(
      () => new TaskerStack(testApp(), 'Bad', { settings: { ...bad, engine: { ...bad.engine, ...entryProps() } } }),
    ).toThrow(
      /'Reports' is not a valid namespace[\s\S]*workerPools\.Reports\.maxConcurrentHandlers must be an integer from 2/,
    );
  });
});
