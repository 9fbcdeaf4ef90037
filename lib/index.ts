// The public API of tasker-serverless.
export type { StepHandler, StepHandlerInput, HandlerMap } from './worker/handler-api.js';
export {
  PermanentError,
  RetryableError,
  HandlerTimeoutError,
  type PermanentErrorOptions,
  type RetryableErrorOptions,
} from './worker/errors.js';
export { createStepHandlerLambda } from './lambda/step-handler-lambda.js';
export { createCompletionLambda } from './lambda/completion-lambda.js';
export { createSweeperLambda } from './lambda/sweeper-lambda.js';
export { createIngressLambda } from './lambda/ingress-lambda.js';
export { createMigrateLambda } from './lambda/migrate-lambda.js';
export { createTask } from './orchestration/create-task.js';
export {
  signalStep,
  MAX_SIGNAL_PAYLOAD_BYTES,
  type SignalResult,
  type SignalErrorCode,
} from './orchestration/signal-step.js';
export type { TaskTemplate, StepTemplate } from './domain/task-template.js';
export type { StepDispatchMessage } from './contracts/step-dispatch-message.js';
export type { StepExecutionResult } from './contracts/step-execution-result.js';
export type { DomainEventEnvelope } from './contracts/domain-event.js';
export type { TaskRequest } from './contracts/task-request.js';
export type { TaskCreatedEvent, TaskRejectedEvent, TaskRequestOutcomeEvent } from './contracts/task-request-outcome.js';
