import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { ENV } from '../lib/contracts/runtime-config.js';
import { databaseProblems } from './database-props.js';
import type { TaskerDatabaseProps, TaskerEngineProps } from './tasker-engine-props.js';

/** TaskerEngine props that cannot be deployed; lists every problem at once. */
export class TaskerEnginePropsError extends Error {
  override readonly name = 'TaskerEnginePropsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid TaskerEngine props:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Lambda's longest function timeout. */
export const MAX_LAMBDA_TIMEOUT = Duration.seconds(900);
/** SQS's longest visibility timeout. */
export const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** AWS: the queue's visibility timeout should be at least six times the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** The SQS event source's `maxConcurrency` must be between 2 and 1000. */
export const MIN_ESM_CONCURRENCY = 2;
export const MAX_ESM_CONCURRENCY = 1000;
export const MIN_MAX_RECEIVE_COUNT = 5;

const RESERVED_ENV_NAMES: ReadonlySet<string> = new Set([...Object.values(ENV), 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

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
}

/** Applies the defaults and validates; throws TaskerEnginePropsError naming every problem. */
export function resolveTaskerProps(props: TaskerEngineProps | undefined): TaskerEngineSettings {
  if (props === undefined || props === null) throw new TaskerEnginePropsError([databaseRequired()]);
  const settings = withDefaults(props);
  const problems = [...databaseProblems(props.database), ...settingsProblems(settings)];
  if (problems.length > 0) throw new TaskerEnginePropsError(problems);
  return settings;
}

function withDefaults(p: TaskerEngineProps): TaskerEngineSettings {
  const handlerTimeout = p.handlerTimeout ?? Duration.seconds(30);
  const maxConcurrentHandlers = p.maxConcurrentHandlers ?? 10;
  const namespaceQueues = p.namespaceQueues ?? [];
  return {
    database: p.database,
    maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin: p.deadlineSafetyMargin ?? Duration.seconds(2),
    dispatchBatchSize: p.dispatchBatchSize ?? 1,
    maxBatchingWindow: p.maxBatchingWindow,
    dispatchVisibilityTimeout: p.dispatchVisibilityTimeout ?? visibilityFor(handlerTimeout, p.maxBatchingWindow),
    maxReceiveCount: p.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT,
    namespaceQueues,
    dispatchMaxConcurrency: Math.floor(maxConcurrentHandlers / (1 + namespaceQueues.length)),
    completion: completionDefaults(p),
    ...operationalDefaults(p),
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

/** 6 x the function timeout, plus the batching window (AWS's guidance for SQS event sources). */
export function visibilityFor(timeout: Duration, batchingWindow: Duration | undefined): Duration {
  const ms = VISIBILITY_TIMEOUT_FACTOR * timeout.toMilliseconds() + (batchingWindow?.toMilliseconds() ?? 0);
  return Duration.seconds(Math.ceil(ms / 1000));
}

function secondsOf(d: Duration): number {
  return d.toMilliseconds() / 1000;
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
  const problems = timeoutProblems('handlerTimeout', s.handlerTimeout);
  const margin = s.deadlineSafetyMargin.toMilliseconds();
  if (!Number.isInteger(margin) || margin < 1) problems.push(`deadlineSafetyMargin must be a positive whole number of milliseconds (got ${margin} ms)`);
  else if (margin >= s.handlerTimeout.toMilliseconds()) problems.push(`deadlineSafetyMargin (${margin} ms) must be less than handlerTimeout (${s.handlerTimeout.toMilliseconds()} ms)`);
  return [...problems, ...visibilityProblems('dispatchVisibilityTimeout', s.dispatchVisibilityTimeout, 'handlerTimeout', s.handlerTimeout, s.maxBatchingWindow)];
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

function visibilityProblems(name: string, visibility: Duration, timeoutName: string, timeout: Duration, window: Duration | undefined): string[] {
  const needed = visibilityFor(timeout, window).toSeconds();
  const got = secondsOf(visibility);
  if (got > MAX_VISIBILITY_TIMEOUT.toSeconds()) return [`${name} (${got} s) exceeds the SQS maximum of ${MAX_VISIBILITY_TIMEOUT.toSeconds()} s`];
  if (got >= needed) return [];
  return [`${timeoutName} (${secondsOf(timeout)} s) is too long for ${name} (${got} s): the visibility timeout must be at least 6 x the function timeout + the batching window = ${needed} s`];
}

function timeoutProblems(name: string, timeout: Duration): string[] {
  const ms = timeout.toMilliseconds();
  if (ms % 1000 !== 0 || ms < 1000) return [`${name} must be a whole number of seconds, at least 1 s (got ${ms} ms)`];
  if (ms > MAX_LAMBDA_TIMEOUT.toMilliseconds()) return [`${name} (${ms / 1000} s) exceeds the Lambda maximum of 900 s`];
  return [];
}

function batchProblems(sizeName: string, size: number, windowName: string, window: Duration | undefined): string[] {
  const problems = integerProblems(sizeName, size, 1, 10);
  if (window !== undefined && secondsOf(window) > 300) problems.push(`${windowName} (${secondsOf(window)} s) exceeds the SQS event source maximum of 300 s`);
  return problems;
}

function integerProblems(name: string, value: number, min: number, max: number, why = ''): string[] {
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [`${name} must be an integer from ${min} to ${max}${why} (got ${String(value)})`];
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
  const clashes = Object.keys(s.stepHandlerEnvironment).filter((name) => RESERVED_ENV_NAMES.has(name));
  if (clashes.length > 0) problems.push(`stepHandlerEnvironment must not set the engine's own variables: ${clashes.join(', ')}`);
  if (!Number.isFinite(s.queueDepthThreshold) || s.queueDepthThreshold < 1) problems.push(`alarmThresholds.queueDepth must be at least 1 (got ${s.queueDepthThreshold})`);
  return problems;
}
