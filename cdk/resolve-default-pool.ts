import { bothGiven } from './deprecated-props.js';
import { entryFileProblems } from './function-entries.js';
import type { DefaultPoolSettings } from './pool-settings.js';
import { environmentProblems, visibilityProblems } from './prop-checks.js';
import {
  lambdaPoolProblems,
  lambdaPoolSettings,
  type ResolvedPoolDefaults,
  type SettingNames,
} from './resolve-lambda-pools.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import type { LambdaWorkerPoolProps } from './worker-pool-props.js';

/** The default pool (or false), what problems call its settings, and everything wrong with it. */
export interface ResolvedDefaultPool {
  readonly pool: DefaultPoolSettings | false;
  readonly names: SettingNames;
  readonly problems: readonly string[];
}

/** Whether there is a default pool: as `defaultPool` says, else when there are no `workerPools`. */
export function hasDefaultPool(props: TaskerEngineProps): boolean {
  return (props.defaultPool ?? props.workerPools === undefined) !== false;
}

/**
 * The default pool, a Lambda pool like those of `workerPools`: `defaultPool`'s own settings over the Lambda pool defaults.
 * Its queue's visibility timeout may come from the deprecated `dispatchVisibilityTimeout`; the deprecated `namespaceQueues`
 * are queues of its too. Without settings of its own (`defaultPool` left out, or `true`), it *is* the defaults, whose
 * problems are named already: only its queue is checked here.
 */
export function resolveDefaultPool(props: TaskerEngineProps, defaults: ResolvedPoolDefaults): ResolvedDefaultPool {
  if (!hasDefaultPool(props)) return { pool: false, names: defaults.names, problems: [] };
  const own = ownSettings(props.defaultPool);
  const spec = lambdaPoolSettings(
    { ...own, visibilityTimeout: own?.visibilityTimeout ?? props.dispatchVisibilityTimeout },
    defaults.settings,
  );
  const namespaceQueues = props.namespaceQueues ?? [];
  const pool: DefaultPoolSettings = {
    kind: 'lambda',
    ...spec,
    namespaceQueues,
    queueMaxConcurrency: Math.floor(spec.maxConcurrentHandlers / (1 + namespaceQueues.length)),
  };
  const names = namesOf(props, own, defaults.names);
  const conflict =
    own?.visibilityTimeout !== undefined && props.dispatchVisibilityTimeout !== undefined
      ? [bothGiven('dispatchVisibilityTimeout', 'defaultPool.visibilityTimeout')]
      : [];
  const problems = own
    ? ownPoolProblems(own, pool, names)
    : visibilityProblems(
        names('visibilityTimeout'),
        pool.visibilityTimeout,
        names('handlerTimeout'),
        pool.handlerTimeout,
        pool.maxBatchingWindow,
      );
  return { pool, names, problems: [...shapeProblems(props.defaultPool), ...conflict, ...problems] };
}

/** `defaultPool`'s own settings when it gives any (an object); `true` and a left-out `defaultPool` give none. */
function ownSettings(defaultPool: TaskerEngineProps['defaultPool']): LambdaWorkerPoolProps | undefined {
  return typeof defaultPool === 'object' && defaultPool !== null ? defaultPool : undefined;
}

/** `defaultPool.<setting>` for a pool with settings of its own; otherwise the defaults' names, and its queue by the name it had. */
function namesOf(
  props: TaskerEngineProps,
  own: LambdaWorkerPoolProps | undefined,
  defaults: SettingNames,
): SettingNames {
  const visibility =
    own?.visibilityTimeout === undefined &&
    (props.dispatchVisibilityTimeout !== undefined || (own === undefined && props.lambdaPoolDefaults === undefined))
      ? 'dispatchVisibilityTimeout'
      : 'defaultPool.visibilityTimeout';
  if (own) return (setting) => (setting === 'visibilityTimeout' ? visibility : `defaultPool.${setting}`);
  return (setting) => (setting === 'visibilityTimeout' ? visibility : defaults(setting));
}

/** `defaultPool` must be a Lambda pool's props or a boolean (untyped JavaScript may give anything). */
function shapeProblems(defaultPool: unknown): string[] {
  if (defaultPool === undefined || defaultPool === null || typeof defaultPool === 'boolean') return [];
  if (typeof defaultPool !== 'object')
    return [`defaultPool must be { kind: 'lambda', ... } or false (got ${JSON.stringify(defaultPool)})`];
  const kind = (defaultPool as { kind?: unknown }).kind;
  return kind === 'lambda'
    ? []
    : [`defaultPool.kind must be 'lambda': the default pool runs on Lambda (got ${JSON.stringify(kind)})`];
}

/** The rules of any Lambda pool, for the default pool's own settings. */
function ownPoolProblems(own: LambdaWorkerPoolProps, pool: DefaultPoolSettings, names: SettingNames): string[] {
  return [
    ...environmentProblems('defaultPool.environment', own.environment ?? {}),
    ...lambdaPoolProblems(pool, names),
    ...entryFileProblems(names('entry'), pool.entry),
  ];
}
