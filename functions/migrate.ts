import { createMigrateLambda } from '../lib/lambda/migrate-lambda.js';

/** The deploy-time custom resource: applies SQL migrations and registers bundled templates. */
export const handler = createMigrateLambda();
