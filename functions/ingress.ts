import { createIngressLambda } from '../lib/lambda/ingress-lambda.js';

/** Consumes the task-request queue: creates tasks in batches, answers each request with task.created or task.rejected. */
export const handler = createIngressLambda();
