import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EXAMPLE_STEP_HANDLER_ENTRY } from '../../../cdk/app-settings.js';
import { defaultEntry } from '../../../cdk/function-entries.js';
import type { DefaultPoolSettings } from '../../../cdk/pool-settings.js';
import type { TaskerEngineSettings } from '../../../cdk/resolve-engine-props.js';
import { TaskerEngine } from '../../../cdk/tasker-engine.js';
import type { TaskerEngineProps } from '../../../cdk/tasker-engine-props.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const STUB_ENTRY = fileURLToPath(new URL('../fixtures/stub-handler.ts', import.meta.url));

/** The feature flags of cdk.json, so tests synthesize what `npx cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${REPO_ROOT}cdk.json`, 'utf8')).context as Record<string, unknown>;
}

const outdirs: string[] = [];
// Synthesis writes a cloud assembly per app; remove this file's when it is done.
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An app like cdk.json's, with asset bundling skipped (the standard `aws:cdk:bundling-stacks` context). */
export function testApp(extraContext: Record<string, unknown> = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'tasker-cdk-test-'));
  outdirs.push(outdir);
  return new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...extraContext } });
}

/** A functions/ entry, or the stub while another engineer has not written it yet. */
export function entryOrStub(name: 'step-handler' | 'completion' | 'sweeper' | 'migrate'): string {
  const entry = name === 'step-handler' ? EXAMPLE_STEP_HANDLER_ENTRY : defaultEntry(name);
  return existsSync(entry) ? entry : STUB_ENTRY;
}

export function entryProps(): Pick<TaskerEngineProps, 'functionEntries'> {
  return {
    functionEntries: {
      stepHandler: entryOrStub('step-handler'),
      completion: entryOrStub('completion'),
      sweeper: entryOrStub('sweeper'),
      migrate: entryOrStub('migrate'),
    },
  };
}

/** The resolved default pool; fails the test when there is none. */
export function defaultPoolOf(settings: TaskerEngineSettings): DefaultPoolSettings {
  if (!settings.defaultPool) throw new Error('there is no default pool');
  return settings.defaultPool;
}

export interface Synthesized {
  readonly stack: Stack;
  readonly engine: TaskerEngine;
  readonly template: Template;
}

/** A stack holding one TaskerEngine; the RDS variant unless `database` says otherwise. */
export function synthEngine(props: Partial<TaskerEngineProps> = {}): Synthesized {
  const stack = new Stack(testApp(), 'TestStack');
  const engine = new TaskerEngine(stack, 'Engine', { database: { kind: 'rds' }, ...entryProps(), ...props });
  return { stack, engine, template: Template.fromStack(stack) };
}

/** A stack with a VPC and a secret standing in for the user's existing database. */
export function existingDatabaseStack(): {
  stack: Stack;
  vpc: ec2.Vpc;
  secret: secretsmanager.ISecret;
  databaseSg: ec2.SecurityGroup;
} {
  const stack = new Stack(testApp(), 'ExistingDbStack');
  const vpc = new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2, natGateways: 1 });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    'UserSecret',
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tasker-db-AbCdEf',
  );
  const databaseSg = new ec2.SecurityGroup(stack, 'UserDbSg', { vpc });
  return { stack, vpc, secret, databaseSg };
}
