import type { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { VPC_ACCESS_ACTIONS } from '../../cdk/function-role.js';
import { DEAD_LETTER_ACTIONS } from '../../cdk/tasker-api.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import { entryProps, existingDatabaseStack, synthEngine } from './support/synth.js';
import {
  asArray,
  identityStatements,
  logicalIdOf,
  permissionsOfRole,
  resourcesOf,
} from './support/template-queries.js';

const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/**
 * The one AWS-managed policy allowed in the template: CDK's own deploy-time provider that strips the rules of the new VPC's
 * default security group (restrictDefaultSecurityGroup) is built with AWSLambdaBasicExecutionRole and cannot be given another
 * role. It runs only during deployments and can only change that one security group.
 */
const CDK_PROVIDER_MANAGED_POLICY = 'service-role/AWSLambdaBasicExecutionRole';

const rds = synthEngine({ namespaceQueues: ['billing'], maxConcurrentHandlers: 6 });
const existing = (() => {
  const { stack, vpc, secret, databaseSg } = existingDatabaseStack();
  const engine = new TaskerEngine(stack, 'Engine', {
    database: { kind: 'existing', vpc, secret, databaseSecurityGroup: databaseSg },
    ...entryProps(),
  });
  return { stack, engine, template: Template.fromStack(stack) };
})();

function roleIdOf(fn: lambda.IFunction): string {
  return logicalIdOf(fn.role as iam.Role);
}

describe.each([
  ['RDS variant', rds],
  ['existing database', existing],
])('least privilege (%s)', (_name, { template, engine, stack }) => {
  const statements = identityStatements(template).filter((s) => s.statement.Effect === 'Allow');
  const vpcRoles = new Set(
    [engine.completionHandler, engine.sweeper, engine.migrator, engine.api!.function, engine.ingress.function].map(
      roleIdOf,
    ),
  );

  it('has no statement allowing "*" or "service:*" actions', () => {
    for (const { statement } of statements) {
      for (const action of asArray(statement.Action))
        expect(action, JSON.stringify(statement)).not.toMatch(/(^\*$|:\*$)/);
    }
  });

  it('allows Resource "*" only for the ENI actions Lambda needs in a VPC, and only to the functions in the VPC', () => {
    for (const { roles, statement } of statements) {
      if (!asArray(statement.Resource as unknown).includes('*')) continue;
      expect([...asArray(statement.Action)].sort(), 'actions on "*"').toEqual([...VPC_ACCESS_ACTIONS].sort());
      for (const role of roles) expect(vpcRoles.has(role), `role ${role} has a "*" resource`).toBe(true);
    }
  });

  it('attaches no managed policy except the one CDK deploy-time provider that cannot do without it', () => {
    for (const [id, role] of Object.entries(resourcesOf(template, 'AWS::IAM::Role'))) {
      for (const arn of asArray<unknown>(role.Properties.ManagedPolicyArns)) {
        expect(JSON.stringify(arn)).toContain(CDK_PROVIDER_MANAGED_POLICY);
        expect(id).toMatch(/^CustomVpcRestrictDefaultSGCustomResourceProviderRole/);
      }
    }
  });

  it('lets the step handler consume its dispatch queues, send results, poison and failed events, and put events; no database', () => {
    const q = engine.queues;
    expect(permissionsOf(template, engine.stepHandler!)).toEqual(
      expected(stack, engine, engine.stepHandler!, {
        consume: q.allDispatch.map((d) => d.queue),
        send: [q.completion.queue, q.poison.queue, q.domainEventDlq.queue],
        putEvents: true,
      }),
    );
  });

  it('lets the completion function consume its queue, read the runtime secret, send to dispatch, completion and poison, and put events', () => {
    const q = engine.queues;
    expect(permissionsOf(template, engine.completionHandler)).toEqual(
      expected(stack, engine, engine.completionHandler, {
        consume: [q.completion.queue],
        send: [...q.allDispatch.map((d) => d.queue), q.completion.queue, q.poison.queue],
        putEvents: true,
        secrets: [engine.database.runtimeSecret],
        vpc: true,
      }),
    );
  });

  it('lets the sweeper read the runtime secret, send to dispatch and completion, count the dispatch queues, and put events', () => {
    const q = engine.queues;
    expect(permissionsOf(template, engine.sweeper)).toEqual(
      expected(stack, engine, engine.sweeper, {
        consume: [],
        send: [...q.allDispatch.map((d) => d.queue), q.completion.queue],
        count: q.allDispatch.map((d) => d.queue),
        putEvents: true,
        secrets: [engine.database.runtimeSecret],
        vpc: true,
      }),
    );
  });

  it('lets the ingress function consume the request queue, read the runtime secret, send what creation dispatches, and put events', () => {
    const q = engine.queues;
    expect(permissionsOf(template, engine.ingress.function)).toEqual(
      expected(stack, engine, engine.ingress.function, {
        consume: [q.taskRequests.queue],
        send: [...q.allDispatch.map((d) => d.queue), q.completion.queue],
        putEvents: true,
        secrets: [engine.database.runtimeSecret],
        vpc: true,
      }),
    );
  });

  it("lets the migration function read the owner's secret (and the runtime login's, whose login it creates) and nothing else", () => {
    const secrets = [...new Set([engine.database.secret, engine.database.runtimeSecret])];
    expect(permissionsOf(template, engine.migrator)).toEqual(
      expected(stack, engine, engine.migrator, { consume: [], send: [], putEvents: false, secrets, vpc: true }),
    );
  });

  it("lets the API read the runtime secret (not the owner's: it cannot migrate), send to dispatch and completion, put events, and receive, delete and count only on the dead-letter, poison and parked-event queues", () => {
    const q = engine.queues;
    expect(permissionsOf(template, engine.api!.function)).toEqual(
      expected(stack, engine, engine.api!.function, {
        consume: [],
        send: [...q.allDispatch.map((d) => d.queue), q.completion.queue],
        operate: [...q.work.map((w) => w.deadLetterQueue), q.poison.queue, q.domainEventDlq.queue],
        putEvents: true,
        secrets: [engine.database.runtimeSecret],
        vpc: true,
      }),
    );
  });

  it("grants GetSecretValue on exactly the database secrets: the owner's to the migration function alone, the runtime login's to the runtime", () => {
    const arnOf = (secret: secretsmanager.ISecret) =>
      JSON.stringify(stack.resolve(secret.secretFullArn ?? secret.secretArn));
    const allowed = new Set([arnOf(engine.database.secret), arnOf(engine.database.runtimeSecret)]);
    // RDS Proxy reads both secrets to authenticate the logins.
    const proxyRole = engine.database.proxy
      ? [logicalIdOf(engine.database.proxy.node.findChild('IAMRole') as iam.Role)]
      : [];
    for (const { roles, statement } of statements.filter((s) =>
      asArray(s.statement.Action).includes('secretsmanager:GetSecretValue'),
    )) {
      for (const resource of asArray(statement.Resource as unknown).map((r) => JSON.stringify(r))) {
        expect(allowed.has(resource), resource).toBe(true);
        const owner =
          resource === arnOf(engine.database.secret) && engine.database.secret !== engine.database.runtimeSecret;
        if (owner)
          expect([roleIdOf(engine.migrator), ...proxyRole], JSON.stringify(roles)).toEqual(
            expect.arrayContaining(roles),
          );
      }
    }
  });
});

describe('secrets imported by name', () => {
  it('grants on the name with the six-character suffix wildcard Secrets Manager appends, not on "*"', () => {
    const { stack, vpc } = existingDatabaseStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'tasker/db');
    const engine = new TaskerEngine(stack, 'Engine', { database: { kind: 'existing', vpc, secret }, ...entryProps() });
    const permissions = permissionsOfRole(Template.fromStack(stack), roleIdOf(engine.migrator));
    expect([...permissions.get('secretsmanager:GetSecretValue')!].join()).toContain('secret:tasker/db-??????');
  });
});

interface Expected {
  readonly consume: readonly sqs.IQueue[];
  readonly send: readonly sqs.IQueue[];
  /** Queues it may count (sqs:GetQueueAttributes alone). */
  readonly count?: readonly sqs.IQueue[];
  /** Queues it inspects and redrives (DEAD_LETTER_ACTIONS). */
  readonly operate?: readonly sqs.IQueue[];
  readonly putEvents: boolean;
  /** The secrets it may read; none when left out. */
  readonly secrets?: readonly secretsmanager.ISecret[];
  readonly vpc?: boolean;
}

function permissionsOf(template: Template, fn: lambda.IFunction): Record<string, string[]> {
  const map = permissionsOfRole(template, roleIdOf(fn));
  return Object.fromEntries([...map].map(([action, resources]) => [action, [...resources].sort()]).sort());
}

/** The exact action -> resources map a function's role should have. */
function expected(stack: Stack, engine: TaskerEngine, fn: lambda.IFunction, e: Expected): Record<string, string[]> {
  const arn = (value: string) => JSON.stringify(stack.resolve(value));
  const logGroup = (fn as lambda.Function).logGroup.logGroupArn;
  const map: Record<string, string[]> = {};
  const add = (actions: readonly string[], resources: string[]) => {
    for (const a of actions) map[a] = [...new Set([...(map[a] ?? []), ...resources])].sort();
  };
  add(LOGS, [arn(logGroup)]);
  add(
    CONSUME,
    e.consume.map((q) => arn(q.queueArn)),
  );
  add(
    ['sqs:SendMessage'],
    e.send.map((q) => arn(q.queueArn)),
  );
  add(
    ['sqs:GetQueueAttributes'],
    (e.count ?? []).map((q) => arn(q.queueArn)),
  );
  add(
    DEAD_LETTER_ACTIONS,
    (e.operate ?? []).map((q) => arn(q.queueArn)),
  );
  if (e.putEvents) add(['events:PutEvents'], [arn(engine.events.bus.eventBusArn)]);
  add(
    ['secretsmanager:GetSecretValue'],
    (e.secrets ?? []).map((secret) => arn(secret.secretFullArn ?? secret.secretArn)),
  );
  if (e.vpc) add(VPC_ACCESS_ACTIONS, ['"*"']);
  for (const key of Object.keys(map)) if (map[key]!.length === 0) delete map[key];
  return Object.fromEntries(Object.entries(map).sort());
}
