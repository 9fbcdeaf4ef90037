import { createCompletionLambda } from '../lib/lambda/completion-lambda.js';

/** Consumes the completion queue: applies step results once, dispatches newly ready steps. */
export const handler = createCompletionLambda();
