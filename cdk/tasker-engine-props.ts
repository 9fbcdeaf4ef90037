import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { TaskerDatabaseProps } from './database-props.js';
import type { IngressProps, TaskScheduleProps } from './ingress-props.js';
import type { LambdaPoolDefaults, LambdaWorkerPoolProps, WorkerPoolProps } from './worker-pool-props.js';

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

/** The entry files of the engine's functions: override one to wrap it, or to deploy your own step handlers. */
export interface FunctionEntries {
  /**
   * Your file exporting `handler = createStepHandlerLambda(yourHandlers)` (from 'tasker-serverless/handler'): the code of
   * every Lambda pool without an `entry` of its own. Required when there is such a pool: the engine deploys no handlers of
   * its own. At synth, every step of `templatesDir` that would run on it must name a callable its map defines.
   */
  readonly stepHandler?: string;
  /** Default functions/completion.ts. */
  readonly completion?: string;
  /** Default functions/sweeper.ts. */
  readonly sweeper?: string;
  /** Default functions/migrate.ts. */
  readonly migrate?: string;
  /** Default functions/api.ts. */
  readonly api?: string;
  /** Default functions/ingress.ts. */
  readonly ingress?: string;
}

/** The engine's HTTP API (a Lambda function URL with AWS_IAM, cdk/tasker-api.ts). */
export interface TaskerApiSettings {
  /** Principals allowed to call it (lambda:InvokeFunctionUrl); any other needs that permission in its own policy. Default none. */
  readonly invokers?: readonly iam.IGrantable[];
}

/**
 * The props of `TaskerEngine`. Steps run in pools: the default pool (for every namespace without a pool of its own) and
 * the `workerPools`, each shaped by its own props; `lambdaPoolDefaults` fills in what a Lambda pool leaves out.
 *
 * @example
 * ```ts
 * new TaskerEngine(stack, 'Tasker', {
 *   database: { kind: 'rds' },
 *   functionEntries: { stepHandler: fileURLToPath(new URL('./src/step-handler.ts', import.meta.url)) },
 *   defaultPool: { kind: 'lambda', maxConcurrentHandlers: 20, handlerTimeout: Duration.minutes(2) },
 * });
 * ```
 */
export interface TaskerEngineProps {
  /** Where orchestration state lives. Required. */
  readonly database: TaskerDatabaseProps;
  /**
   * The default pool: the `StepHandler` function on the default dispatch queue, running the steps of every namespace without
   * a pool of its own; `false` for none. Default: `{ kind: 'lambda' }` without `workerPools`; none with them, so a namespace
   * without a pool is refused at task creation (`no_worker_pool`) instead of landing on a queue whose workers lack its
   * handlers. (`true` is deprecated: the same as `{ kind: 'lambda' }`.)
   */
  readonly defaultPool?: LambdaWorkerPoolProps | boolean;
  /**
   * namespace -> its worker pool: a queue (with its dead-letter queue) per namespace, served by a Lambda function of its own
   * or by pull workers. Orchestration sends each step to its namespace's queue. Default: no pools, the default pool serving
   * every namespace.
   */
  readonly workerPools?: Readonly<Record<string, WorkerPoolProps>>;
  /** What every Lambda pool (the default pool too) leaves out. Default 10 handlers, 30 s, 2 s margin, batches of 1, 512 MB. */
  readonly lambdaPoolDefaults?: LambdaPoolDefaults;
  /** Receives before a message moves to its dead-letter queue (every work queue). Default 5, at least 5. */
  readonly maxReceiveCount?: number;
  /**
   * What a stack deletion does to the queues that hold messages needing a person: the work queues' dead-letter queues, the
   * poison queue, the domain-event and event-target dead-letter queues. Default RemovalPolicy.RETAIN: deleting the stack
   * never deletes the evidence of what failed (delete the queues yourself once drained).
   */
  readonly deadLetterRemovalPolicy?: RemovalPolicy;
  readonly completion?: CompletionProps;
  /**
   * The task-request queue and its consumer, the ingress function: a message on the queue (or a `task.requested` event on
   * the bus, or a schedule) starts a task; every request is answered on the bus with `task.created` or `task.rejected`.
   */
  readonly ingress?: IngressProps;
  /** Tasks started on a schedule (EventBridge Scheduler), each run once however often its time is delivered. Default none. */
  readonly schedules?: readonly TaskScheduleProps[];
  /**
   * How long a task blocked by a failed step is kept blocked_by_failures — for an operator to reset, resolve or complete
   * the step (`stepAction`) — before it fails: it moves to `error` and `task.failed` is published, once nothing of it is
   * in flight any more. The sweeper fails it, so it ends within one `sweepSchedule` period after the grace. Default 0:
   * it fails as soon as nothing of it is in flight (tasker-core's TaskFinalizer). An operator action on a failed task
   * still works: it reopens it. Written to the database by the migration resource at every deploy that changes it.
   */
  readonly blockedTaskGrace?: Duration;
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
  /** The code of the engine's functions: `stepHandler` is yours; completion, sweeper and migrate default to the engine's own. */
  readonly functionEntries?: FunctionEntries;
  /** The HTTP API: settings, or false for none. Default: deployed, its URL a stack output. */
  readonly api?: TaskerApiSettings | false;
  /** The SQL migrations, copied into the migration bundle as `migrations/` (where it reads them). Default lib/adapters/postgres/migrations. */
  readonly migrationsDir?: string;
  /** Task templates (YAML) copied into the migration bundle as `templates/`; the migration registers them at deploy time. Default none. */
  readonly templatesDir?: string;
  /** Bundle the AWS SDK instead of using the one in the Lambda runtime. Default false. */
  readonly bundleAwsSdk?: boolean;

  /** @deprecated Use `lambdaPoolDefaults.maxConcurrentHandlers` (every Lambda pool) or `defaultPool: { kind: 'lambda', maxConcurrentHandlers }`. */
  readonly maxConcurrentHandlers?: number;
  /** @deprecated Use `lambdaPoolDefaults.handlerTimeout` (every Lambda pool) or `defaultPool: { kind: 'lambda', handlerTimeout }`. */
  readonly handlerTimeout?: Duration;
  /** @deprecated Use `lambdaPoolDefaults.deadlineSafetyMargin` (every Lambda pool) or `defaultPool: { kind: 'lambda', deadlineSafetyMargin }`. */
  readonly deadlineSafetyMargin?: Duration;
  /** @deprecated Use `lambdaPoolDefaults.dispatchBatchSize` (every Lambda pool) or `defaultPool: { kind: 'lambda', dispatchBatchSize }`. */
  readonly dispatchBatchSize?: number;
  /** @deprecated Use `lambdaPoolDefaults.maxBatchingWindow` (every Lambda pool) or `defaultPool: { kind: 'lambda', maxBatchingWindow }`. */
  readonly maxBatchingWindow?: Duration;
  /** @deprecated Use `lambdaPoolDefaults.memorySize` (every Lambda pool) or `defaultPool: { kind: 'lambda', memorySize }`. */
  readonly stepHandlerMemorySize?: number;
  /** @deprecated Use `lambdaPoolDefaults.environment` (every Lambda pool) or `defaultPool: { kind: 'lambda', environment }`. */
  readonly stepHandlerEnvironment?: Record<string, string>;
  /** @deprecated Use `defaultPool: { kind: 'lambda', visibilityTimeout }`. */
  readonly dispatchVisibilityTimeout?: Duration;
  /** @deprecated Use `functionEntries.stepHandler`. */
  readonly stepHandlerEntry?: string;
  /**
   * Extra dispatch queues, one per namespace, consumed by the default pool's function (its concurrency split evenly
   * between all its queues). Cannot be combined with `workerPools`.
   *
   * @deprecated Give each namespace a pool of its own in `workerPools` (e.g. `{ billing: { kind: 'lambda' } }`).
   */
  readonly namespaceQueues?: readonly string[];
}
