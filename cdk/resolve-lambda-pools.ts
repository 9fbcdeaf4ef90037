import { Duration } from 'aws-cdk-lib';
import { bothGiven, DEPRECATED_POOL_DEFAULTS } from './deprecated-props.js';
import type { LambdaFunctionPoolSettings, StepHandlerSettings } from './pool-settings.js';
import {
  batchProblems,
  environmentProblems,
  esmConcurrencyProblems,
  integerProblems,
  safetyMarginProblems,
  timeoutProblems,
  visibilityFor,
  visibilityProblems,
} from './prop-checks.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';
import type { LambdaPoolDefaults, LambdaWorkerPoolProps } from './worker-pool-props.js';

/** What a Lambda pool runs with when neither it nor `lambdaPoolDefaults` says. */
const BUILT_IN_POOL_DEFAULTS = {
  maxConcurrentHandlers: 10,
  handlerTimeout: Duration.seconds(30),
  deadlineSafetyMargin: Duration.seconds(2),
  dispatchBatchSize: 1,
  maxBatchingWindow: undefined,
  memorySize: 512,
  environment: {},
} as const satisfies { readonly [K in keyof Required<LambdaPoolDefaults>]: LambdaPoolDefaults[K] };

/** A setting of a Lambda pool, as its props name it. */
export type LambdaPoolSetting = Exclude<keyof LambdaWorkerPoolProps, 'kind'>;

/** What problems call a pool's settings: `workerPools.billing.handlerTimeout`, `defaultPool.handlerTimeout`, ... */
export type SettingNames = (setting: LambdaPoolSetting) => string;

/** The Lambda pool defaults, what problems call each of them, and everything wrong with them. */
export interface ResolvedPoolDefaults {
  readonly settings: StepHandlerSettings;
  readonly names: SettingNames;
  readonly problems: readonly string[];
}

/**
 * `lambdaPoolDefaults` (or the deprecated engine-level props it replaces) over the built-in defaults, with `entry` (the
 * step handler's entry) as the code. A problem names a setting by the prop it came from.
 */
export function resolveLambdaPoolDefaults(props: TaskerEngineProps, entry: string | undefined): ResolvedPoolDefaults {
  const given: LambdaPoolDefaults = props.lambdaPoolDefaults ?? {};
  const value = <K extends keyof LambdaPoolDefaults>(setting: K): Required<LambdaPoolDefaults>[K] =>
    (given[setting] ??
      props[DEPRECATED_POOL_DEFAULTS[setting]] ??
      BUILT_IN_POOL_DEFAULTS[setting]) as Required<LambdaPoolDefaults>[K];
  const settings: StepHandlerSettings = {
    maxConcurrentHandlers: value('maxConcurrentHandlers'),
    handlerTimeout: value('handlerTimeout'),
    deadlineSafetyMargin: value('deadlineSafetyMargin'),
    dispatchBatchSize: value('dispatchBatchSize'),
    maxBatchingWindow: value('maxBatchingWindow'),
    entry,
    memorySize: value('memorySize'),
    environment: value('environment'),
  };
  const names = defaultsNames(props);
  const conflicts = (Object.keys(DEPRECATED_POOL_DEFAULTS) as (keyof LambdaPoolDefaults)[])
    .filter((setting) => given[setting] !== undefined && props[DEPRECATED_POOL_DEFAULTS[setting]] !== undefined)
    .map((setting) => bothGiven(DEPRECATED_POOL_DEFAULTS[setting], `lambdaPoolDefaults.${setting}`));
  return {
    settings,
    names,
    problems: [
      ...conflicts,
      ...lambdaPoolProblems(settings, names),
      ...environmentProblems(names('environment'), settings.environment),
    ],
  };
}

/** `lambdaPoolDefaults.<setting>`, or the deprecated name when that is how the props set it (or set the others). */
function defaultsNames(props: TaskerEngineProps): SettingNames {
  return (setting) => {
    const current = `lambdaPoolDefaults.${setting}`;
    const deprecated = (DEPRECATED_POOL_DEFAULTS as Partial<Record<LambdaPoolSetting, keyof TaskerEngineProps>>)[
      setting
    ];
    if (deprecated === undefined || props.lambdaPoolDefaults?.[setting as keyof LambdaPoolDefaults] !== undefined)
      return current;
    return props[deprecated] !== undefined || props.lambdaPoolDefaults === undefined ? deprecated : current;
  };
}

/** A Lambda pool's settings: its own where given, else the defaults; its queue's visibility timeout follows its own timeout and batching window. */
export function lambdaPoolSettings(
  own: Omit<LambdaWorkerPoolProps, 'kind'>,
  defaults: StepHandlerSettings,
): LambdaFunctionPoolSettings {
  const handlerTimeout = own.handlerTimeout ?? defaults.handlerTimeout;
  const maxBatchingWindow = own.maxBatchingWindow ?? defaults.maxBatchingWindow;
  return {
    maxConcurrentHandlers: own.maxConcurrentHandlers ?? defaults.maxConcurrentHandlers,
    handlerTimeout,
    deadlineSafetyMargin: own.deadlineSafetyMargin ?? defaults.deadlineSafetyMargin,
    dispatchBatchSize: own.dispatchBatchSize ?? defaults.dispatchBatchSize,
    maxBatchingWindow,
    visibilityTimeout: own.visibilityTimeout ?? visibilityFor(handlerTimeout, maxBatchingWindow),
    entry: own.entry ?? defaults.entry,
    memorySize: own.memorySize ?? defaults.memorySize,
    environment: { ...defaults.environment, ...(own.environment ?? {}) },
  };
}

/**
 * The rules of a step-handler function, and of its queue when it has one: a cap the event source can keep, a timeout
 * Lambda allows, a margin inside it, a visibility timeout of at least 6 x timeout + batching window, a batch SQS allows,
 * a memory size Lambda allows.
 */
export function lambdaPoolProblems(
  p: StepHandlerSettings & { readonly visibilityTimeout?: Duration },
  name: SettingNames,
): string[] {
  return [
    ...esmConcurrencyProblems(name('maxConcurrentHandlers'), p.maxConcurrentHandlers),
    ...timeoutProblems(name('handlerTimeout'), p.handlerTimeout),
    ...safetyMarginProblems(
      name('deadlineSafetyMargin'),
      p.deadlineSafetyMargin,
      name('handlerTimeout'),
      p.handlerTimeout,
    ),
    ...(p.visibilityTimeout === undefined
      ? []
      : visibilityProblems(
          name('visibilityTimeout'),
          p.visibilityTimeout,
          name('handlerTimeout'),
          p.handlerTimeout,
          p.maxBatchingWindow,
        )),
    ...batchProblems(name('dispatchBatchSize'), p.dispatchBatchSize, name('maxBatchingWindow'), p.maxBatchingWindow),
    ...integerProblems(name('memorySize'), p.memorySize, 128, 10240),
  ];
}
