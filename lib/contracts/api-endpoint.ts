/**
 * The description of the stack output holding the engine's API URL (cdk/tasker-api.ts): how `tasker --stack <name>`
 * finds it among the stack's outputs, whatever logical id CloudFormation gave it.
 */
export const API_URL_OUTPUT_DESCRIPTION = 'tasker API URL (Lambda function URL, AWS_IAM)';
