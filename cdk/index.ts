/** The reusable construct and what you need to configure it. */
export { TaskerEngine } from './tasker-engine.js';
export { TaskerEnginePropsError, type TaskerEngineSettings } from './props.js';
export { PULL_CONSUME_ACTIONS } from './pull-worker-access.js';
export type {
  AlarmThresholds,
  CompletionProps,
  ExistingDatabaseProps,
  FunctionEntries,
  LambdaWorkerPoolProps,
  PullWorkerPoolProps,
  RdsDatabaseProps,
  TaskerDatabaseProps,
  TaskerEngineProps,
  WorkerPoolProps,
} from './tasker-engine-props.js';
export type { LambdaPoolSettings, PullPoolSettings, WorkerPoolSettings } from './worker-pool-props.js';
export type { LambdaWorkerPool, PullWorkerPool, TaskerWorkerPool } from './worker-pools.js';
