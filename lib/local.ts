/**
 * `tasker-serverless/local`: the engine on one machine, for tests and local runs — PGlite (or DATABASE_URL's server),
 * in-process queues with SQS semantics and the real step-handler and completion Lambdas. Needs the optional peer
 * dependencies `@electric-sql/pglite` and `@electric-sql/pglite-socket`.
 *
 * @example
 * ```ts
 * import { startEmbeddedRuntime } from 'tasker-serverless/local';
 * const runtime = await startEmbeddedRuntime({ templatesDir: 'templates', handlers, databaseUrl: null });
 * const created = await runtime.createTask({ namespace: 'billing', name: 'invoice', context: {} });
 * if (created.ok) console.log((await runtime.waitForTask(created.taskUuid)).state);
 * await runtime.stop();
 * ```
 */
export {
  startEmbeddedRuntime,
  type CapturedDomainEvent,
  type EmbeddedMetrics,
  type EmbeddedRuntime,
  type EmbeddedRuntimeOptions,
} from './local/embedded-runtime.js';
export { RuntimeStoppedError, TaskRequestsNotTakenError, TaskWaitTimeoutError } from './local/errors.js';
export type { EmbeddedSettingsInput } from './local/embedded-settings.js';
export type { CreateTaskResult } from './orchestration/create-task.js';
export type { StepView, TaskView } from './ports/orchestration-store.js';
