import { createMigrateLambda } from '../lib/runtime/migrate-lambda.js';

/** The deploy-time custom resource: applies SQL migrations and registers bundled templates. */
export const handler = createMigrateLambda();
