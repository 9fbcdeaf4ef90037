import { App } from 'aws-cdk-lib';
import { EXAMPLE_STEP_HANDLER_ENTRY, readAppSettings, stackEnvironment } from './app-settings.js';
import { TaskerStack } from './tasker-stack.js';

/**
 * `npx cdk synth` / `npx cdk deploy`: the engine with the example order workflow (its templates and its step-handler
 * entry). With no context: the RDS variant, env-agnostic, so it synthesizes without AWS credentials.
 * `-c database=existing -c vpcId=... -c secretArn=...` uses your PostgreSQL (the VPC lookup needs credentials).
 */
const app = new App();
const settings = readAppSettings(app.node);
new TaskerStack(app, settings.stackName, {
  settings: {
    ...settings,
    engine: { ...settings.engine, functionEntries: { stepHandler: EXAMPLE_STEP_HANDLER_ENTRY } },
  },
  env: stackEnvironment(settings.database, process.env),
  description:
    'tasker-serverless: workflow-step execution engine (SQS dispatch, Lambda handlers, PostgreSQL orchestration)',
});
app.synth();
