import { Duration } from 'aws-cdk-lib';
import { LIFECYCLE_NAMESPACE } from '../lib/contracts/task-lifecycle-event.js';
import { MAX_STEP_TIMEOUT_SECONDS, NAME_PATTERN } from '../lib/contracts/task-template-file.js';
import { entryFileProblems } from './function-entries.js';
import type { LambdaPoolSettings, PullPoolSettings, StepHandlerSettings, WorkerPoolSettings } from './pool-settings.js';
import {
  environmentProblems,
  integerProblems,
  MAX_ESM_CONCURRENCY,
  MAX_VISIBILITY_TIMEOUT,
  secondsOf,
  timeoutProblems,
} from './prop-checks.js';
import { hasDefaultPool } from './resolve-default-pool.js';
import { lambdaPoolProblems, lambdaPoolSettings } from './resolve-lambda-pools.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import type { PullWorkerPoolProps, WorkerPoolProps } from './worker-pool-props.js';

/** The pull worker's own default visibility timeout (lib/worker/pull): the queue's matches it. */
export const PULL_DEFAULT_VISIBILITY_TIMEOUT = Duration.seconds(30);
/** Workers heartbeat every third of the visibility timeout: below 6 s that is more often than every 2 s. */
export const PULL_MIN_VISIBILITY_TIMEOUT = Duration.seconds(6);
export const PULL_DEFAULT_HANDLER_TIMEOUT = Duration.seconds(30);
/** No step may run longer (`timeout_seconds` of a task template), so a longer cap would never apply. */
export const PULL_MAX_HANDLER_TIMEOUT = Duration.seconds(MAX_STEP_TIMEOUT_SECONDS);
export const PULL_DEFAULT_CONCURRENCY = 10;
const MAX_NAMESPACE_LENGTH = 128;

/**
 * The pools with their defaults; a Lambda pool's left-out settings are the Lambda pool defaults. Pools of an unknown kind
 * are left out (and reported by `workerPoolProblems`).
 */
export function resolveWorkerPools(
  pools: TaskerEngineProps['workerPools'],
  defaults: StepHandlerSettings,
): WorkerPoolSettings[] {
  return Object.entries(poolsObject(pools) ?? {}).flatMap(([namespace, pool]): WorkerPoolSettings[] => {
    if (pool?.kind === 'lambda') return [{ kind: 'lambda', namespace, ...lambdaPoolSettings(pool, defaults) }];
    if (pool?.kind === 'pull') return [pullPool(namespace, pool)];
    return [];
  });
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

/** Everything wrong with `workerPools` and `defaultPool` together: a pool for every step, every namespace, every pool. */
export function workerPoolProblems(props: TaskerEngineProps, pools: readonly WorkerPoolSettings[]): string[] {
  if (props.workerPools === undefined)
    return props.defaultPool === false ? ['defaultPool: false leaves no pool to run any step: give workerPools'] : [];
  const raw = poolsObject(props.workerPools);
  if (raw === undefined)
    return ["workerPools must be an object: namespace -> { kind: 'lambda', ... } or { kind: 'pull', ... }"];
  const empty = Object.keys(raw).length === 0 && !hasDefaultPool(props);
  return [
    ...(empty
      ? [
          'workerPools is empty and there is no default pool: give at least one pool, or leave workerPools out for one default pool',
        ]
      : []),
    ...Object.entries(raw).flatMap(([ns, pool]) => rawPoolProblems(ns, pool)),
    ...pools.flatMap(poolProblems),
  ];
}

/** The namespace, the kind, and what no resolved setting shows (a Lambda pool's own environment, a role principal without a role). */
function rawPoolProblems(namespace: string, pool: WorkerPoolProps | undefined): string[] {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(namespace) || namespace.length > MAX_NAMESPACE_LENGTH) {
    problems.push(
      `workerPools: '${namespace}' is not a valid namespace: template namespaces are lower-case snake_case (${NAME_PATTERN.source}), at most ${MAX_NAMESPACE_LENGTH} characters`,
    );
  }
  if (namespace === LIFECYCLE_NAMESPACE)
    problems.push(
      `workerPools: '${namespace}' is reserved: its event source is the engine's task lifecycle events', which no step handler may put`,
    );
  const kind = (pool as { kind?: unknown } | undefined)?.kind;
  if (kind !== 'lambda' && kind !== 'pull')
    return [...problems, `workerPools.${namespace}.kind must be 'lambda' or 'pull' (got ${JSON.stringify(kind)})`];
  if (pool?.kind === 'lambda')
    problems.push(...environmentProblems(`workerPools.${namespace}.environment`, pool.environment ?? {}));
  if (pool?.kind === 'pull' && pool.roleAssumedBy !== undefined && pool.createRole !== true)
    problems.push(
      `workerPools.${namespace}.roleAssumedBy applies to the role the engine creates: set createRole: true too`,
    );
  return problems;
}

function poolProblems(pool: WorkerPoolSettings): string[] {
  return pool.kind === 'lambda' ? ownLambdaPoolProblems(pool) : pullPoolProblems(pool);
}

/** The rules of any Lambda pool, for this pool's own function and queue. */
function ownLambdaPoolProblems(p: LambdaPoolSettings): string[] {
  const name = (setting: string) => `workerPools.${p.namespace}.${setting}`;
  return [...lambdaPoolProblems(p, name), ...entryFileProblems(name('entry'), p.entry)];
}

function pullPoolProblems(p: PullPoolSettings): string[] {
  const name = (setting: string) => `workerPools.${p.namespace}.${setting}`;
  const problems = [
    ...timeoutProblems(name('visibilityTimeout'), p.visibilityTimeout, MAX_VISIBILITY_TIMEOUT, 'the SQS maximum'),
    ...timeoutProblems(
      name('handlerTimeout'),
      p.handlerTimeout,
      PULL_MAX_HANDLER_TIMEOUT,
      'the longest step timeout a task template allows',
    ),
    ...integerProblems(name('maxConcurrentHandlers'), p.maxConcurrentHandlers, 1, MAX_ESM_CONCURRENCY),
  ];
  const visibility = secondsOf(p.visibilityTimeout);
  if (visibility >= 1 && visibility < PULL_MIN_VISIBILITY_TIMEOUT.toSeconds()) {
    problems.push(
      `${name('visibilityTimeout')} (${visibility} s) is too short: workers heartbeat every third of it, so it must be at least ${PULL_MIN_VISIBILITY_TIMEOUT.toSeconds()} s`,
    );
  }
  return problems;
}

/** The pools as a plain object, or undefined when they are not one (untyped JavaScript, app context). */
function poolsObject(pools: TaskerEngineProps['workerPools']): Readonly<Record<string, WorkerPoolProps>> | undefined {
  if (pools === undefined || pools === null || typeof pools !== 'object' || Array.isArray(pools)) return undefined;
  return pools;
}
