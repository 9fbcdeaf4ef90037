import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { databaseProblems } from './database-props.js';
import {
  batchProblems,
  environmentProblems,
  integerProblems,
  MAX_ESM_CONCURRENCY,
  MIN_ESM_CONCURRENCY,
  MIN_MAX_RECEIVE_COUNT,
  safetyMarginProblems,
  timeoutProblems,
  visibilityFor,
  visibilityProblems,
} from './prop-checks.js';
import type { TaskerDatabaseProps, TaskerEngineProps } from './tasker-engine-props.js';
import { hasDefaultPool, resolveWorkerPools, workerPoolProblems, type StepHandlerSettings, type WorkerPoolSettings } from './worker-pool-props.js';

export { MAX_ESM_CONCURRENCY, MAX_LAMBDA_TIMEOUT, MAX_VISIBILITY_TIMEOUT, MIN_ESM_CONCURRENCY, MIN_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR, visibilityFor } from './prop-checks.js';

/** TaskerEngine props that cannot be deployed; lists every problem at once. */
export class TaskerEnginePropsError extends Error {
  override readonly name = 'TaskerEnginePropsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid TaskerEngine props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface CompletionSettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly maxConcurrency: number;
  readonly reservedConcurrency: number | undefined;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly memorySize: number;
}

export interface FunctionEntrySettings {
  readonly stepHandler: string;
  readonly completion: string;
  readonly sweeper: string;
  readonly migrate: string;
}

/** The props with every default applied, after validation. */
export interface TaskerEngineSettings {
  readonly database: TaskerDatabaseProps;
  readonly maxConcurrentHandlers: number;
  readonly handlerTimeout: Duration;
  readonly deadlineSafetyMargin: Duration;
  readonly dispatchBatchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly dispatchVisibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly namespaceQueues: readonly string[];
  /** The `maxConcurrency` of each dispatch queue's event source: the handler concurrency split evenly. */
  readonly dispatchMaxConcurrency: number;
  readonly completion: CompletionSettings;
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
  readonly entries: FunctionEntrySettings;
  readonly stepHandlerMemorySize: number;
  readonly stepHandlerEnvironment: Readonly<Record<string, string>>;
  readonly migrationsDir: string;
  readonly templatesDir: string | undefined;
  readonly bundleAwsSdk: boolean;
  /** The default pool (the `StepHandler` function on the default dispatch queue) exists. */
  readonly defaultPool: boolean;
  /** One per namespace of `workerPools`, in the given order. */
  readonly workerPools: readonly WorkerPoolSettings[];
}

/** Applies the defaults and validates; throws TaskerEnginePropsError naming every problem. */
export function resolveTaskerProps(props: TaskerEngineProps | undefined): TaskerEngineSettings {
  if (props === undefined || props === null) throw new TaskerEnginePropsError([databaseRequired()]);
  const settings = withDefaults(props);
  const problems = [...databaseProblems(props.database), ...settingsProblems(settings), ...workerPoolProblems(props, settings.workerPools)];
  if (problems.length > 0) throw new TaskerEnginePropsError(problems);
  return settings;
}

function withDefaults(p: TaskerEngineProps): TaskerEngineSettings {
  const handlerTimeout = p.handlerTimeout ?? Duration.seconds(30);
  const maxConcurrentHandlers = p.maxConcurrentHandlers ?? 10;
  const namespaceQueues = p.namespaceQueues ?? [];
  const operational = operationalDefaults(p);
  const deadlineSafetyMargin = p.deadlineSafetyMargin ?? Duration.seconds(2);
  const dispatchBatchSize = p.dispatchBatchSize ?? 1;
  const stepHandler: StepHandlerSettings = {
    maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin,
    dispatchBatchSize,
    maxBatchingWindow: p.maxBatchingWindow,
    entry: operational.entries.stepHandler,
    memorySize: operational.stepHandlerMemorySize,
    environment: operational.stepHandlerEnvironment,
  };
  return {
    database: p.database,
    maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin,
    dispatchBatchSize,
    maxBatchingWindow: p.maxBatchingWindow,
    dispatchVisibilityTimeout: p.dispatchVisibilityTimeout ?? visibilityFor(handlerTimeout, p.maxBatchingWindow),
    maxReceiveCount: p.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT,
    namespaceQueues,
    dispatchMaxConcurrency: Math.floor(maxConcurrentHandlers / (1 + namespaceQueues.length)),
    completion: completionDefaults(p),
    ...operational,
    defaultPool: hasDefaultPool(p),
    workerPools: resolveWorkerPools(p.workerPools, stepHandler),
  };
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
    entries: entriesOf(p),
    stepHandlerMemorySize: p.stepHandlerMemorySize ?? 512,
    stepHandlerEnvironment: p.stepHandlerEnvironment ?? {},
    migrationsDir: p.migrationsDir ?? defaultMigrationsDir(),
    templatesDir: p.templatesDir,
    bundleAwsSdk: p.bundleAwsSdk ?? false,
  };
}

function entriesOf(p: TaskerEngineProps): FunctionEntrySettings {
  return {
    stepHandler: p.stepHandlerEntry ?? defaultEntry('step-handler'),
    completion: p.functionEntries?.completion ?? defaultEntry('completion'),
    sweeper: p.functionEntries?.sweeper ?? defaultEntry('sweeper'),
    migrate: p.functionEntries?.migrate ?? defaultEntry('migrate'),
  };
}

/** The engine's own entry files, found next to this package (so the construct works from node_modules too). */
export function defaultEntry(name: string): string {
  return fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));
}

/** The engine's SQL migrations (lib/adapters/postgres/migrations), next to this package. */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../lib/adapters/postgres/migrations', import.meta.url));
}

function databaseRequired(): string {
  return "database is required: pass { kind: 'existing', secret, vpc } to use your PostgreSQL, or { kind: 'rds' } to create one";
}

function settingsProblems(s: TaskerEngineSettings): string[] {
  return [
    ...concurrencyProblems(s),
    ...dispatchTimingProblems(s),
    ...batchProblems('dispatchBatchSize', s.dispatchBatchSize, 'maxBatchingWindow', s.maxBatchingWindow),
    ...integerProblems('maxReceiveCount', s.maxReceiveCount, MIN_MAX_RECEIVE_COUNT, 1000),
    ...namespaceProblems(s.namespaceQueues),
    ...completionProblems(s.completion),
    ...timeoutProblems('sweeperTimeout', s.sweeperTimeout),
    ...timeoutProblems('migrationTimeout', s.migrationTimeout),
    ...entryProblems(s.entries),
    ...miscProblems(s),
  ];
}

function concurrencyProblems(s: TaskerEngineSettings): string[] {
  const own = integerProblems('maxConcurrentHandlers', s.maxConcurrentHandlers, MIN_ESM_CONCURRENCY, MAX_ESM_CONCURRENCY, ' (the SQS event source maxConcurrency minimum is 2)');
  if (own.length > 0 || s.namespaceQueues.length === 0 || s.dispatchMaxConcurrency >= MIN_ESM_CONCURRENCY) return own;
  const queues = 1 + s.namespaceQueues.length;
  return [`maxConcurrentHandlers ${s.maxConcurrentHandlers} split over ${queues} dispatch queues gives ${s.dispatchMaxConcurrency} per queue; each needs at least ${MIN_ESM_CONCURRENCY}, so use at least ${queues * MIN_ESM_CONCURRENCY}`];
}

function dispatchTimingProblems(s: TaskerEngineSettings): string[] {
  return [
    ...timeoutProblems('handlerTimeout', s.handlerTimeout),
    ...safetyMarginProblems('deadlineSafetyMargin', s.deadlineSafetyMargin, 'handlerTimeout', s.handlerTimeout),
    ...visibilityProblems('dispatchVisibilityTimeout', s.dispatchVisibilityTimeout, 'handlerTimeout', s.handlerTimeout, s.maxBatchingWindow),
  ];
}

function completionProblems(c: CompletionSettings): string[] {
  const problems = [
    ...batchProblems('completion.batchSize', c.batchSize, 'completion.maxBatchingWindow', c.maxBatchingWindow),
    ...integerProblems('completion.maxConcurrency', c.maxConcurrency, MIN_ESM_CONCURRENCY, MAX_ESM_CONCURRENCY, ' (the SQS event source maxConcurrency minimum is 2)'),
    ...timeoutProblems('completion.timeout', c.timeout),
    ...visibilityProblems('completion.visibilityTimeout', c.visibilityTimeout, 'completion.timeout', c.timeout, c.maxBatchingWindow),
    ...integerProblems('completion.memorySize', c.memorySize, 128, 10240),
  ];
  if (c.reservedConcurrency !== undefined && !(c.reservedConcurrency >= c.maxConcurrency)) {
    problems.push(`completion.reservedConcurrency (${c.reservedConcurrency}) must be at least completion.maxConcurrency (${c.maxConcurrency}), or throttled invocations return messages to the queue and burn receives`);
  }
  return problems;
}

function namespaceProblems(namespaces: readonly string[]): string[] {
  const problems = namespaces.filter((n) => !/^[A-Za-z0-9_-]{1,64}$/.test(n)).map((n) => `namespaceQueues: '${n}' is not a valid namespace (letters, digits, '-' and '_', at most 64)`);
  const duplicates = namespaces.filter((n, i) => namespaces.indexOf(n) !== i);
  if (duplicates.length > 0) problems.push(`namespaceQueues: duplicates ${[...new Set(duplicates)].join(', ')}`);
  return problems;
}

function entryProblems(entries: FunctionEntrySettings): string[] {
  return Object.entries(entries)
    .filter(([, file]) => !existsSync(file))
    .map(([name, file]) => `${name} entry file not found: ${file}`);
}

function miscProblems(s: TaskerEngineSettings): string[] {
  const problems = integerProblems('stepHandlerMemorySize', s.stepHandlerMemorySize, 128, 10240);
  if (s.eventBusName !== undefined && !/^[A-Za-z0-9._/-]{1,256}$/.test(s.eventBusName)) problems.push(`eventBusName '${s.eventBusName}' is not a valid event bus name`);
  if (s.eventBusName === 'default') problems.push("eventBusName cannot be 'default': the engine creates its own bus");
  if (!existsSync(s.migrationsDir)) problems.push(`migrationsDir not found: ${s.migrationsDir}`);
  if (s.templatesDir !== undefined && !existsSync(s.templatesDir)) problems.push(`templatesDir not found: ${s.templatesDir}`);
  problems.push(...environmentProblems('stepHandlerEnvironment', s.stepHandlerEnvironment));
  if (!Number.isFinite(s.queueDepthThreshold) || s.queueDepthThreshold < 1) problems.push(`alarmThresholds.queueDepth must be at least 1 (got ${s.queueDepthThreshold})`);
  return problems;
}
