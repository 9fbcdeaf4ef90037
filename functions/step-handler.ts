import exampleHandlers from '../examples/order-workflow/handlers.js';
import { createStepHandlerLambda } from '../lib/lambda/step-handler-lambda.js';

/**
 * The step-handler Lambda of the example order workflow, which the example app (cdk/app.ts) deploys. Not part of the
 * package: your own entry imports your map, e.g. `export const handler = createStepHandlerLambda(handlers)` from
 * 'tasker-serverless/handler'.
 */
export const handler = createStepHandlerLambda(exampleHandlers);
