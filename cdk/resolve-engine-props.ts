import { existsSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { DEFAULT_BLOCKED_TASK_GRACE_MS } from '../lib/domain/blocked-task.js';
import { databaseProblems } from './database-prop-checks.js';
import type { TaskerDatabaseProps } from './database-props.js';
import { dispatchVisibilityProblems, namespaceQueueProblems } from './deprecated-props.js';
import { TaskerEnginePropsError } from './errors.js';
import {
  defaultMigrationsDir,
  entriesProblems,
  missingStepHandlerEntryProblems,
  resolveEntries,
  type FunctionEntrySettings,
} from './function-entries.js';
import type { DefaultPoolSettings, StepHandlerSettings, WorkerPoolSettings } from './pool-settings.js';
import {
  batchProblems,
  esmConcurrencyProblems,
  integerProblems,
  MIN_MAX_RECEIVE_COUNT,
  timeoutProblems,
  visibilityFor,
  visibilityProblems,
} from './prop-checks.js';
import { resolveDefaultPool } from './resolve-default-pool.js';
import {
  ingressProblems,
  resolveIngress,
  resolveSchedules,
  scheduleProblems,
  type IngressSettings,
  type TaskScheduleSettings,
} from './resolve-ingress.js';
import { resolveLambdaPoolDefaults } from './resolve-lambda-pools.js';
import { resolveWorkerPools, workerPoolProblems } from './resolve-worker-pools.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';

export interface CompletionSettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly maxConcurrency: number;
  readonly reservedConcurrency: number | undefined;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly memorySize: number;
}

/** The props with every default applied, after validation. */
export interface TaskerEngineSettings {
  readonly database: TaskerDatabaseProps;
  /** What every Lambda pool leaves out: `lambdaPoolDefaults` with its defaults, and `functionEntries.stepHandler` as the code. */
  readonly lambdaPoolDefaults: StepHandlerSettings;
  /** The default pool (the `StepHandler` function on the default dispatch queue), or false when there is none. */
  readonly defaultPool: DefaultPoolSettings | false;
  /** One per namespace of `workerPools`, in the given order. */
  readonly workerPools: readonly WorkerPoolSettings[];
  readonly maxReceiveCount: number;
  readonly deadLetterRemovalPolicy: RemovalPolicy;
  readonly completion: CompletionSettings;
  readonly ingress: IngressSettings;
  readonly schedules: readonly TaskScheduleSettings[];
  readonly entries: FunctionEntrySettings;
  readonly blockedTaskGrace: Duration;
  readonly sweepSchedule: events.Schedule;
  readonly sweeperTimeout: Duration;
  readonly migrationTimeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logLevel: string;
  readonly eventBusName: string | undefined;
  readonly archiveRetention: Duration;
  readonly alarmTopic: sns.ITopic | undefined;
  readonly oldestMessageAgeThreshold: Duration;
  readonly queueDepthThreshold: number;
  readonly migrationsDir: string;
  readonly templatesDir: string | undefined;
  readonly bundleAwsSdk: boolean;
}

/**
 * Applies the defaults and validates; throws TaskerEnginePropsError naming every problem at once. Accepts the deprecated
 * props too (see deprecated-props.ts), with what they meant.
 *
 * @example
 * ```ts
 * resolveTaskerProps({ database: { kind: 'rds' } }).defaultPool // { kind: 'lambda', maxConcurrentHandlers: 10, ... }
 * ```
 */
export function resolveTaskerProps(props: TaskerEngineProps | undefined): TaskerEngineSettings {
  if (props === undefined || props === null) throw new TaskerEnginePropsError(databaseProblems(undefined));
  const entries = resolveEntries(props);
  const defaults = resolveLambdaPoolDefaults(props, entries.stepHandler);
  const defaultPool = resolveDefaultPool(props, defaults);
  const settings: TaskerEngineSettings = {
    database: props.database,
    lambdaPoolDefaults: defaults.settings,
    defaultPool: defaultPool.pool,
    workerPools: resolveWorkerPools(props.workerPools, defaults.settings),
    maxReceiveCount: props.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT,
    deadLetterRemovalPolicy: props.deadLetterRemovalPolicy ?? RemovalPolicy.RETAIN,
    completion: completionDefaults(props),
    ingress: resolveIngress(props.ingress),
    schedules: resolveSchedules(props.schedules),
    entries,
    ...operationalDefaults(props),
  };
  const problems = [
    ...databaseProblems(props.database),
    ...defaults.problems,
    ...defaultPool.problems,
    ...namespaceQueueProblems(props, defaultPool.pool, defaultPool.names('maxConcurrentHandlers')),
    ...integerProblems('maxReceiveCount', settings.maxReceiveCount, MIN_MAX_RECEIVE_COUNT, 1000),
    ...completionProblems(settings.completion),
    ...ingressProblems(settings.ingress),
    ...scheduleProblems(settings.schedules),
    ...timeoutProblems('sweeperTimeout', settings.sweeperTimeout),
    ...timeoutProblems('migrationTimeout', settings.migrationTimeout),
    ...entriesProblems(props, entries),
    ...missingStepHandlerEntryProblems(settings),
    ...operationalProblems(settings),
    ...workerPoolProblems(props, settings.workerPools),
    ...dispatchVisibilityProblems(props, settings.defaultPool),
  ];
  if (problems.length > 0) throw new TaskerEnginePropsError(problems);
  return settings;
}

function completionDefaults(p: TaskerEngineProps): CompletionSettings {
  const c = p.completion ?? {};
  const timeout = c.timeout ?? Duration.seconds(30);
  return {
    batchSize: c.batchSize ?? 10,
    maxBatchingWindow: c.maxBatchingWindow,
    maxConcurrency: c.maxConcurrency ?? 5,
    reservedConcurrency: c.reservedConcurrency,
    timeout,
    visibilityTimeout: c.visibilityTimeout ?? visibilityFor(timeout, c.maxBatchingWindow),
    memorySize: c.memorySize ?? 512,
  };
}

function operationalDefaults(p: TaskerEngineProps) {
  return {
    blockedTaskGrace: p.blockedTaskGrace ?? Duration.millis(DEFAULT_BLOCKED_TASK_GRACE_MS),
    sweepSchedule: p.sweepSchedule ?? events.Schedule.rate(Duration.minutes(1)),
    sweeperTimeout: p.sweeperTimeout ?? Duration.seconds(50),
    migrationTimeout: p.migrationTimeout ?? Duration.minutes(5),
    logRetention: p.logRetention ?? logs.RetentionDays.ONE_MONTH,
    logLevel: p.logLevel ?? 'info',
    eventBusName: p.eventBusName,
    archiveRetention: p.archiveRetention ?? Duration.days(30),
    alarmTopic: p.alarmTopic,
    oldestMessageAgeThreshold: p.alarmThresholds?.oldestMessageAge ?? Duration.minutes(5),
    queueDepthThreshold: p.alarmThresholds?.queueDepth ?? 1000,
    migrationsDir: p.migrationsDir ?? defaultMigrationsDir(),
    templatesDir: p.templatesDir,
    bundleAwsSdk: p.bundleAwsSdk ?? false,
  };
}

function completionProblems(c: CompletionSettings): string[] {
  const problems = [
    ...batchProblems('completion.batchSize', c.batchSize, 'completion.maxBatchingWindow', c.maxBatchingWindow),
    ...esmConcurrencyProblems('completion.maxConcurrency', c.maxConcurrency),
    ...timeoutProblems('completion.timeout', c.timeout),
    ...visibilityProblems(
      'completion.visibilityTimeout',
      c.visibilityTimeout,
      'completion.timeout',
      c.timeout,
      c.maxBatchingWindow,
    ),
    ...integerProblems('completion.memorySize', c.memorySize, 128, 10240),
  ];
  if (c.reservedConcurrency !== undefined && !(c.reservedConcurrency >= c.maxConcurrency)) {
    problems.push(
      `completion.reservedConcurrency (${c.reservedConcurrency}) must be at least completion.maxConcurrency (${c.maxConcurrency}), or throttled invocations return messages to the queue and burn receives`,
    );
  }
  return problems;
}

function operationalProblems(s: TaskerEngineSettings): string[] {
  const problems: string[] = [];
  if (s.eventBusName !== undefined && !/^[A-Za-z0-9._/-]{1,256}$/.test(s.eventBusName))
    problems.push(`eventBusName '${s.eventBusName}' is not a valid event bus name`);
  if (s.eventBusName === 'default') problems.push("eventBusName cannot be 'default': the engine creates its own bus");
  if (!existsSync(s.migrationsDir)) problems.push(`migrationsDir not found: ${s.migrationsDir}`);
  if (s.templatesDir !== undefined && !existsSync(s.templatesDir))
    problems.push(`templatesDir not found: ${s.templatesDir}`);
  if (!Number.isFinite(s.queueDepthThreshold) || s.queueDepthThreshold < 1)
    problems.push(`alarmThresholds.queueDepth must be at least 1 (got ${s.queueDepthThreshold})`);
  return problems;
}
