import { existsSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { MAX_STEP_TIMEOUT_SECONDS, NAME_PATTERN } from '../lib/contracts/task-template-file.js';
import {
  batchProblems,
  environmentProblems,
  integerProblems,
  MAX_ESM_CONCURRENCY,
  MAX_VISIBILITY_TIMEOUT,
  MIN_ESM_CONCURRENCY,
  safetyMarginProblems,
  secondsOf,
  timeoutProblems,
  visibilityFor,
  visibilityProblems,
} from './prop-checks.js';
import type { LambdaWorkerPoolProps, PullWorkerPoolProps, TaskerEngineProps, WorkerPoolProps } from './tasker-engine-props.js';

/** What a step-handler function runs with: the default pool's, or a Lambda pool's. */
export interface StepHandlerSettings {
  readonly maxConcurrentHandlers: number;
  readonly handlerTimeout: Duration;
  readonly deadlineSafetyMargin: Duration;
  readonly dispatchBatchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  readonly entry: string;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
}

export interface LambdaPoolSettings extends StepHandlerSettings {
  readonly kind: 'lambda';
  readonly namespace: string;
  readonly visibilityTimeout: Duration;
}

export interface PullPoolSettings {
  readonly kind: 'pull';
  readonly namespace: string;
  readonly visibilityTimeout: Duration;
  readonly handlerTimeout: Duration;
  readonly maxConcurrentHandlers: number;
  readonly createRole: boolean;
  readonly roleAssumedBy: iam.IPrincipal | undefined;
}

export type WorkerPoolSettings = LambdaPoolSettings | PullPoolSettings;

/** The pull worker's own default visibility timeout (lib/worker/pull): the queue's matches it. */
export const PULL_DEFAULT_VISIBILITY_TIMEOUT = Duration.seconds(30);
/** Workers heartbeat every third of the visibility timeout: below 6 s that is more often than every 2 s. */
export const PULL_MIN_VISIBILITY_TIMEOUT = Duration.seconds(6);
export const PULL_DEFAULT_HANDLER_TIMEOUT = Duration.seconds(30);
/** No step may run longer (`timeout_seconds` of a task template), so a longer cap would never apply. */
export const PULL_MAX_HANDLER_TIMEOUT = Duration.seconds(MAX_STEP_TIMEOUT_SECONDS);
export const PULL_DEFAULT_CONCURRENCY = 10;
const MAX_NAMESPACE_LENGTH = 128;

/** The pools with their defaults; a Lambda pool's left-out settings are the engine's step-handler settings. Pools of an unknown kind are left out (and reported by `workerPoolProblems`). */
export function resolveWorkerPools(pools: TaskerEngineProps['workerPools'], defaults: StepHandlerSettings): WorkerPoolSettings[] {
  return Object.entries(poolsObject(pools) ?? {}).flatMap(([namespace, pool]): WorkerPoolSettings[] => {
    if (pool?.kind === 'lambda') return [lambdaPool(namespace, pool, defaults)];
    if (pool?.kind === 'pull') return [pullPool(namespace, pool)];
    return [];
  });
}

function lambdaPool(namespace: string, p: LambdaWorkerPoolProps, d: StepHandlerSettings): LambdaPoolSettings {
  const handlerTimeout = p.handlerTimeout ?? d.handlerTimeout;
  const maxBatchingWindow = p.maxBatchingWindow ?? d.maxBatchingWindow;
  return {
    kind: 'lambda',
    namespace,
    maxConcurrentHandlers: p.maxConcurrentHandlers ?? d.maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin: p.deadlineSafetyMargin ?? d.deadlineSafetyMargin,
    dispatchBatchSize: p.dispatchBatchSize ?? d.dispatchBatchSize,
    maxBatchingWindow,
    visibilityTimeout: p.visibilityTimeout ?? visibilityFor(handlerTimeout, maxBatchingWindow),
    entry: p.entry ?? d.entry,
    memorySize: p.memorySize ?? d.memorySize,
    environment: { ...d.environment, ...(p.environment ?? {}) },
  };
}

function pullPool(namespace: string, p: PullWorkerPoolProps): PullPoolSettings {
  return {
    kind: 'pull',
    namespace,
    visibilityTimeout: p.visibilityTimeout ?? PULL_DEFAULT_VISIBILITY_TIMEOUT,
    handlerTimeout: p.handlerTimeout ?? PULL_DEFAULT_HANDLER_TIMEOUT,
    maxConcurrentHandlers: p.maxConcurrentHandlers ?? PULL_DEFAULT_CONCURRENCY,
    createRole: p.createRole ?? false,
    roleAssumedBy: p.roleAssumedBy,
  };
}

/** Whether the default pool exists: explicitly, or because there are no pools. */
export function hasDefaultPool(props: TaskerEngineProps): boolean {
  return props.defaultPool ?? props.workerPools === undefined;
}

/** Everything wrong with `workerPools` and `defaultPool`: the combination, every namespace, every pool. */
export function workerPoolProblems(props: TaskerEngineProps, pools: readonly WorkerPoolSettings[]): string[] {
  if (props.workerPools === undefined) return props.defaultPool === false ? ['defaultPool: false leaves no pool to run any step: give workerPools'] : [];
  const raw = poolsObject(props.workerPools);
  if (raw === undefined) return ['workerPools must be an object: namespace -> { kind: \'lambda\', ... } or { kind: \'pull\', ... }'];
  return [...combinationProblems(props, raw), ...Object.entries(raw).flatMap(([ns, pool]) => rawPoolProblems(ns, pool)), ...pools.flatMap(poolProblems)];
}

function combinationProblems(props: TaskerEngineProps, raw: Readonly<Record<string, WorkerPoolProps>>): string[] {
  const problems: string[] = [];
  const withDefault = hasDefaultPool(props);
  if (Object.keys(raw).length === 0 && !withDefault) problems.push('workerPools is empty and there is no default pool: give at least one pool, or leave workerPools out for one default pool');
  if ((props.namespaceQueues ?? []).length > 0) problems.push('namespaceQueues cannot be combined with workerPools: give each of those namespaces a pool of its own');
  if (!withDefault && props.dispatchVisibilityTimeout !== undefined) problems.push("dispatchVisibilityTimeout is the default pool's queue setting, and there is no default pool: set visibilityTimeout on the pools instead");
  return problems;
}

/** The namespace, the kind, and what no resolved setting shows (a Lambda pool's own environment, a role principal without a role). */
function rawPoolProblems(namespace: string, pool: WorkerPoolProps | undefined): string[] {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(namespace) || namespace.length > MAX_NAMESPACE_LENGTH) {
    problems.push(`workerPools: '${namespace}' is not a valid namespace: template namespaces are lower-case snake_case (${NAME_PATTERN.source}), at most ${MAX_NAMESPACE_LENGTH} characters`);
  }
  const kind = (pool as { kind?: unknown } | undefined)?.kind;
  if (kind !== 'lambda' && kind !== 'pull') return [...problems, `workerPools.${namespace}.kind must be 'lambda' or 'pull' (got ${JSON.stringify(kind)})`];
  if (pool?.kind === 'lambda') problems.push(...environmentProblems(`workerPools.${namespace}.environment`, pool.environment ?? {}));
  if (pool?.kind === 'pull' && pool.roleAssumedBy !== undefined && pool.createRole !== true) problems.push(`workerPools.${namespace}.roleAssumedBy applies to the role the engine creates: set createRole: true too`);
  return problems;
}

function poolProblems(pool: WorkerPoolSettings): string[] {
  return pool.kind === 'lambda' ? lambdaPoolProblems(pool) : pullPoolProblems(pool);
}

/** The rules of the default pool, for this pool's own function and queue. */
function lambdaPoolProblems(p: LambdaPoolSettings): string[] {
  const name = (setting: string) => `workerPools.${p.namespace}.${setting}`;
  const problems = [
    ...integerProblems(name('maxConcurrentHandlers'), p.maxConcurrentHandlers, MIN_ESM_CONCURRENCY, MAX_ESM_CONCURRENCY, ' (the SQS event source maxConcurrency minimum is 2)'),
    ...timeoutProblems(name('handlerTimeout'), p.handlerTimeout),
    ...safetyMarginProblems(name('deadlineSafetyMargin'), p.deadlineSafetyMargin, name('handlerTimeout'), p.handlerTimeout),
    ...visibilityProblems(name('visibilityTimeout'), p.visibilityTimeout, name('handlerTimeout'), p.handlerTimeout, p.maxBatchingWindow),
    ...batchProblems(name('dispatchBatchSize'), p.dispatchBatchSize, name('maxBatchingWindow'), p.maxBatchingWindow),
    ...integerProblems(name('memorySize'), p.memorySize, 128, 10240),
  ];
  if (!existsSync(p.entry)) problems.push(`${name('entry')} file not found: ${p.entry}`);
  return problems;
}

function pullPoolProblems(p: PullPoolSettings): string[] {
  const name = (setting: string) => `workerPools.${p.namespace}.${setting}`;
  const problems = [
    ...timeoutProblems(name('visibilityTimeout'), p.visibilityTimeout, MAX_VISIBILITY_TIMEOUT, 'the SQS maximum'),
    ...timeoutProblems(name('handlerTimeout'), p.handlerTimeout, PULL_MAX_HANDLER_TIMEOUT, 'the longest step timeout a task template allows'),
    ...integerProblems(name('maxConcurrentHandlers'), p.maxConcurrentHandlers, 1, MAX_ESM_CONCURRENCY),
  ];
  const visibility = secondsOf(p.visibilityTimeout);
  if (visibility >= 1 && visibility < PULL_MIN_VISIBILITY_TIMEOUT.toSeconds()) {
    problems.push(`${name('visibilityTimeout')} (${visibility} s) is too short: workers heartbeat every third of it, so it must be at least ${PULL_MIN_VISIBILITY_TIMEOUT.toSeconds()} s`);
  }
  return problems;
}

/** The pools as a plain object, or undefined when they are not one (untyped JavaScript, app context). */
function poolsObject(pools: TaskerEngineProps['workerPools']): Readonly<Record<string, WorkerPoolProps>> | undefined {
  if (pools === undefined || pools === null || typeof pools !== 'object' || Array.isArray(pools)) return undefined;
  return pools;
}
