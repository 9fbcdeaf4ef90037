import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { TaskerDatabase } from './database.js';
import type { RdsDatabaseProps, TaskerDatabaseProps } from './database-props.js';
import type { Migrations } from './migrations.js';
import type { TaskerQueues } from './queues.js';

/** What the acknowledged findings are about: the engine's own resources. */
export interface NagSubjects {
  /** The engine: only a VPC it created is its to answer for. */
  readonly engine: IConstruct;
  readonly queues: TaskerQueues;
  readonly database: TaskerDatabase;
  readonly databaseProps: TaskerDatabaseProps;
  /** The functions in the VPC (completion, sweeper, migrate). */
  readonly vpcFunctions: readonly lambda.Function[];
  readonly migrations: Migrations;
}

/**
 * Every cdk-nag AwsSolutions finding the engine accepts, with its reason, in this one file (cdk-nag 3 reads CDK's own
 * `Validations.of(…).acknowledge`, so this costs the engine no dependency). Each is narrowed to the resource it is
 * about. What a user turns off (rotation, deletion protection) is not acknowledged: those findings stay visible.
 *
 * @example
 * ```ts
 * Validations.of(app).addPlugins(new AwsSolutionsChecks(app)); // a stack with a TaskerEngine then reports none of these
 * ```
 */
export function acknowledgeNagFindings(s: NagSubjects): void {
  for (const terminal of [s.queues.poison, s.queues.domainEventDlq, s.queues.eventTargetDlq]) {
    acknowledge(
      terminal.queue,
      'AwsSolutions-SQS3',
      `the ${terminal.label} queue is itself a dead-letter queue: the engine writes what needs a person to it directly, nothing consumes it, so it needs none of its own (and denies being a redrive target)`,
    );
  }
  for (const fn of s.vpcFunctions) {
    acknowledge(
      fn.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'the six EC2 network-interface actions Lambda needs for a function in a VPC (AWSLambdaVPCAccessExecutionRole without its logs:*): ec2:DescribeNetworkInterfaces works only on "*" and Lambda checks them all on "*" (cdk/function-role.ts)',
    );
  }
  const migrate = s.migrations.provider.onEventHandler;
  acknowledge(
    s.migrations,
    `AwsSolutions-IAM5[Resource::<${logicalIdOf(migrate)}.Arn>:*]`,
    "the CDK custom-resource provider may invoke the migrate function and its versions (ARN:*), that function's ARN only",
  );
  if (s.databaseProps.kind === 'rds') acknowledgeRds(s, s.databaseProps);
}

function acknowledgeRds(s: NagSubjects, props: RdsDatabaseProps): void {
  const instance = s.database.instance;
  if (instance) {
    acknowledge(
      instance,
      'AwsSolutions-RDS11',
      'the default port: the instance is in isolated subnets and its security group admits only RDS Proxy (or the engine functions) and the rotation functions; another port hides nothing from them',
    );
    if (!props.multiAz)
      acknowledge(
        instance,
        'AwsSolutions-RDS3',
        'multiAz defaults to false: a single-AZ instance costs half, and while it recovers the work waits on the queues; set database.multiAz for production availability',
      );
  }
  const vpc = s.database.network.vpc;
  if (vpc instanceof ec2.Vpc && vpc.node.path.startsWith(`${s.engine.node.path}/`)) {
    acknowledge(
      vpc,
      'AwsSolutions-VPC7',
      'the VPC the engine creates when none is given carries only its own functions, proxy and database, each behind a security group of its own; flow logs would be a standing cost. Pass database.vpc (with flow logs) to have them',
    );
  }
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function logicalIdOf(fn: lambda.IFunction): string {
  return Stack.of(fn).resolve((fn.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
}
