/**
 * `tasker-serverless/handler`: what a step-handler Lambda entry needs, and nothing more — the handler API (types and
 * errors) and `createStepHandlerLambda`. A bundle built from it carries no pg, yaml or PGlite.
 *
 * @example
 * ```ts
 * import { createStepHandlerLambda, PermanentError, type HandlerMap } from 'tasker-serverless/handler';
 * const handlers: HandlerMap = { 'billing.charge': async ({ context }) => ({ charged: context.amount }) };
 * export const handler = createStepHandlerLambda(handlers);
 * ```
 */
export * from './worker/handler-api.js';
export { createStepHandlerLambda, type StepHandlerLambdaOverrides } from './lambda/step-handler-lambda.js';
