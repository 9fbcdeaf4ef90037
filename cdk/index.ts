/** The reusable construct and what you need to configure it. */
export { TaskerEngine } from './tasker-engine.js';
export { TaskerEnginePropsError } from './errors.js';
export type { CompletionSettings, TaskerEngineSettings } from './resolve-engine-props.js';
export type { FunctionEntrySettings } from './function-entries.js';
export { PULL_CONSUME_ACTIONS } from './pull-worker-access.js';
export { DEAD_LETTER_ACTIONS, TaskerApi } from './tasker-api.js';
export { TaskIngress, scheduledRequest } from './task-ingress.js';
export type { IngressProps, TaskScheduleProps } from './ingress-props.js';
export type { IngressSettings, TaskScheduleSettings } from './resolve-ingress.js';
export type {
  AlarmThresholds,
  CompletionProps,
  FunctionEntries,
  TaskerApiSettings,
  TaskerEngineProps,
} from './tasker-engine-props.js';
export type { ExistingDatabaseProps, RdsDatabaseProps, TaskerDatabaseProps } from './database-props.js';
export type {
  LambdaPoolDefaults,
  LambdaWorkerPoolProps,
  PullWorkerPoolProps,
  WorkerPoolProps,
} from './worker-pool-props.js';
export type {
  DefaultPoolSettings,
  LambdaFunctionPoolSettings,
  LambdaPoolSettings,
  PullPoolSettings,
  StepHandlerSettings,
  WorkerPoolSettings,
} from './pool-settings.js';
export type { LambdaWorkerPool, PullWorkerPool, TaskerWorkerPool } from './worker-pools.js';
