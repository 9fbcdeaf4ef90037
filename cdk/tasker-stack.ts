import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { engineProps } from './app-engine-props.js';
import type { AppSettings, DatabaseContext, ExistingDatabaseContext } from './app-settings.js';
import type { TaskerDatabaseProps } from './database-props.js';
import { TaskerEngine } from './tasker-engine.js';
import { pascalCaseOf, type TaskerWorkerPool } from './worker-pools.js';

export interface TaskerStackProps extends StackProps {
  readonly settings: AppSettings;
}

/** The deployable stack of `cdk/app.ts`: one TaskerEngine configured from context, and the outputs a client needs. */
export class TaskerStack extends Stack {
  readonly engine: TaskerEngine;

  constructor(scope: Construct, id: string, props: TaskerStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const alarmTopic = settings.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn)
      : undefined;
    this.engine = new TaskerEngine(this, 'Engine', {
      ...engineProps(settings.engine),
      alarmTopic,
      database: this.databaseProps(settings.database),
    });
    this.outputs();
  }

  private databaseProps(db: DatabaseContext): TaskerDatabaseProps {
    if (db.kind === 'rds') {
      const instanceType = db.instanceType ? new ec2.InstanceType(db.instanceType) : undefined;
      return { kind: 'rds', instanceType, natGateways: db.natGateways, proxy: db.proxy };
    }
    return this.existingDatabaseProps(db);
  }

  /** Looks the VPC up in the account (needs credentials, and an account and region on the stack). */
  private existingDatabaseProps(db: ExistingDatabaseContext): TaskerDatabaseProps {
    const vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: db.vpcId });
    const secret = db.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', db.secretArn)
      : secretsmanager.Secret.fromSecretNameV2(this, 'DatabaseSecret', db.secretName ?? '');
    const subnets = db.subnetIds.map((id) => ec2.Subnet.fromSubnetId(this, `Subnet-${id}`, id));
    const securityGroups = db.securityGroupIds.map((id) => ec2.SecurityGroup.fromSecurityGroupId(this, `Sg-${id}`, id));
    const databaseSecurityGroup = db.databaseSecurityGroupId
      ? ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSg', db.databaseSecurityGroupId)
      : undefined;
    return {
      kind: 'existing',
      vpc,
      secret,
      vpcSubnets: subnets.length > 0 ? { subnets } : undefined,
      securityGroups: securityGroups.length > 0 ? securityGroups : undefined,
      databaseSecurityGroup,
      port: db.port,
    };
  }

  private outputs(): void {
    const e = this.engine;
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    if (e.queues.dispatch)
      out(
        'DispatchQueueUrl',
        e.queues.dispatch.queue.queueUrl,
        'Steps to run (default pool: namespaces without a pool of their own)',
      );
    out('CompletionQueueUrl', e.queues.completion.queue.queueUrl, 'Step results to apply');
    out('PoisonQueueUrl', e.queues.poison.queue.queueUrl, 'Messages that could not be parsed');
    out(
      'TaskRequestQueueUrl',
      e.queues.taskRequests.queue.queueUrl,
      'Requests to start a task (answered on the bus: task.created or task.rejected)',
    );
    out('EventBusName', e.events.bus.eventBusName, 'Domain and task lifecycle events');
    out('TaskFailureTopicArn', e.events.taskFailureTopic.topicArn, 'Subscribe to hear about failed and blocked tasks');
    out(
      'DatabaseSecretArn',
      e.database.secret.secretArn,
      'Database credentials of the schema owner (migrations, operators, creating tasks)',
    );
    if (e.database.runtimeSecret !== e.database.secret)
      out(
        'DatabaseRuntimeSecretArn',
        e.database.runtimeSecret.secretArn,
        'Credentials of the runtime login (role tasker_runtime: the engine operations only)',
      );
    if (e.database.proxy) out('DatabaseProxyEndpoint', e.database.proxy.endpoint, 'Connect here (TLS required)');
    if (e.stepHandler)
      out('StepHandlerFunctionName', e.stepHandler.functionName, 'The step-handler function of the default pool');
    out('DashboardName', e.dashboard.dashboardName, 'CloudWatch dashboard');
    for (const pool of e.workerPools.values()) this.poolOutputs(pool);
  }

  /** `WorkerPool<Namespace>...`; a pull pool's policy, role and queue are exported too, for the stack that runs its workers (Fn::ImportValue). */
  private poolOutputs(pool: TaskerWorkerPool): void {
    const id = `WorkerPool${pascalCaseOf(pool.namespace)}`;
    const out = (name: string, value: string, description: string, exported = false) =>
      new CfnOutput(this, `${id}${name}`, {
        value,
        description,
        ...(exported ? { exportName: `${this.stackName}-${id}${name}` } : {}),
      });
    const exported = pool.kind === 'pull';
    out(
      'QueueUrl',
      pool.queue.queue.queueUrl,
      `Dispatch queue of namespace ${pool.namespace} (${pool.kind} pool); pull workers scale on its ApproximateNumberOfMessagesVisible`,
      exported,
    );
    if (pool.kind === 'lambda') {
      out('FunctionName', pool.function.functionName, `Step-handler function of namespace ${pool.namespace}`);
      return;
    }
    out(
      'PolicyArn',
      pool.policy.managedPolicyArn,
      `Attach to the role of the pull workers of namespace ${pool.namespace} (an ECS task role)`,
      true,
    );
    if (pool.role)
      out(
        'RoleArn',
        pool.role.roleArn,
        `A role with that policy, for the pull workers of namespace ${pool.namespace}`,
        true,
      );
    out(
      'Environment',
      this.toJsonString(pool.environment),
      `Environment of 'tasker worker --namespace ${pool.namespace}' (JSON)`,
    );
  }
}
