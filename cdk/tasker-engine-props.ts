import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** Use a PostgreSQL you already run: its credentials secret and the network that reaches it. */
export interface ExistingDatabaseProps {
  readonly kind: 'existing';
  /** Secrets Manager secret in the RDS JSON shape (`host`, `port`, `username`, `password`, `dbname`). */
  readonly secret: secretsmanager.ISecret;
  /** The VPC the database-facing functions run in (they need a route to the database and to SQS, EventBridge and Secrets Manager). */
  readonly vpc: ec2.IVpc;
  /** Security groups for the database-facing functions. Default: one created by the construct. */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Subnets for the database-facing functions. Default: the VPC's private subnets (with egress, else isolated). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** When given, the construct allows the functions in on `port`. Otherwise allow them yourself. */
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;
  /** Database port for the ingress rule. Default 5432. */
  readonly port?: number;
}

/** Create a PostgreSQL on RDS (with RDS Proxy and a generated secret) in this stack. */
export interface RdsDatabaseProps {
  readonly kind: 'rds';
  /** Default: a new two-AZ VPC (public, private-with-egress and isolated subnets). */
  readonly vpc?: ec2.IVpc;
  /** NAT gateways of the VPC created when `vpc` is not given (the functions need egress to AWS APIs). Default 1. */
  readonly natGateways?: number;
  /** Default db.t4g.micro. */
  readonly instanceType?: ec2.InstanceType;
  /** Default PostgreSQL 17. */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /** Default 20 GiB (gp3), growing to `maxAllocatedStorageGiB`. */
  readonly allocatedStorageGiB?: number;
  /** Default 100 GiB. */
  readonly maxAllocatedStorageGiB?: number;
  /** Default false. */
  readonly multiAz?: boolean;
  /** Default 'tasker'. */
  readonly databaseName?: string;
  /** Default 7 days. */
  readonly backupRetention?: Duration;
  /** Default false. */
  readonly deletionProtection?: boolean;
  /** Default RemovalPolicy.SNAPSHOT. */
  readonly removalPolicy?: RemovalPolicy;
  /** Put RDS Proxy in front of the instance. Default true. */
  readonly proxy?: boolean;
}

export type TaskerDatabaseProps = ExistingDatabaseProps | RdsDatabaseProps;

/** The completion function: consumes the completion queue and drives orchestration. */
export interface CompletionProps {
  /** Messages per invocation, 1..10. Default 10. */
  readonly batchSize?: number;
  /** Default none (0 s). At most 300 s. */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations the event source may use, at least 2. Default 5. */
  readonly maxConcurrency?: number;
  /** Reserved concurrency of the function; at least `maxConcurrency` when set. Default none. */
  readonly reservedConcurrency?: number;
  /** Function timeout. Default 30 s, at most 900 s. */
  readonly timeout?: Duration;
  /** Default 6 x timeout + batching window; never less. */
  readonly visibilityTimeout?: Duration;
  /** Default 512 MB. */
  readonly memorySize?: number;
}

export interface AlarmThresholds {
  /** Oldest message on a work queue older than this raises an alarm. Default 5 minutes. */
  readonly oldestMessageAge?: Duration;
  /** Visible messages on a work queue above this raise an alarm. Default 1000. */
  readonly queueDepth?: number;
}

export interface FunctionEntries {
  readonly completion?: string;
  readonly sweeper?: string;
  readonly migrate?: string;
}

/**
 * A namespace served by a step-handler Lambda function of its own: its own queue, reserved concurrency and timeout. Left-out
 * settings are the engine's (`maxConcurrentHandlers`, `handlerTimeout`, `deadlineSafetyMargin`, `dispatchBatchSize`,
 * `maxBatchingWindow`, `stepHandlerEntry`, `stepHandlerMemorySize`, `stepHandlerEnvironment`).
 */
export interface LambdaWorkerPoolProps {
  readonly kind: 'lambda';
  /** The pool function's reserved concurrency: this namespace's handlers running at once. At least 2. */
  readonly maxConcurrentHandlers?: number;
  /** The pool function's timeout, which is its handler timeout. At most 900 s. */
  readonly handlerTimeout?: Duration;
  /** Less than `handlerTimeout`. */
  readonly deadlineSafetyMargin?: Duration;
  /** 1..10. */
  readonly dispatchBatchSize?: number;
  /** At most 300 s. */
  readonly maxBatchingWindow?: Duration;
  /** The pool queue's visibility timeout. Default 6 x handlerTimeout + maxBatchingWindow; never less. */
  readonly visibilityTimeout?: Duration;
  /** Your entry file exporting `handler = createStepHandlerLambda(handlers)` with this namespace's handlers. */
  readonly entry?: string;
  readonly memorySize?: number;
  /** Added to `stepHandlerEnvironment` for this pool's function (names must not collide with the engine's). */
  readonly environment?: Record<string, string>;
}

/**
 * A namespace served by pull workers you run outside Lambda (ECS, EC2, Kubernetes, on premises):
 * `tasker worker --namespace <ns> --handlers <module>`, or any worker speaking docs/protocol/worker-protocol.md.
 * The engine creates the pool's queue and an IAM managed policy with exactly what such a worker needs.
 */
export interface PullWorkerPoolProps {
  readonly kind: 'pull';
  /**
   * The pool queue's visibility timeout; the workers should ask for the same on receive and heartbeat every third of it
   * (the TypeScript worker's default is 30 s). Default 30 s; 6 s to 12 h.
   */
  readonly visibilityTimeout?: Duration;
  /** The workers' time cap on one step (its completion timeout, ENV.completionTimeoutMs, in the pool's environment). Default 30 s; at most 900 s. */
  readonly handlerTimeout?: Duration;
  /** Handlers one worker runs at once (ENV.maxConcurrentHandlers in the pool's environment). Default 10. */
  readonly maxConcurrentHandlers?: number;
  /** Also create a role with the pool's policy (for an ECS task role). Default false: attach the policy to a role of yours. */
  readonly createRole?: boolean;
  /** Who assumes the created role. Default the ECS tasks service (`ecs-tasks.amazonaws.com`). */
  readonly roleAssumedBy?: iam.IPrincipal;
}

export type WorkerPoolProps = LambdaWorkerPoolProps | PullWorkerPoolProps;

export interface TaskerEngineProps {
  /** Where orchestration state lives. Required. */
  readonly database: TaskerDatabaseProps;
  /** Step handlers running at once: the step-handler's reserved concurrency. Default 10, at least 2. */
  readonly maxConcurrentHandlers?: number;
  /** The step-handler function timeout, which is the handler timeout. Default 30 s, at most 900 s. */
  readonly handlerTimeout?: Duration;
  /** The deadline race ends this long before the function timeout. Default 2 s; less than `handlerTimeout`. */
  readonly deadlineSafetyMargin?: Duration;
  /** Dispatch messages per step-handler invocation, 1..10. Default 1 (one handler per invocation). */
  readonly dispatchBatchSize?: number;
  /** Default none (0 s). At most 300 s. */
  readonly maxBatchingWindow?: Duration;
  /** Default 6 x handlerTimeout + maxBatchingWindow; never less. */
  readonly dispatchVisibilityTimeout?: Duration;
  /** Receives before a message moves to its dead-letter queue. Default 5, at least 5. */
  readonly maxReceiveCount?: number;
  /** Extra dispatch queues, one per namespace; the handler concurrency is split evenly between all dispatch queues. */
  readonly namespaceQueues?: readonly string[];
  /**
   * namespace -> its worker pool: a queue (with its dead-letter queue) per namespace, served by a Lambda function of its own
   * or by pull workers. Orchestration sends each step to its namespace's queue. Default: no pools, one default Lambda pool
   * serving every namespace. Cannot be combined with `namespaceQueues`.
   */
  readonly workerPools?: Readonly<Record<string, WorkerPoolProps>>;
  /**
   * Keep the default pool (the `StepHandler` function on the default dispatch queue) for namespaces without a pool of their
   * own. Default: true without `workerPools`; false with them, so a namespace without a pool is refused at task creation
   * (`no_worker_pool`) instead of landing on a queue whose workers lack its handlers.
   */
  readonly defaultPool?: boolean;
  readonly completion?: CompletionProps;
  /** Default rate(1 minute). */
  readonly sweepSchedule?: events.Schedule;
  /** Default 50 s (under the default one-minute schedule). */
  readonly sweeperTimeout?: Duration;
  /** Timeout of the migration function run at deploy time. Default 5 minutes. */
  readonly migrationTimeout?: Duration;
  /** Default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** LOG_LEVEL of every function. Default 'info'. */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Default: a name generated by CloudFormation. */
  readonly eventBusName?: string;
  /** How long the bus archive keeps events for replay. Default 30 days. */
  readonly archiveRetention?: Duration;
  /** Alarm and OK actions go to this topic. Default: alarms without actions. */
  readonly alarmTopic?: sns.ITopic;
  readonly alarmThresholds?: AlarmThresholds;
  /** Your entry file that exports `handler = createStepHandlerLambda(yourHandlers)`. Default functions/step-handler.ts. */
  readonly stepHandlerEntry?: string;
  /** Default 512 MB. */
  readonly stepHandlerMemorySize?: number;
  /** Extra environment for your handlers (names must not collide with the engine's). */
  readonly stepHandlerEnvironment?: Record<string, string>;
  /** Override the other entries (for wrapping them). Default functions/{completion,sweeper,migrate}.ts. */
  readonly functionEntries?: FunctionEntries;
  /** The SQL migrations, copied into the migration bundle as `migrations/` (where it reads them). Default lib/adapters/postgres/migrations. */
  readonly migrationsDir?: string;
  /** Task templates (YAML) copied into the migration bundle as `templates/`; the migration registers them at deploy time. Default none. */
  readonly templatesDir?: string;
  /** Bundle the AWS SDK instead of using the one in the Lambda runtime. Default false. */
  readonly bundleAwsSdk?: boolean;
}
