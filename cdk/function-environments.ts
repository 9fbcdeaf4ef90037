import type { Duration, Stack } from 'aws-cdk-lib';
import { databaseBudgetFor } from '../lib/domain/database-budget.js';
import { LAMBDA_TASK_ROOT } from './bundling.js';
import type { TaskerDatabase } from './database.js';
import { envOf, optionalEnvKey, RDS_CA_ENV } from './environment.js';
import type { PullPoolSettings, StepHandlerSettings } from './pool-settings.js';
import type { TaskerQueues, WorkQueue } from './queues.js';
import type { TaskerEngineSettings } from './resolve-engine-props.js';

/** What the environments are made of: the settings and the engine's resources. */
export interface EnvironmentSources {
  readonly settings: TaskerEngineSettings;
  readonly queues: TaskerQueues;
  readonly eventBusName: string;
  readonly database: TaskerDatabase;
  /** For the JSON of namespace -> queue URL (tokens resolve at deploy time). */
  readonly stack: Stack;
}

/** The timing a function is told: a step-handler function's own, or what every function agrees on. */
type Timing = Pick<StepHandlerSettings, 'handlerTimeout' | 'deadlineSafetyMargin' | 'maxConcurrentHandlers'>;

/**
 * The environment of each of the engine's functions, and of a pull pool's workers: names from `ENV` only (via `envOf`),
 * values from the settings and the engine's resources.
 *
 * @example
 * ```ts
 * const env = new FunctionEnvironments({ settings, queues, eventBusName: bus.eventBusName, database, stack });
 * new TaskerFunction(scope, 'Sweeper', { ..., environment: env.orchestration(settings.sweeperTimeout) });
 * ```
 */
export class FunctionEnvironments {
  constructor(private readonly sources: EnvironmentSources) {}

  /** A step-handler function: its handlers' environment, its timing, where results, poison and parked events go; no database. */
  stepHandler(spec: StepHandlerSettings): Record<string, string> {
    const q = this.sources.queues;
    return {
      ...spec.environment,
      ...this.timing(spec),
      ...envOf({
        completionQueueUrl: q.completion.queue.queueUrl,
        poisonQueueUrl: q.poison.queue.queueUrl,
        domainEventDlqUrl: q.domainEventDlq.queue.queueUrl,
        eventBusName: this.sources.eventBusName,
      }),
    };
  }

  /** The variables `tasker worker --namespace <ns>` reads: its queue, where results go, its time cap, concurrency and visibility. */
  pullWorker(pool: PullPoolSettings, queue: WorkQueue): Record<string, string> {
    const { queues: q, settings, stack } = this.sources;
    return envOf({
      namespaceQueueUrls: stack.toJsonString({ [pool.namespace]: queue.queue.queueUrl }),
      completionQueueUrl: q.completion.queue.queueUrl,
      poisonQueueUrl: q.poison.queue.queueUrl,
      domainEventDlqUrl: q.domainEventDlq.queue.queueUrl,
      eventBusName: this.sources.eventBusName,
      completionTimeoutMs: String(pool.handlerTimeout.toMilliseconds()),
      visibilityTimeoutSeconds: String(pool.visibilityTimeout.toSeconds()),
      maxConcurrentHandlers: String(pool.maxConcurrentHandlers),
      logLevel: settings.logLevel,
    });
  }

  /**
   * Completion and sweeper: orchestration routes a namespace to its own queue, else to the default pool's; with neither it
   * refuses the task (`no_worker_pool`). The database budget is the function's own: derived from its `timeout`.
   */
  orchestration(timeout: Duration): Record<string, string> {
    const { queues: q, stack } = this.sources;
    const namespaces = [...q.namespaceDispatch].map(([ns, w]) => [ns, w.queue.queueUrl] as const);
    return {
      ...this.timing(),
      ...this.databaseEnv(this.sources.database.runtimeSecret),
      ...this.databaseBudget(timeout),
      ...envOf({
        dispatchQueueUrl: q.dispatch?.queue.queueUrl,
        namespaceQueueUrls: namespaces.length > 0 ? stack.toJsonString(Object.fromEntries(namespaces)) : undefined,
        completionQueueUrl: q.completion.queue.queueUrl,
        eventBusName: this.sources.eventBusName,
      }),
    };
  }

  /**
   * The migration function: the database as its owner, the runtime login's secret (whose login it creates) when the
   * runtime has one of its own, and where the bundled task templates are (when there are any).
   */
  migrator(): Record<string, string> {
    const { settings, database } = this.sources;
    const templatesKey = optionalEnvKey('templatesDir');
    const runtimeSecretArn = database.runtimeSecret === database.secret ? undefined : database.runtimeSecret.secretArn;
    return {
      ...this.databaseEnv(database.secret),
      ...envOf({
        logLevel: settings.logLevel,
        databaseRuntimeSecretArn: runtimeSecretArn,
        ...(settings.templatesDir && templatesKey ? { [templatesKey]: `${LAMBDA_TASK_ROOT}/templates` } : {}),
      }),
    };
  }

  /**
   * The timing every function agrees on: the handler timeout is the step handler's function timeout (a pool's: its own;
   * for the other functions, the default pool's, or without one the Lambda pool defaults).
   */
  private timing(
    spec: Timing = this.sources.settings.defaultPool || this.sources.settings.lambdaPoolDefaults,
  ): Record<string, string> {
    const { settings } = this.sources;
    return envOf({
      handlerTimeoutMs: String(spec.handlerTimeout.toMilliseconds()),
      safetyMarginMs: String(spec.deadlineSafetyMargin.toMilliseconds()),
      maxConcurrentHandlers: String(spec.maxConcurrentHandlers),
      completionTimeoutMs: String(settings.completion.timeout.toMilliseconds()),
      logLevel: settings.logLevel,
    });
  }

  /** Statement, lock and idle-transaction timeouts well below the function's timeout (see databaseBudgetFor). */
  private databaseBudget(timeout: Duration): Record<string, string> {
    const b = databaseBudgetFor(timeout.toMilliseconds());
    return envOf({
      databaseStatementTimeoutMs: String(b.statementTimeoutMs),
      databaseLockTimeoutMs: String(b.lockTimeoutMs),
      databaseIdleInTransactionTimeoutMs: String(b.idleInTransactionTimeoutMs),
    });
  }

  /** A secret (and the RDS Proxy endpoint, once the runtime config names it), and trust in the RDS certificate authorities. */
  private databaseEnv(secret: TaskerDatabase['secret']): Record<string, string> {
    const { database } = this.sources;
    const hostKey = optionalEnvKey('databaseHost');
    return {
      ...envOf({ databaseSecretArn: secret.secretArn, ...(hostKey ? { [hostKey]: database.host } : {}) }),
      ...RDS_CA_ENV,
    };
  }
}
