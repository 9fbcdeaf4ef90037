import exampleHandlers from '../examples/order-workflow/handlers.js';
import { createStepHandlerLambda } from '../lib/lambda/step-handler-lambda.js';

/** The step-handler Lambda for the example order workflow; for your own handlers, import your map instead. */
export const handler = createStepHandlerLambda(exampleHandlers);
