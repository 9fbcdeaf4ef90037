import { createApiLambda } from '../lib/lambda/api-lambda.js';

/** The task and operator API behind a Lambda function URL with AWS_IAM (lib/api/routes.ts). */
export const handler = createApiLambda();
