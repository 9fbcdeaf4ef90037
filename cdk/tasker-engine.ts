import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TaskerAlarms, type MonitoredFunction } from './alarms.js';
import { copyIntoBundleHook } from './bundling.js';
import { TaskerDashboard } from './dashboard.js';
import { TaskerDatabaseResources, type TaskerDatabase } from './database.js';
import { warnAboutDeprecatedProps } from './deprecated-props.js';
import { DomainEvents } from './domain-events.js';
import { envOf } from './environment.js';
import { FunctionEnvironments } from './function-environments.js';
import { Migrations } from './migrations.js';
import { acknowledgeNagFindings } from './nag-acknowledgements.js';
import { defaultPoolSources, ORCHESTRATION_SOURCES, poolSources } from './event-sources.js';
import { allowCountMessages, allowPutEvents, allowReadSecret, allowSend } from './permissions.js';
import type {
  DefaultPoolSettings,
  PullPoolSettings,
  StepHandlerSettings,
  WorkerPoolSettings,
} from './pool-settings.js';
import { PullWorkerAccess } from './pull-worker-access.js';
import { TaskerQueueSet, type TaskerQueues, type WorkQueue } from './queues.js';
import { resolveTaskerProps, type TaskerEngineSettings } from './resolve-engine-props.js';
import { SweepSchedule } from './sweep-schedule.js';
import { TaskIngress } from './task-ingress.js';
import { refuseMissingCallables } from './template-callables.js';
import { TaskerFunction } from './tasker-function.js';
import { deadLetterQueuesSetting, TaskerApi } from './tasker-api.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import { warnAboutNamespacesWithoutPool } from './template-namespaces.js';
import type { PullWorkerPool, TaskerWorkerPool } from './worker-pools.js';

/**
 * The tasker-serverless engine: dispatch and completion queues (with dead-letter and poison queues), the step-handler,
 * completion, sweeper and migration functions, the domain-event bus, the database, alarms and a dashboard.
 *
 * Steps run in pools. The default pool is the `StepHandler` function on the default dispatch queue; with `workerPools`,
 * each namespace has a queue of its own, consumed by a step-handler function of its own or by pull workers outside Lambda,
 * and orchestration routes each step to its namespace's queue. A Lambda pool's reserved concurrency is its
 * `maxConcurrentHandlers` (the semaphore); its event sources together never ask for more, so Lambda never throttles them
 * and a message never burns a receive on a throttle.
 *
 * @example
 * ```ts
 * const engine = new TaskerEngine(stack, 'Tasker', { database: { kind: 'rds' }, defaultPool: { kind: 'lambda', maxConcurrentHandlers: 20 } });
 * engine.stepHandler?.addToRolePolicy(statementYourHandlersNeed);
 * ```
 */
export class TaskerEngine extends Construct {
  readonly settings: TaskerEngineSettings;
  readonly queues: TaskerQueues;
  readonly database: TaskerDatabase;
  readonly events: DomainEvents;
  /** The default pool's function; undefined when `workerPools` leave the default pool out. */
  readonly stepHandler: nodejs.NodejsFunction | undefined;
  /** namespace -> its worker pool (empty without `workerPools`; the deprecated `namespaceQueues` are the default pool's). */
  readonly workerPools: ReadonlyMap<string, TaskerWorkerPool>;
  readonly completionHandler: nodejs.NodejsFunction;
  readonly sweeper: nodejs.NodejsFunction;
  /** The task-request queue's consumer, the `task.requested` rules and the schedules. */
  readonly ingress: TaskIngress;
  readonly migrator: nodejs.NodejsFunction;
  readonly migrations: Migrations;
  readonly sweepSchedule: SweepSchedule;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** The HTTP API (function URL, AWS_IAM); undefined with `api: false`. */
  readonly api: TaskerApi | undefined;
  private readonly environments: FunctionEnvironments;

  constructor(scope: Construct, id: string, props: TaskerEngineProps) {
    super(scope, id);
    this.settings = resolveTaskerProps(props);
    refuseMissingCallables(this, this.settings);
    warnAboutDeprecatedProps(this, props);
    this.queues = new TaskerQueueSet(this, 'Queues', this.settings).queues;
    this.database = new TaskerDatabaseResources(this, 'Database', this.settings.database).database;
    this.events = new DomainEvents(this, 'Events', {
      eventBusName: this.settings.eventBusName,
      archiveRetention: this.settings.archiveRetention,
      deadLetterQueue: this.queues.eventTargetDlq.queue,
    });
    this.environments = new FunctionEnvironments({
      settings: this.settings,
      queues: this.queues,
      eventBusName: this.events.bus.eventBusName,
      database: this.database,
      stack: Stack.of(this),
    });
    this.stepHandler = this.settings.defaultPool ? this.createDefaultStepHandler(this.settings.defaultPool) : undefined;
    this.workerPools = new Map(this.settings.workerPools.map((pool) => [pool.namespace, this.createWorkerPool(pool)]));
    warnAboutNamespacesWithoutPool(this, this.settings);
    this.migrator = this.createMigrator();
    this.migrations = new Migrations(this, 'Migrations', {
      migrateFunction: this.migrator,
      logRetention: this.settings.logRetention,
      after: this.database.ready,
      blockedTaskGraceMs: this.settings.blockedTaskGrace.toMilliseconds(),
      runtimeSecret: this.separateRuntimeSecret(),
    });
    for (const rotation of this.database.rotations) rotation.node.addDependency(this.migrations);
    this.completionHandler = this.createCompletionHandler();
    this.sweeper = this.createSweeper();
    this.sweepSchedule = new SweepSchedule(this, 'SweepSchedule', this.sweeper, this.settings.sweepSchedule);
    this.api = props.api === false ? undefined : this.createApi(props.api?.invokers ?? []);
    this.ingress = this.createIngress();
    const monitored = this.monitoredFunctions();
    this.alarms = new TaskerAlarms(this, 'Alarms', {
      queues: this.queues,
      functions: monitored,
      oldestMessageAge: this.settings.oldestMessageAgeThreshold,
      queueDepth: this.settings.queueDepthThreshold,
      topic: this.settings.alarmTopic,
    }).alarms;
    this.dashboard = new TaskerDashboard(this, 'Dashboard', {
      queues: this.queues,
      functions: monitored,
      alarms: this.alarms,
      pools: [...this.workerPools.values()],
    }).dashboard;
    acknowledgeNagFindings({
      engine: this,
      queues: this.queues,
      database: this.database,
      databaseProps: this.settings.database,
      vpcFunctions: [
        this.migrator,
        this.completionHandler,
        this.sweeper,
        this.ingress.function,
        ...(this.api ? [this.api.function] : []),
      ],
      migrations: this.migrations,
    });
  }

  /** The default pool: consumes the default dispatch queue and its deprecated `namespaceQueues`, their event sources sharing its concurrency. */
  private createDefaultStepHandler(pool: DefaultPoolSettings): nodejs.NodejsFunction {
    return this.createStepHandler(
      'StepHandler',
      pool,
      this.queues.defaultPoolDispatch,
      pool.queueMaxConcurrency,
      undefined,
    );
  }

  private createWorkerPool(pool: WorkerPoolSettings): TaskerWorkerPool {
    const queue = this.queues.namespaceDispatch.get(pool.namespace);
    if (queue === undefined) throw new Error(`no dispatch queue was created for worker pool '${pool.namespace}'`);
    if (pool.kind === 'pull') return this.createPullPool(pool, queue);
    const fn = this.createStepHandler(
      `StepHandler-${pool.namespace}`,
      pool,
      [queue],
      pool.maxConcurrentHandlers,
      pool.namespace,
    );
    return { kind: 'lambda', namespace: pool.namespace, queue, settings: pool, function: fn };
  }

  /** Consumes exactly `queues`; no database access. */
  private createStepHandler(
    id: string,
    spec: StepHandlerSettings,
    queues: readonly WorkQueue[],
    maxConcurrency: number,
    namespace: string | undefined,
  ): nodejs.NodejsFunction {
    const q = this.queues;
    if (spec.entry === undefined) throw new Error(`no step-handler entry was resolved for ${id}`);
    const fn = new TaskerFunction(this, id, {
      ...this.common(),
      entry: spec.entry,
      description: `tasker step handler${namespace ? ` (namespace ${namespace})` : ''}: runs a step handler against its deadline and sends the result`,
      timeout: spec.handlerTimeout,
      memorySize: spec.memorySize,
      reservedConcurrentExecutions: spec.maxConcurrentHandlers,
      environment: this.environments.stepHandler(spec),
    });
    for (const dispatch of queues) fn.function.addEventSource(this.dispatchSource(dispatch, spec, maxConcurrency));
    this.warnAboutBatches(spec, namespace);
    allowSend(fn.role, [q.completion.queue, q.poison.queue, q.domainEventDlq.queue]);
    allowPutEvents(
      fn.role,
      this.events.bus,
      namespace ? poolSources(namespace) : defaultPoolSources(this.settings.workerPools.map((p) => p.namespace)),
    );
    return fn.function;
  }

  private warnAboutBatches(spec: StepHandlerSettings, namespace: string | undefined): void {
    if (spec.dispatchBatchSize <= 1) return;
    const inFlight = spec.maxConcurrentHandlers * spec.dispatchBatchSize;
    const prefix = namespace ? `workerPools.${namespace}.` : '';
    Annotations.of(this).addWarningV2(
      `tasker:dispatchBatchSize${namespace ? `:${namespace}` : ''}`,
      `${prefix}dispatchBatchSize ${spec.dispatchBatchSize} runs a batch's steps in parallel in one invocation: up to ${inFlight} handlers in flight, not ${prefix}maxConcurrentHandlers (${spec.maxConcurrentHandlers})`,
    );
  }

  private dispatchSource(
    { queue }: WorkQueue,
    spec: StepHandlerSettings,
    maxConcurrency: number,
  ): sources.SqsEventSource {
    return new sources.SqsEventSource(queue, {
      batchSize: spec.dispatchBatchSize,
      maxBatchingWindow: spec.maxBatchingWindow,
      maxConcurrency,
      reportBatchItemFailures: true,
    });
  }

  /** The pool's queue, the policy its workers need, and the environment they read; the workers themselves run outside the stack. */
  private createPullPool(pool: PullPoolSettings, queue: WorkQueue): PullWorkerPool {
    const q = this.queues;
    const access = new PullWorkerAccess(this, `PullWorkers-${pool.namespace}`, {
      namespace: pool.namespace,
      dispatchQueue: queue.queue,
      sendQueues: [q.completion.queue, q.poison.queue, q.domainEventDlq.queue],
      bus: this.events.bus,
      createRole: pool.createRole,
      roleAssumedBy: pool.roleAssumedBy,
    });
    return {
      kind: 'pull',
      namespace: pool.namespace,
      queue,
      settings: pool,
      policy: access.policy,
      role: access.role,
      environment: this.environments.pullWorker(pool, queue),
    };
  }

  /** Consumes the completion queue; applies results and dispatches newly ready steps. */
  private createCompletionHandler(): nodejs.NodejsFunction {
    const c = this.settings.completion;
    const q = this.queues;
    const fn = new TaskerFunction(this, 'Completion', {
      ...this.databaseFunction(),
      entry: this.settings.entries.completion,
      description: 'tasker completion: applies step results to orchestration and dispatches ready steps',
      timeout: c.timeout,
      memorySize: c.memorySize,
      reservedConcurrentExecutions: c.reservedConcurrency,
      environment: {
        ...this.environments.orchestration(c.timeout),
        ...envOf({ poisonQueueUrl: q.poison.queue.queueUrl }),
      },
    });
    fn.function.addEventSource(
      new sources.SqsEventSource(q.completion.queue, {
        batchSize: c.batchSize,
        maxBatchingWindow: c.maxBatchingWindow,
        maxConcurrency: c.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.grantOrchestration(fn);
    allowSend(fn.role, [...q.allDispatch.map((d) => d.queue), q.completion.queue, q.poison.queue]);
    fn.function.node.addDependency(this.migrations);
    return fn.function;
  }

  /** Scheduled: times out overdue dispatches, re-sends the outbox, dispatches due retries. One at a time. */
  private createSweeper(): nodejs.NodejsFunction {
    const q = this.queues;
    const fn = new TaskerFunction(this, 'Sweeper', {
      ...this.databaseFunction(),
      entry: this.settings.entries.sweeper,
      description: 'tasker sweeper: times out overdue dispatches, re-sends the outbox, dispatches due retries',
      timeout: this.settings.sweeperTimeout,
      memorySize: 256,
      reservedConcurrentExecutions: 1,
      environment: this.environments.orchestration(this.settings.sweeperTimeout),
    });
    fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.grantOrchestration(fn);
    allowSend(fn.role, [...q.allDispatch.map((d) => d.queue), q.completion.queue]);
    allowCountMessages(
      fn.role,
      q.allDispatch.map((d) => d.queue),
    );
    fn.function.node.addDependency(this.migrations);
    return fn.function;
  }

  /** The HTTP API: the runtime login, the orchestration environment and the queues operators work on. */
  private createApi(invokers: readonly iam.IGrantable[]): TaskerApi {
    const q = this.queues;
    const timeout = Duration.seconds(30);
    const api = new TaskerApi(this, 'Api', {
      ...this.databaseFunction(),
      entry: this.settings.entries.api,
      timeout,
      environment: {
        ...this.environments.orchestration(timeout),
        ...envOf({
          domainEventDlqUrl: q.domainEventDlq.queue.queueUrl,
          deadLetterQueues: Stack.of(this).toJsonString(deadLetterQueuesSetting(q)),
        }),
      },
      queues: q,
      bus: this.events.bus,
      runtimeSecret: this.database.runtimeSecret,
      invokers,
    });
    api.function.node.addDependency(this.migrations);
    return api;
  }

  /**
   * The front door: the ingress function on the task-request queue (the runtime login; it sends only what creating a task
   * dispatches, and the lifecycle source's task.created/task.rejected), the task.requested rules, the schedules.
   */
  private createIngress(): TaskIngress {
    const q = this.queues;
    const ingress = new TaskIngress(this, 'Ingress', {
      settings: this.settings.ingress,
      schedules: this.settings.schedules,
      queue: q.taskRequests,
      entry: this.settings.entries.ingress,
      function: {
        ...this.databaseFunction(),
        environment: this.environments.orchestration(this.settings.ingress.timeout),
      },
      runtimeSecret: this.database.runtimeSecret,
      bus: this.events.bus,
      sendQueues: [...q.allDispatch.map((d) => d.queue), q.completion.queue],
      deliveryDlq: q.eventTargetDlq.queue,
    });
    ingress.function.node.addDependency(this.migrations);
    return ingress;
  }

  /**
   * The custom-resource handler that applies the SQL migrations, registers the task templates and creates the runtime
   * login at deploy time; database access only (both secrets).
   */
  private createMigrator(): nodejs.NodejsFunction {
    const { migrationsDir, templatesDir } = this.settings;
    const fn = new TaskerFunction(this, 'Migrate', {
      ...this.databaseFunction(),
      entry: this.settings.entries.migrate,
      description: 'tasker migrations: applies the SQL migrations at deploy time (CloudFormation custom resource)',
      timeout: this.settings.migrationTimeout,
      memorySize: 256,
      environment: this.environments.migrator(),
      bundling: {
        commandHooks: copyIntoBundleHook({
          migrations: migrationsDir,
          ...(templatesDir ? { templates: templatesDir } : {}),
        }),
      },
    });
    allowReadSecret(fn.role, this.database.secret);
    const runtimeSecret = this.separateRuntimeSecret();
    if (runtimeSecret) allowReadSecret(fn.role, runtimeSecret);
    return fn.function;
  }

  /** The runtime login's secret when it is not the owner's. */
  private separateRuntimeSecret(): secretsmanager.ISecret | undefined {
    return this.database.runtimeSecret === this.database.secret ? undefined : this.database.runtimeSecret;
  }

  /** Completion and sweeper: the runtime login, and the task lifecycle events. */
  private grantOrchestration(fn: TaskerFunction): void {
    allowReadSecret(fn.role, this.database.runtimeSecret);
    allowPutEvents(fn.role, this.events.bus, ORCHESTRATION_SOURCES);
  }

  private common() {
    return { logRetention: this.settings.logRetention, bundleAwsSdk: this.settings.bundleAwsSdk };
  }

  private databaseFunction() {
    return { ...this.common(), network: this.database.network };
  }

  private monitoredFunctions(): MonitoredFunction[] {
    const pools = [...this.workerPools.values()].flatMap((p) =>
      p.kind === 'lambda' ? [{ label: `step-handler-${p.namespace}`, function: p.function }] : [],
    );
    return [
      ...(this.stepHandler ? [{ label: 'step-handler', function: this.stepHandler }] : []),
      ...pools,
      { label: 'completion', function: this.completionHandler },
      { label: 'sweeper', function: this.sweeper },
      { label: 'ingress', function: this.ingress.function },
      ...(this.api ? [{ label: 'api', function: this.api.function }] : []),
    ];
  }
}
