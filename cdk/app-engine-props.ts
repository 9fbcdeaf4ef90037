import type { EngineContext } from './app-settings.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import type { LambdaPoolDefaults } from './worker-pool-props.js';

/** The engine props the app derives from context; the stack adds the database and the alarm topic. */
export type AppEngineProps = Omit<TaskerEngineProps, 'database' | 'alarmTopic'>;

/**
 * The app's context as TaskerEngine props: the flat per-pool keys are `lambdaPoolDefaults` (what every Lambda pool, the
 * default pool too, leaves out), `defaultPool=true` is a default pool with those defaults. Keys left out stay out, so the
 * engine's own defaults apply.
 *
 * @example
 * ```ts
 * engineProps({ ...context, maxConcurrentHandlers: 20 }).lambdaPoolDefaults // { maxConcurrentHandlers: 20 }
 * ```
 */
export function engineProps(context: EngineContext): AppEngineProps {
  const { maxConcurrentHandlers, handlerTimeout, deadlineSafetyMargin, dispatchBatchSize, defaultPool, ...rest } =
    context;
  const defaults = definedOnly<LambdaPoolDefaults>({
    maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin,
    dispatchBatchSize,
  });
  return {
    ...definedOnly<AppEngineProps>(rest),
    ...(Object.keys(defaults).length > 0 ? { lambdaPoolDefaults: defaults } : {}),
    ...(defaultPool === undefined ? {} : { defaultPool: defaultPool && { kind: 'lambda' } }),
  };
}

/** The entries whose value is not undefined. */
function definedOnly<T extends object>(values: { [K in keyof T]?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as T;
}
