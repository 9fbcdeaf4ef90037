import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { TaskerAlarms, type MonitoredFunction } from './alarms.js';
import { copyIntoBundleHook, LAMBDA_TASK_ROOT } from './bundling.js';
import { TaskerDashboard } from './dashboard.js';
import { TaskerDatabaseResources, type TaskerDatabase } from './database.js';
import { DomainEvents } from './domain-events.js';
import { envOf, optionalEnvKey, RDS_CA_ENV } from './environment.js';
import { Migrations } from './migrations.js';
import { allowPutEvents, allowReadSecret, allowSend } from './permissions.js';
import { resolveTaskerProps, type TaskerEngineSettings } from './props.js';
import { TaskerQueueSet, type TaskerQueues, type WorkQueue } from './queues.js';
import { SweepSchedule } from './sweep-schedule.js';
import { TaskerFunction } from './tasker-function.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';

/**
 * The tasker-serverless engine: dispatch and completion queues (with dead-letter and poison queues), the step-handler,
 * completion, sweeper and migration functions, the domain-event bus, the database, alarms and a dashboard.
 *
 * The step handler's reserved concurrency is `maxConcurrentHandlers` (the semaphore); the dispatch event sources together
 * never ask for more, so Lambda never throttles them and a message never burns a receive on a throttle.
 */
export class TaskerEngine extends Construct {
  readonly settings: TaskerEngineSettings;
  readonly queues: TaskerQueues;
  readonly database: TaskerDatabase;
  readonly events: DomainEvents;
  readonly stepHandler: nodejs.NodejsFunction;
  readonly completionHandler: nodejs.NodejsFunction;
  readonly sweeper: nodejs.NodejsFunction;
  readonly migrator: nodejs.NodejsFunction;
  readonly migrations: Migrations;
  readonly sweepSchedule: SweepSchedule;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TaskerEngineProps) {
    super(scope, id);
    this.settings = resolveTaskerProps(props);
    this.queues = new TaskerQueueSet(this, 'Queues', this.settings).queues;
    this.database = new TaskerDatabaseResources(this, 'Database', this.settings.database).database;
    this.events = new DomainEvents(this, 'Events', {
      eventBusName: this.settings.eventBusName,
      archiveRetention: this.settings.archiveRetention,
      deadLetterQueue: this.queues.eventTargetDlq.queue,
    });
    this.stepHandler = this.createStepHandler();
    this.migrator = this.createMigrator();
    this.migrations = new Migrations(this, 'Migrations', { migrateFunction: this.migrator, logRetention: this.settings.logRetention, after: this.database.ready });
    this.completionHandler = this.createCompletionHandler();
    this.sweeper = this.createSweeper();
    this.sweepSchedule = new SweepSchedule(this, 'SweepSchedule', this.sweeper, this.settings.sweepSchedule);
    const monitored = this.monitoredFunctions();
    this.alarms = new TaskerAlarms(this, 'Alarms', { queues: this.queues, functions: monitored, oldestMessageAge: this.settings.oldestMessageAgeThreshold, queueDepth: this.settings.queueDepthThreshold, topic: this.settings.alarmTopic }).alarms;
    this.dashboard = new TaskerDashboard(this, 'Dashboard', { queues: this.queues, functions: monitored, alarms: this.alarms }).dashboard;
  }

  /** Consumes the dispatch queue(s); no database access. */
  private createStepHandler(): nodejs.NodejsFunction {
    const s = this.settings;
    const q = this.queues;
    const fn = new TaskerFunction(this, 'StepHandler', {
      ...this.common(),
      entry: s.entries.stepHandler,
      description: 'tasker step handler: runs a step handler against its deadline and sends the result',
      timeout: s.handlerTimeout,
      memorySize: s.stepHandlerMemorySize,
      reservedConcurrentExecutions: s.maxConcurrentHandlers,
      environment: {
        ...s.stepHandlerEnvironment,
        ...this.timingEnv(),
        ...envOf({ completionQueueUrl: q.completion.queue.queueUrl, poisonQueueUrl: q.poison.queue.queueUrl, domainEventDlqUrl: q.domainEventDlq.queue.queueUrl, eventBusName: this.events.bus.eventBusName }),
      },
    });
    for (const dispatch of q.allDispatch) fn.function.addEventSource(this.dispatchSource(dispatch));
    if (s.dispatchBatchSize > 1) {
      const inFlight = s.maxConcurrentHandlers * s.dispatchBatchSize;
      Annotations.of(this).addWarningV2('tasker:dispatchBatchSize', `dispatchBatchSize ${s.dispatchBatchSize} runs a batch's steps in parallel in one invocation: up to ${inFlight} handlers in flight, not maxConcurrentHandlers (${s.maxConcurrentHandlers})`);
    }
    allowSend(fn.role, [q.completion.queue, q.poison.queue, q.domainEventDlq.queue]);
    allowPutEvents(fn.role, this.events.bus);
    return fn.function;
  }

  private dispatchSource({ queue }: WorkQueue): sources.SqsEventSource {
    return new sources.SqsEventSource(queue, {
      batchSize: this.settings.dispatchBatchSize,
      maxBatchingWindow: this.settings.maxBatchingWindow,
      maxConcurrency: this.settings.dispatchMaxConcurrency,
      reportBatchItemFailures: true,
    });
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
      environment: { ...this.orchestrationEnv(), ...envOf({ poisonQueueUrl: q.poison.queue.queueUrl }) },
    });
    fn.function.addEventSource(new sources.SqsEventSource(q.completion.queue, { batchSize: c.batchSize, maxBatchingWindow: c.maxBatchingWindow, maxConcurrency: c.maxConcurrency, reportBatchItemFailures: true }));
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
      environment: this.orchestrationEnv(),
    });
    fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.grantOrchestration(fn);
    allowSend(fn.role, [...q.allDispatch.map((d) => d.queue), q.completion.queue]);
    fn.function.node.addDependency(this.migrations);
    return fn.function;
  }

  /** The custom-resource handler that applies the SQL migrations (and registers the task templates) at deploy time; database access only. */
  private createMigrator(): nodejs.NodejsFunction {
    const { migrationsDir, templatesDir } = this.settings;
    const templatesKey = optionalEnvKey('templatesDir');
    const fn = new TaskerFunction(this, 'Migrate', {
      ...this.databaseFunction(),
      entry: this.settings.entries.migrate,
      description: 'tasker migrations: applies the SQL migrations at deploy time (CloudFormation custom resource)',
      timeout: this.settings.migrationTimeout,
      memorySize: 256,
      environment: {
        ...this.databaseEnv(),
        ...envOf({ logLevel: this.settings.logLevel, ...(templatesDir && templatesKey ? { [templatesKey]: `${LAMBDA_TASK_ROOT}/templates` } : {}) }),
      },
      bundling: { commandHooks: copyIntoBundleHook({ migrations: migrationsDir, ...(templatesDir ? { templates: templatesDir } : {}) }) },
    });
    allowReadSecret(fn.role, this.database.secret);
    return fn.function;
  }

  private grantOrchestration(fn: TaskerFunction): void {
    allowReadSecret(fn.role, this.database.secret);
    allowPutEvents(fn.role, this.events.bus);
  }

  private common() {
    return { logRetention: this.settings.logRetention, bundleAwsSdk: this.settings.bundleAwsSdk };
  }

  private databaseFunction() {
    return { ...this.common(), network: this.database.network };
  }

  /** The timing every function agrees on: the handler timeout is the step handler's function timeout. */
  private timingEnv(): Record<string, string> {
    const s = this.settings;
    return envOf({
      handlerTimeoutMs: String(s.handlerTimeout.toMilliseconds()),
      safetyMarginMs: String(s.deadlineSafetyMargin.toMilliseconds()),
      maxConcurrentHandlers: String(s.maxConcurrentHandlers),
      completionTimeoutMs: String(s.completion.timeout.toMilliseconds()),
      logLevel: s.logLevel,
    });
  }

  private databaseEnv(): Record<string, string> {
    const hostKey = optionalEnvKey('databaseHost');
    const env = envOf({ databaseSecretArn: this.database.secret.secretArn, ...(hostKey ? { [hostKey]: this.database.host } : {}) });
    return { ...env, ...RDS_CA_ENV };
  }

  private orchestrationEnv(): Record<string, string> {
    const q = this.queues;
    const namespaces = [...q.namespaceDispatch].map(([ns, w]) => [ns, w.queue.queueUrl] as const);
    return {
      ...this.timingEnv(),
      ...this.databaseEnv(),
      ...envOf({
        dispatchQueueUrl: q.dispatch.queue.queueUrl,
        namespaceQueueUrls: namespaces.length > 0 ? Stack.of(this).toJsonString(Object.fromEntries(namespaces)) : undefined,
        completionQueueUrl: q.completion.queue.queueUrl,
        eventBusName: this.events.bus.eventBusName,
      }),
    };
  }

  private monitoredFunctions(): MonitoredFunction[] {
    return [
      { label: 'step-handler', function: this.stepHandler },
      { label: 'completion', function: this.completionHandler },
      { label: 'sweeper', function: this.sweeper },
    ];
  }
}
