import { createStepHandlerLambda } from 'tasker-serverless/handler';
import handlers from './handlers.js';

/** The step-handler Lambda: the CDK app (infra/app.ts) deploys this entry with your handlers. */
export const handler = createStepHandlerLambda(handlers);
