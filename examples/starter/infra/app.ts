import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { TaskerEngine } from 'tasker-serverless/cdk';

/**
 * `npx cdk synth` / `npx cdk deploy`: the tasker engine with your step handlers (src/step-handler.ts) and your task
 * templates (templates/), on a new RDS PostgreSQL. For an existing database: `database: { kind: 'existing', vpc, secret }`.
 */
const app = new App();
const stack = new Stack(app, 'HelloTasker', { description: 'tasker-serverless with the greetings/hello workflow' });
new TaskerEngine(stack, 'Tasker', {
  database: { kind: 'rds' },
  functionEntries: { stepHandler: fileURLToPath(new URL('../src/step-handler.ts', import.meta.url)) },
  templatesDir: fileURLToPath(new URL('../templates', import.meta.url)),
});
app.synth();
