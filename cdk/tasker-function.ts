import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundlingOptions } from './bundling.js';
import { NODE_OPTIONS_ENV } from './environment.js';
import { createFunctionRole } from './function-role.js';

/** The newest Node.js runtime aws-cdk-lib offers; named, not NODEJS_LATEST, so an upgrade of aws-cdk-lib never changes it silently. */
export const TASKER_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface FunctionNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

export interface TaskerFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly bundleAwsSdk: boolean;
  readonly network?: FunctionNetwork;
  readonly reservedConcurrentExecutions?: number;
  readonly bundling?: Partial<nodejs.BundlingOptions>;
}

/** A NodejsFunction on ARM64 with its own log group (with retention) and a role that starts with only log writing. */
export class TaskerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TaskerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = createFunctionRole(this, 'Role', this.logGroup, props.network !== undefined);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: TASKER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, ...NODE_OPTIONS_ENV },
      awsSdkConnectionReuse: false,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: bundlingOptions(props.bundleAwsSdk, props.bundling),
      ...(props.network ?? {}),
    });
  }
}
