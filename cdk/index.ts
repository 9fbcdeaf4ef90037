/** The reusable construct and what you need to configure it. */
export { TaskerEngine } from './tasker-engine.js';
export { TaskerEnginePropsError, type TaskerEngineSettings } from './props.js';
export type {
  AlarmThresholds,
  CompletionProps,
  ExistingDatabaseProps,
  FunctionEntries,
  RdsDatabaseProps,
  TaskerDatabaseProps,
  TaskerEngineProps,
} from './tasker-engine-props.js';
