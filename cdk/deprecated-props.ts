import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { DefaultPoolSettings } from './pool-settings.js';
import { esmConcurrencyProblems, MIN_ESM_CONCURRENCY } from './prop-checks.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import type { LambdaPoolDefaults } from './worker-pool-props.js';

/**
 * Each `lambdaPoolDefaults` setting and the engine-level prop that set it before (deprecated, still accepted): those
 * shaped the default pool and filled in what a Lambda pool left out, as `lambdaPoolDefaults` does.
 */
export const DEPRECATED_POOL_DEFAULTS = {
  maxConcurrentHandlers: 'maxConcurrentHandlers',
  handlerTimeout: 'handlerTimeout',
  deadlineSafetyMargin: 'deadlineSafetyMargin',
  dispatchBatchSize: 'dispatchBatchSize',
  maxBatchingWindow: 'maxBatchingWindow',
  memorySize: 'stepHandlerMemorySize',
  environment: 'stepHandlerEnvironment',
} as const satisfies { readonly [K in keyof Required<LambdaPoolDefaults>]: keyof TaskerEngineProps };

/** The problem of a deprecated prop given beside its replacement: which one wins would be a guess. */
export function bothGiven(deprecated: string, current: string): string {
  return `${deprecated} is deprecated and ${current} is given too: give only ${current}`;
}

/**
 * The rules of the deprecated `namespaceQueues` (extra queues of the default pool): valid, distinct names; at least two
 * event-source slots per queue of the default pool; no `workerPools` beside them.
 */
export function namespaceQueueProblems(
  props: TaskerEngineProps,
  pool: DefaultPoolSettings | false,
  concurrencyName: string,
): string[] {
  const namespaces = props.namespaceQueues ?? [];
  const problems = namespaces
    .filter((n) => !/^[A-Za-z0-9_-]{1,64}$/.test(n))
    .map((n) => `namespaceQueues: '${n}' is not a valid namespace (letters, digits, '-' and '_', at most 64)`);
  const duplicates = namespaces.filter((n, i) => namespaces.indexOf(n) !== i);
  if (duplicates.length > 0) problems.push(`namespaceQueues: duplicates ${[...new Set(duplicates)].join(', ')}`);
  if (namespaces.length > 0 && props.workerPools !== undefined)
    problems.push(
      'namespaceQueues cannot be combined with workerPools: give each of those namespaces a pool of its own',
    );
  return [...problems, ...splitProblems(pool, concurrencyName)];
}

/** The default pool's concurrency, split evenly between its queues, must give each event source the minimum of 2. */
function splitProblems(pool: DefaultPoolSettings | false, name: string): string[] {
  if (!pool || pool.namespaceQueues.length === 0 || pool.queueMaxConcurrency >= MIN_ESM_CONCURRENCY) return [];
  if (esmConcurrencyProblems(name, pool.maxConcurrentHandlers).length > 0) return [];
  const queues = 1 + pool.namespaceQueues.length;
  return [
    `${name} ${pool.maxConcurrentHandlers} split over ${queues} dispatch queues gives ${pool.queueMaxConcurrency} per queue; each needs at least ${MIN_ESM_CONCURRENCY}, so use at least ${queues * MIN_ESM_CONCURRENCY}`,
  ];
}

/** The deprecated `dispatchVisibilityTimeout` sets the default pool's queue: refused when `workerPools` leave the default pool out. */
export function dispatchVisibilityProblems(props: TaskerEngineProps, pool: DefaultPoolSettings | false): string[] {
  if (pool || props.workerPools === undefined || props.dispatchVisibilityTimeout === undefined) return [];
  return [
    "dispatchVisibilityTimeout is the default pool's queue setting, and there is no default pool: set visibilityTimeout on the pools instead",
  ];
}

/** A deprecated prop in use, and what to write instead. */
export interface Deprecation {
  readonly prop: keyof TaskerEngineProps;
  readonly message: string;
}

/** Every deprecated prop given, each with its replacement. */
export function deprecationsOf(props: TaskerEngineProps): Deprecation[] {
  const given = (prop: keyof TaskerEngineProps) => props[prop] !== undefined;
  const poolDefaults = Object.entries(DEPRECATED_POOL_DEFAULTS)
    .filter(([, prop]) => given(prop))
    .map(([setting, prop]) => ({
      prop,
      message: `${prop} is deprecated: set lambdaPoolDefaults.${setting} (every Lambda pool) or defaultPool: { kind: 'lambda', ${setting} } (the default pool only)`,
    }));
  const others: Deprecation[] = [
    {
      prop: 'dispatchVisibilityTimeout',
      message: "dispatchVisibilityTimeout is deprecated: set defaultPool: { kind: 'lambda', visibilityTimeout }",
    },
    {
      prop: 'stepHandlerEntry',
      message: 'stepHandlerEntry is deprecated: set functionEntries.stepHandler, beside the other entries',
    },
    {
      prop: 'namespaceQueues',
      message:
        "namespaceQueues is deprecated: give each namespace a worker pool of its own, e.g. workerPools: { billing: { kind: 'lambda' } } (its own function and cap, where namespace queues share the default pool's)",
    },
  ];
  const defaultPoolTrue: Deprecation[] =
    props.defaultPool === true
      ? [
          {
            prop: 'defaultPool',
            message:
              "defaultPool: true is deprecated: set defaultPool: { kind: 'lambda' } (with the default pool's settings, if any)",
          },
        ]
      : [];
  return [...poolDefaults, ...others.filter((d) => given(d.prop)), ...defaultPoolTrue];
}

/** One synth warning per deprecated prop given (`tasker:deprecated:<prop>`, so each can be acknowledged on its own). */
export function warnAboutDeprecatedProps(scope: IConstruct, props: TaskerEngineProps): void {
  for (const { prop, message } of deprecationsOf(props))
    Annotations.of(scope).addWarningV2(`tasker:deprecated:${prop}`, message);
}
