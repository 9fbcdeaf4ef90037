import { createSweeperLambda } from '../lib/lambda/sweeper-lambda.js';

/** Runs on a schedule: times out overdue attempts, re-sends the outbox, dispatches due retries. */
export const handler = createSweeperLambda();
